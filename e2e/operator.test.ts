/**
 * End to end, issue #6 "the operator's view": the real tspilot process, a real grpc-js-xds client
 * and raw ADS clients. What a proxy received is what config_dump shows and what `tspilot
 * translate` computes offline (byte for byte); a client NACK shows as NACKED with the client's
 * error in syncz, in `tspilot proxy-status` and in pilot_total_xds_rejects; explain names the
 * VirtualService rule behind a route; a dry-run diff reports per proxy class and changes nothing
 * served; bad requests get a 4xx with a message, never a stack trace.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { startBackend, type Backend } from './clients/backend.js';
import { bootstrapFor, startXdsClient, type XdsClient } from './clients/driver.js';
import { configFolder, startTspilot, REPO_ROOT, type Tspilot } from './tspilot.js';
import { DESTINATION_RULE, ECHO_HOST, ECHO_TARGET, registryYaml, virtualServiceYaml } from './fixtures/echo-mesh.js';
import { rawAds, type DecodedResponse, type RawAds } from './adsclient.js';
import { fromProto3Json } from '../proto/json.js';
import { messageType } from '../proto/registry.js';
import { CDS, LDS, RDS } from '../proto/typeurls.js';
import type { WireNode } from '../proto/wire.js';
import { FleetClient } from './fleet/client.js';

const run = promisify(execFile);
const MAIN = path.join(REPO_ROOT, 'dist', 'server', 'main.js');

async function tspilot(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [MAIN, ...args], { timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

const node = (id: string, metadata: WireNode['metadata'] = {}): WireNode => ({
  id,
  cluster: '',
  metadata,
  userAgentName: 'test',
  clientFeatures: [],
  locality: null,
});

/** Subscribes to `type` (wildcard or names), ACKs, and returns the response. */
async function subscribe(ads: RawAds, n: WireNode, typeUrl: string, names: string[] = []): Promise<DecodedResponse> {
  ads.send({ typeUrl, node: n, resourceNames: names });
  const r = await ads.next(10_000);
  assert.equal(r.type_url, typeUrl);
  ads.send({ typeUrl, node: n, resourceNames: names, versionInfo: r.version_info, responseNonce: r.nonce });
  return r;
}

const decodeAny = (typeName: string, bytes: Uint8Array): Record<string, unknown> => {
  const t = messageType(typeName);
  return t.toObject(t.decode(bytes), { defaults: false, arrays: true }) as Record<string, unknown>;
};

const STACK = /\n\s+at |\.(ts|js):\d+/;

