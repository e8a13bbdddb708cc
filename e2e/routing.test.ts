/**
 * End to end, issue #2: the real tspilot process serves a folder of YAML; both real xDS clients
 * (grpc-js-xds and gRPC C-core) route real RPCs to two real gRPC backends as the VirtualService
 * says, follow an edit of the file, and ACK every type. One suite, run for each client.
 */
import { strict as assert } from 'node:assert';
import type { XdsClient, XdsClientKind } from './clients/driver.js';
import type { Tspilot } from './tspilot.js';
import { fromProto3Json, toProto3Json } from '../proto/json.js';
import { DESTINATION_RULE, ECHO_TARGET, virtualServiceYaml } from './fixtures/echo-mesh.js';
import { echoRig, type EchoRig } from './fixtures/echo-rig.js';

interface SyncEntry {
  proxy: string;
  types: Record<string, { sent: string; acked: string; nack: { error: string } | null; responses: number }>;
}

function count(results: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const r of results) c[r] = (c[r] ?? 0) + 1;
  return c;
}

for (const kind of ['grpc-js', 'c-core'] as XdsClientKind[]) {
  describe(`e2e routing with the real ${kind} xDS client`, function () {
    this.timeout(120_000);
    let rig: EchoRig, pilot: Tspilot, client: XdsClient, folder: EchoRig['folder'];
    const nodeId = `sidecar~127.0.0.1~client-${kind}.default~default.svc.cluster.local`;
    before(async () => {
      rig = await echoRig(kind, {
        workload: `client-${kind}`,
        files: { 'destination-rule.yaml': DESTINATION_RULE, 'virtual-service.yaml': virtualServiceYaml(80, 20) },
      });
      ({ pilot, client, folder } = rig);
    });
    after(() => rig?.close());

    async function syncOf(): Promise<SyncEntry> {
      const { body } = await pilot.getJson<SyncEntry[]>('/debug/syncz');
      const mine = body.filter((s) => s.proxy === nodeId);
      assert.equal(mine.length, 1, `expected one stream for ${nodeId} in syncz, got ${mine.length}`);
      return mine[0]!;
    }

    it('splits 200 RPCs 80/20 between v1 and v2 (±10 points)', async () => {
      const results = await client.rpc(ECHO_TARGET, 200);
      const c = count(results);
      assert.equal((c['v1'] ?? 0) + (c['v2'] ?? 0), 200, `every RPC should succeed: ${JSON.stringify(c)}\n${client.stderrTail()}`);
      const share = (c['v1'] ?? 0) / 2;
      assert.ok(share >= 70 && share <= 90, `v1 share ${share}% not within 80±10 (${JSON.stringify(c)})`);
    });

    it('sends every end-user: jason RPC to v2', async () => {
      const results = await client.rpc(ECHO_TARGET, 20, { 'end-user': 'jason' });
      assert.deepEqual(count(results), { v2: 20 });
    });

    it('ACKed every type it was sent (as recorded by the server)', async () => {
      const s = await syncOf();
      for (const t of ['lds', 'rds', 'cds', 'eds']) {
        const ts = s.types[t];
        assert.ok(ts, `no ${t} state for the client: ${JSON.stringify(s.types)}`);
        assert.ok(ts.sent, `${t}: nothing sent`);
        assert.equal(ts.acked, ts.sent, `${t}: acked ${ts.acked} != sent ${ts.sent}`);
        assert.equal(ts.nack, null, `${t}: NACK ${JSON.stringify(ts.nack)}`);
      }
    });

    it('shows what it was sent in /debug/config_dump (proto3 JSON that parses back into ConfigDump)', async () => {
      const ready = await fetch(`http://127.0.0.1:${pilot.monitoringPort}/ready`);
      assert.equal(ready.status, 200);
      const { status, body } = await pilot.getJson<{
        configs: {
          '@type': string;
          dynamicActiveClusters?: { cluster: { name: string; '@type': string } }[];
          dynamicListeners?: { name: string }[];
          dynamicEndpointConfigs?: unknown[];
        }[];
      }>(`/debug/config_dump?proxyID=client-${kind}.default&include_eds=true`);
      assert.equal(status, 200);
      assert.deepEqual(
        body.configs.map((c) => c['@type']),
        ['ClustersConfigDump', 'ListenersConfigDump', 'RoutesConfigDump', 'EndpointsConfigDump'].map(
          (t) => `type.googleapis.com/envoy.admin.v3.${t}`,
        ),
      );
      const clusters = body.configs[0]!.dynamicActiveClusters!.map((c) => c.cluster.name).sort();
      // gRPC clients subscribe to the clusters their routes name: the two subsets.
      assert.deepEqual(clusters, ['outbound|9080|v1|echo.default.svc.cluster.local', 'outbound|9080|v2|echo.default.svc.cluster.local']);
      assert.deepEqual(
        body.configs[1]!.dynamicListeners!.map((l) => l.name),
        ['echo.default.svc.cluster.local:9080'],
      );
      // protojson-compatible: it decodes into envoy.admin.v3.ConfigDump and re-renders identically.
      const bytes = fromProto3Json('envoy.admin.v3.ConfigDump', body);
      assert.deepEqual(toProto3Json('envoy.admin.v3.ConfigDump', bytes), body);
      const unknown = await pilot.getJson<{ error: string }>('/debug/config_dump?proxyID=nobody.default');
      assert.equal(unknown.status, 404);
      assert.match(unknown.body.error, /no connected proxy "nobody.default"/);
    });

    it('follows an edit of the VirtualService file to 100% v2, and ACKs the new routes', async () => {
      const prior = await syncOf();
      const before = prior.types['rds']!.sent;
      const wroteAt = Date.now();
      await folder.write('virtual-service.yaml', virtualServiceYaml(0, 100));
      const r = await client.until(ECHO_TARGET, 'v2', { consecutive: 30, timeoutMs: 30_000 });
      assert.ok(r.ok, `clients did not converge on v2: ${JSON.stringify(r)}`);
      const ms = r.firstAtMs - wroteAt;
      console.log(`      ${kind}: file write → first RPC on the new route: ${ms} ms`);
      assert.ok(ms > -50, 'the new route cannot be seen before the file was written');
      const after = await syncOf();
      assert.notEqual(after.types['rds']!.sent, before, 'RDS should have a new version');
      assert.equal(after.types['rds']!.acked, after.types['rds']!.sent);
      // Only routes changed: clusters were not resent (the 0-weight v1 cluster simply stays subscribed).
      assert.equal(after.types['cds']!.responses, prior.types['cds']!.responses, 'CDS must not be resent for a route-only change');
    });
  });
}