describe('e2e operator view (debug surface, metrics, CLI)', function () {
  this.timeout(120_000);
  let v1: Backend, v2: Backend, folder: Awaited<ReturnType<typeof configFolder>>, pilot: Tspilot, client: XdsClient;
  let sidecar: RawAds, gateway: RawAds;
  let cds: DecodedResponse, lds: DecodedResponse, rds: DecodedResponse;
  const grpcNode = 'sidecar~127.0.0.1~operator-grpc.default~default.svc.cluster.local';
  const sidecarNode = node('sidecar~10.1.0.7~operator-envoy.default~default.svc.cluster.local', { ISTIO_VERSION: '1.24.0' });
  const gatewayNode = node('router~10.1.0.8~ingress.istio-system~istio-system.svc.cluster.local');
  const debug = (p: string, init?: RequestInit) => fetch(`http://127.0.0.1:${pilot.httpPort}${p}`, init);
  const server = () => `http://127.0.0.1:${pilot.httpPort}`;

  before(async () => {
    v1 = await startBackend('v1');
    v2 = await startBackend('v2');
    folder = await configFolder();
    await folder.write('registry.yaml', registryYaml(v1.port, v2.port));
    await folder.write('destination-rule.yaml', DESTINATION_RULE);
    await folder.write('virtual-service.yaml', virtualServiceYaml(80, 20));
    pilot = await startTspilot(folder.dir);
    client = await startXdsClient(
      'grpc-js',
      bootstrapFor(`127.0.0.1:${pilot.xdsPort}`, grpcNode, { GENERATOR: 'grpc', NAMESPACE: 'default' }),
    );
    assert.equal((await client.rpc(ECHO_TARGET, 3)).length, 3);
    sidecar = rawAds(`127.0.0.1:${pilot.xdsPort}`);
    cds = await subscribe(sidecar, sidecarNode, CDS);
    lds = await subscribe(sidecar, sidecarNode, LDS);
    rds = await subscribe(sidecar, sidecarNode, RDS, ['9080']);
    gateway = rawAds(`127.0.0.1:${pilot.xdsPort}`);
    await subscribe(gateway, gatewayNode, CDS);
  });

  after(async () => {
    sidecar?.close();
    gateway?.close();
    await client?.close();
    await pilot?.close();
    await Promise.all([v1?.close(), v2?.close()]);
    await folder?.cleanup();
  });

  it('config_dump of a connected proxy decodes into envoy.admin.v3.ConfigDump holding exactly the bytes it received', async () => {
    const res = await debug('/debug/config_dump?proxyID=operator-envoy.default&types=cds,lds,rds');
    assert.equal(res.status, 200);
    const bytes = fromProto3Json('envoy.admin.v3.ConfigDump', await res.json());
    const dump = decodeAny('envoy.admin.v3.ConfigDump', bytes) as { configs: { type_url: string; value: Uint8Array }[] };
    assert.deepEqual(
      dump.configs.map((c) => c.type_url.split('.').pop()),
      ['ClustersConfigDump', 'ListenersConfigDump', 'RoutesConfigDump'],
    );
    const clusters = decodeAny('envoy.admin.v3.ClustersConfigDump', dump.configs[0]!.value) as {
      version_info: string;
      dynamic_active_clusters: { version_info: string; cluster: { value: Uint8Array }; last_updated: object }[];
    };
    assert.equal(clusters.version_info, cds.version_info);
    assert.deepEqual(
      clusters.dynamic_active_clusters.map((c) => Buffer.from(c.cluster.value)),
      cds.resources.map((r) => Buffer.from(r.value)),
    );
    assert.ok(clusters.dynamic_active_clusters.every((c) => c.version_info === cds.version_info && c.last_updated));
    const listeners = decodeAny('envoy.admin.v3.ListenersConfigDump', dump.configs[1]!.value) as {
      dynamic_listeners: { name: string; active_state: { listener: { value: Uint8Array } } }[];
    };
    assert.deepEqual(
      listeners.dynamic_listeners.map((l) => Buffer.from(l.active_state.listener.value)),
      lds.resources.map((r) => Buffer.from(r.value)),
    );
    const routes = decodeAny('envoy.admin.v3.RoutesConfigDump', dump.configs[2]!.value) as {
      dynamic_route_configs: { route_config: { value: Uint8Array } }[];
    };
    assert.deepEqual(
      routes.dynamic_route_configs.map((r) => Buffer.from(r.route_config.value)),
      rds.resources.map((r) => Buffer.from(r.value)),
    );
  });

  it('tspilot translate computes offline, byte for byte, what the connected proxy of that node received', async () => {
    const r = await tspilot('translate', '--config-dir', folder.dir, '--proxy', sidecarNode.id, '--meta', 'ISTIO_VERSION=1.24.0');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { types: Record<string, { version: string; resources: { '@type': string; name: string }[] }> };
    for (const [short, got, msg] of [
      ['cds', cds, 'envoy.config.cluster.v3.Cluster'],
      ['lds', lds, 'envoy.config.listener.v3.Listener'],
    ] as const) {
      const t = out.types[short]!;
      assert.equal(t.version, got.version_info, `${short}: translate's version is the version the proxy was sent`);
      const mine = t.resources.map(({ '@type': _t, ...body }) => Buffer.from(fromProto3Json(msg, body)));
      assert.deepEqual(
        mine,
        got.resources.map((x) => Buffer.from(x.value)),
        `${short} resources differ`,
      );
    }
    const only = await tspilot('translate', '--config-dir', folder.dir, '--proxy', sidecarNode.id, '--type', 'rds', '--resource', '9080');
    const route = (JSON.parse(only.stdout) as { types: { rds: { version: string; resources: object[] } } }).types.rds;
    assert.equal(route.version, rds.version_info);
    const bad = await tspilot('translate', '--config-dir', folder.dir, '--proxy', 'nonsense');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--proxy: node id "nonsense" must have 4 parts/);
    assert.doesNotMatch(bad.stderr, STACK);
  });

  it('config_dump of a Delta xDS client shows everything it holds, equal to translate for its node', async () => {
    const id = 'sidecar~10.1.0.9~operator-delta.default~default.svc.cluster.local';
    const delta = new FleetClient({ address: `127.0.0.1:${pilot.xdsPort}`, node: node(id, { NAMESPACE: 'default' }), delta: true });
    delta.connect();
    try {
      for (let i = 0; i < 100 && !delta.complete(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(delta.complete(), `delta client did not receive every type: ${delta.error ?? ''}`);
      const res = await debug(`/debug/config_dump?proxyID=${encodeURIComponent(id)}&types=cds,lds`);
      const dump = decodeAny('envoy.admin.v3.ConfigDump', fromProto3Json('envoy.admin.v3.ConfigDump', await res.json())) as {
        configs: { value: Uint8Array }[];
      };
      const clusters = decodeAny('envoy.admin.v3.ClustersConfigDump', dump.configs[0]!.value) as {
        dynamic_active_clusters: { cluster: { value: Uint8Array } }[];
      };
      const listeners = decodeAny('envoy.admin.v3.ListenersConfigDump', dump.configs[1]!.value) as {
        dynamic_listeners: { active_state: { listener: { value: Uint8Array } } }[];
      };
      const r = await tspilot('translate', '--config-dir', folder.dir, '--proxy', id);
      const out = JSON.parse(r.stdout) as { types: Record<string, { resources: { '@type': string }[] }> };
      const bytesOf = (short: string, msg: string) =>
        out.types[short]!.resources.map(({ '@type': _t, ...body }) => Buffer.from(fromProto3Json(msg, body)));
      assert.deepEqual(
        clusters.dynamic_active_clusters.map((c) => Buffer.from(c.cluster.value)),
        bytesOf('cds', 'envoy.config.cluster.v3.Cluster'),
      );
      assert.deepEqual(
        listeners.dynamic_listeners.map((l) => Buffer.from(l.active_state.listener.value)),
        bytesOf('lds', 'envoy.config.listener.v3.Listener'),
      );
    } finally {
      delta.close();
    }
  });

  it('explain names the VirtualService rule and weight behind each cluster of a route, over HTTP and from the CLI', async () => {
    const route = `outbound|9080||${ECHO_HOST}`;
    const res = await debug(`/debug/explain?proxyID=operator-grpc.default&resource=${encodeURIComponent(route)}`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      explanations: { type: string; lines: string[]; configs: { kind: string; name: string; file: string; rules: string[] }[] }[];
    };
    const ex = body.explanations.find((e) => e.type === 'rds')!;
    assert.ok(
      ex.lines.includes(`VirtualService default/echo http[1].route[0]: weight 80 → outbound|9080|v1|${ECHO_HOST}`),
      ex.lines.join('\n'),
    );
    assert.ok(
      ex.lines.includes(`VirtualService default/echo http[1].route[1]: weight 20 → outbound|9080|v2|${ECHO_HOST}`),
      ex.lines.join('\n'),
    );
    const vs = ex.configs.find((c) => c.kind === 'VirtualService')!;
    assert.equal(vs.file, path.join(folder.dir, 'virtual-service.yaml'));
    const cli = await tspilot(
      'explain',
      `outbound|9080|v2|${ECHO_HOST}`,
      '--proxy',
      'operator-grpc.default',
      '--server',
      server(),
      '--type',
      'cds',
    );
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /DestinationRule default\/echo subsets\[1\] \(v2\): endpoints labelled version=v2/);
    const none = await debug('/debug/explain?proxyID=operator-grpc.default&resource=nothing-here');
    assert.equal(none.status, 404);
    assert.match(((await none.json()) as { error: string }).error, /has no .* named "nothing-here"/);
  });

  it('a dry-run diff lists the proxies a change would reach, and the unaffected ones, without changing what is served', async () => {
    type Sync = { proxy: string; types: Record<string, { sent: string; responses: number }> };
    const before = (await (await debug('/debug/syncz')).json()) as Sync[];
    const pushesBefore = ((await (await debug('/debug/push_status')).json()) as { pushes: unknown[] }).pushes.length;
    const change = virtualServiceYaml(0, 100);
    const res = await debug('/debug/diff', { method: 'POST', body: change });
    assert.equal(res.status, 200);
    const report = (await res.json()) as {
      applied: string[];
      affected: { proxies: string[]; types: Record<string, { changed: { name: string; fields: string[] }[] }> }[];
      unaffected: { proxies: string[] }[];
    };
    assert.deepEqual(report.applied, ['VirtualService/default/echo']);
    const grpc = report.affected.find((a) => a.proxies.includes(grpcNode));
    assert.ok(grpc, JSON.stringify(report));
    assert.deepEqual(Object.keys(grpc.types), ['rds']);
    assert.ok(
      grpc.types['rds']!.changed[0]!.fields.some((f) => /weight/.test(f)),
      JSON.stringify(grpc.types['rds']),
    );
    assert.ok(report.affected.some((a) => a.proxies.includes(sidecarNode.id)));
    assert.ok(
      report.unaffected.some((u) => u.proxies.includes(gatewayNode.id)),
      'the gateway is listed as unaffected',
    );
    // The CLI asks the same endpoint.
    const f = path.join(folder.dir, '..', `change-${path.basename(folder.dir)}.yaml`);
    await writeFile(f, change);
    const cli = await tspilot('diff', '--apply', f, '--server', server());
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /RDS ~ outbound\|9080\|\|echo/);
    assert.match(cli.stdout, /unaffected:\n.*ingress\.istio-system/);
    // Nothing served changed: same versions, same response counts, no push.
    await new Promise((r) => setTimeout(r, 500));
    const after = (await (await debug('/debug/syncz')).json()) as Sync[];
    const view = (s: Sync[]) =>
      s
        .map((x) => [
          x.proxy,
          Object.entries(x.types)
            .map(([t, v]) => `${t}:${v.sent}:${v.responses}`)
            .sort(),
        ])
        .sort();
    assert.deepEqual(view(after), view(before));
    assert.equal(((await (await debug('/debug/push_status')).json()) as { pushes: unknown[] }).pushes.length, pushesBefore);
    assert.deepEqual(await client.rpc(ECHO_TARGET, 1, { 'end-user': 'jason' }), ['v2']);
  });

  it('a client NACK shows as NACKED with its error in syncz and proxy-status, and pilot_total_xds_rejects counts it', async () => {
    const since = pilot.logs.length;
    await folder.write(
      'destination-rule.yaml',
      DESTINATION_RULE.replace(
        'spec:\n  host: echo\n',
        'spec:\n  host: echo\n  trafficPolicy:\n    loadBalancer:\n      consistentHash:\n        httpHeaderName: x-user\n        maglev: {tableSize: 65537}\n',
      ),
    );
    await pilot.waitForLog((l) => /NACK/.test(l.msg) && l['proxy'] === grpcNode, 15_000, since);
    type Sync = { proxy: string; types: Record<string, { nack: { error: string } | null }> };
    const sync = ((await (await debug('/debug/syncz')).json()) as Sync[]).find((s) => s.proxy === grpcNode)!;
    assert.match(sync.types['cds']!.nack?.error ?? '', /MAGLEV/);
    const ps = await tspilot('proxy-status', '--server', server());
    assert.equal(ps.code, 0, ps.stderr);
    const row = ps.stdout.split('\n').find((l) => l.startsWith('operator-grpc.default '))!;
    assert.match(row, /^operator-grpc\.default\s+\S+\s+NACKED\s+SYNCED\s+SYNCED\s+SYNCED\s/, ps.stdout);
    assert.match(ps.stdout, /operator-grpc\.default CDS NACKED .*MAGLEV/);
    assert.match(
      ps.stdout.split('\n').find((l) => l.startsWith('operator-envoy.default '))!,
      /^operator-envoy\.default\s+\S+\s+(SYNCED|STALE)\s+SYNCED\s+NOT SENT\s+/,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${pilot.monitoringPort}/metrics`)).text();
    const rejects = /^pilot_total_xds_rejects\{type="cds"\} (\d+)$/m.exec(metrics);
    assert.ok(
      rejects && Number(rejects[1]) >= 1,
      metrics
        .split('\n')
        .filter((l) => l.includes('reject'))
        .join('\n'),
    );
    assert.match(metrics, new RegExp(`^pilot_xds_cds_reject\\{node="${grpcNode.replace(/[.]/g, '\\.')}",err="[A-Z_]+"\\} 1$`, 'm'));
    assert.match(metrics, /^pilot_xds\{version="1\.24\.0"\} 1$/m);
    assert.match(metrics, /^pilot_services 1$/m);
    assert.match(metrics, /^pilot_push_triggers\{type="config"\} \d+$/m);
    assert.match(metrics, /^pilot_proxy_convergence_time_count [1-9]\d*$/m);
    assert.match(metrics, /^process_resident_memory_bytes \d+/m);
    assert.equal((await debug('/metrics')).status, 404, '/metrics is on the monitoring port, as istiod');
    const ps2 = (await (await debug('/debug/push_status')).json()) as {
      pushes: { kinds: string[]; triggers: string[]; proxies: string[] }[];
    };
    assert.deepEqual(ps2.pushes[0]!.kinds, ['DestinationRule']);
    assert.ok(ps2.pushes[0]!.proxies.includes(grpcNode), JSON.stringify(ps2.pushes[0]));
  });

  it('proxy-config prints readable tables from config_dump, and the raw form with -o', async () => {
    const t = await tspilot('proxy-config', 'clusters', 'operator-grpc.default', '--server', server());
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^SERVICE FQDN\s+PORT\s+SUBSET\s+DIRECTION\s+TYPE\s+DESTINATION RULE$/m);
    assert.match(t.stdout, new RegExp(`^${ECHO_HOST.replace(/\./g, '\\.')}\\s+9080\\s+v1\\s+outbound\\s+EDS\\s+echo\\.default$`, 'm'));
    const r = await tspilot('proxy-config', 'routes', 'operator-envoy.default', '--server', server());
    assert.match(r.stdout, /^9080\s+echo\.default\.svc\.cluster\.local:9080\s+.*\s+echo\.default$/m);
    const l = await tspilot('proxy-config', 'listeners', 'operator-grpc.default', '--server', server());
    assert.match(
      l.stdout,
      new RegExp(`^${ECHO_HOST.replace(/\./g, '\\.')}:9080\\s+-\\s+-\\s+API\\s+HTTP\\s+Route: outbound\\|9080\\|\\|echo`, 'm'),
      l.stdout,
    );
    const e = await tspilot('proxy-config', 'endpoints', 'operator-grpc.default', '--server', server());
    assert.match(e.stdout, new RegExp(`^127\\.0\\.0\\.1:${v1.port}\\s+\\S+\\s+OK\\s+outbound\\|9080\\|v1\\|echo`, 'm'), e.stdout);
    const raw = await tspilot('proxy-config', 'listeners', 'operator-grpc.default', '--server', server(), '-o', 'yaml');
    // -o yaml prints the listeners themselves, as istioctl does.
    assert.match(raw.stdout, /^- "@type": type\.googleapis\.com\/envoy\.config\.listener\.v3\.Listener$/m);
    const unknown = await tspilot('proxy-config', 'clusters', 'nobody.default', '--server', server());
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /404 .*no connected proxy "nobody\.default"/);
    const down = await tspilot('proxy-status', '--server', 'http://127.0.0.1:1');
    assert.match(down.stderr, /cannot reach tspilot/);
  });

  it('answers bad debug requests with a 4xx and a message, never a stack trace, and is read-only', async () => {
    const cases: [string, RequestInit | undefined, number, RegExp][] = [
      ['/debug/config_dump', undefined, 400, /proxyID is required/],
      ['/debug/config_dump?proxyID=ghost.nowhere', undefined, 404, /no connected proxy "ghost\.nowhere"/],
      ['/debug/config_dump?proxyID=operator-envoy.default&types=cds,xds', undefined, 400, /unknown type\(s\) xds/],
      [`/debug/config_dump?proxyID=${'x'.repeat(5000)}`, undefined, 400, /longer than 1024/],
      ['/debug/config_dump?proxyID=%E0%A4%A&types=%zz', undefined, 404, /no connected proxy/],
      ['/debug/explain?proxyID=operator-envoy.default', undefined, 400, /resource is required/],
      ['/debug/explain?proxyID=operator-envoy.default&resource=9080&type=xyz', undefined, 400, /type: "xyz" is not one of/],
      ['/debug/diff', { method: 'POST', body: '' }, 400, /request body must be the YAML/],
      ['/debug/diff', { method: 'POST', body: 'kind: VirtualService\nmetadata: {name: x\n  spec: [' }, 400, /dry-run: line \d+/],
      ['/debug/diff', { method: 'POST', body: '---\n# only a comment\n' }, 400, /no objects tspilot reads/],
      ['/debug/diff', { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) }, 413, /request body over/],
      ['/debug/diff?proxyID=ghost.nowhere', { method: 'POST', body: virtualServiceYaml(50, 50) }, 404, /no connected proxy/],
      ['/debug/diff', undefined, 405, /method GET not allowed/],
      ['/debug/syncz', { method: 'POST', body: 'x' }, 405, /not allowed/],
      ['/debug/configz', { method: 'DELETE' }, 405, /not allowed/],
      ['/debug/nope', undefined, 404, /no such endpoint/],
    ];
    for (const [p, init, status, msg] of cases) {
      const res = await debug(p, init);
      const text = await res.text();
      assert.equal(res.status, status, `${init?.method ?? 'GET'} ${p.slice(0, 80)}: ${text}`);
      const error = (JSON.parse(text) as { error: string }).error;
      assert.match(error, msg, p.slice(0, 80));
      assert.doesNotMatch(text, STACK, p.slice(0, 80));
    }
  });

  it('logs are JSON as istiod writes them (string level, a scope for every line), and /debug/connections lists the streams', async () => {
    const scopes = new Set(pilot.logs.map((l) => l['scope']));
    assert.ok(
      pilot.logs.every((l) => typeof l['scope'] === 'string' && ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(l.level)),
      JSON.stringify(pilot.logs.find((l) => typeof l['scope'] !== 'string' || typeof l.level !== 'string')),
    );
    for (const c of ['default', 'ads']) assert.ok(scopes.has(c), `no ${c} logs: ${[...scopes].join(', ')}`);
    const conns = (await (await debug('/debug/connections')).json()) as { proxy: string; types: string[] }[];
    assert.deepEqual(
      conns.filter((c) => c.proxy === sidecarNode.id).map((c) => c.types),
      [['cds', 'lds', 'rds']],
    );
  });
});
