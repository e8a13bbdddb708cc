/**
 * Real Prometheus against a running tspilot: Debian's `prometheus` (/usr/bin/prometheus; .ci/run
 * installs it) scrapes the monitoring port every second while a proxy connects, NACKs, sends a
 * stale nonce, a config file changes and the admission webhook reviews a valid and an invalid
 * object. Then every query of the shipped Grafana dashboard (deploy/grafana/
 * tspilot-control-plane.json — istiod's control-plane dashboard panels, Node.js process panels in
 * place of the Go runtime ones) is evaluated by Prometheus itself, and each must return data.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CDS, LDS, RDS } from '../proto/typeurls.js';
import { rawAds, type RawAds } from './adsclient.js';
import { REPO_ROOT, startTspilot, type Tspilot } from './tspilot.js';

const PROMETHEUS = '/usr/bin/prometheus';
const DASHBOARD = path.join(REPO_ROOT, 'deploy', 'grafana', 'tspilot-control-plane.json');
const NODE = 'sidecar~10.244.0.21~productpage-v1-7d9c8b6f5-x21.default~default.svc.cluster.local';

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const review = (uid: string, object: object): string =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      operation: 'CREATE',
      namespace: 'default',
      resource: { group: 'networking.istio.io', version: 'v1', resource: 'virtualservices' },
      object,
    },
  });

describe("e2e Prometheus scrapes tspilot and the control-plane dashboard's queries return data", function () {
  this.timeout(180_000);
  let dir: string;
  let pilot: Tspilot;
  let prom: ChildProcess | undefined;
  let promUrl: string;
  let ads: RawAds | undefined;

  before(async () => {
    assert.ok(existsSync(PROMETHEUS), `${PROMETHEUS} is missing: install Debian's prometheus package (.ci/run does)`);
    dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-prom-'));
    await cp(path.join(REPO_ROOT, 'examples', 'bookinfo'), path.join(dir, 'mesh'), { recursive: true });
    pilot = await startTspilot(path.join(dir, 'mesh'), ['--webhook-port', '0']);
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    await writeFile(
      path.join(dir, 'prometheus.yml'),
      [
        'global: {scrape_interval: 1s, evaluation_interval: 1s}',
        'scrape_configs:',
        '- job_name: tspilot',
        `  static_configs: [{targets: ['127.0.0.1:${pilot.monitoringPort}']}]`,
        '',
      ].join('\n'),
    );
    prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
  });
  after(async () => {
    ads?.close();
    if (prom && prom.exitCode === null) {
      const gone = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      const t = setTimeout(() => prom!.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    await pilot?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every panel query returns data after a proxy, a NACK, a config change and two admission reviews', async () => {
    // A proxy connects, rejects its first CDS response and later echoes a nonce that is no longer current.
    ads = rawAds(`127.0.0.1:${pilot.xdsPort}`);
    ads.send({
      typeUrl: CDS,
      node: {
        id: NODE,
        cluster: 'productpage',
        metadata: { ISTIO_VERSION: '1.24.2' },
        userAgentName: 'envoy',
        clientFeatures: [],
        locality: null,
      },
    });
    const cds = await ads.next(10_000);
    ads.send({ typeUrl: CDS, versionInfo: '', responseNonce: cds.nonce, errorDetail: { code: 3, message: 'rejected for the test' } });
    ads.send({ typeUrl: LDS });
    await ads.next(10_000);
    ads.send({ typeUrl: RDS, resourceNames: ['9080'] }); // the route config the change below edits, so it is pushed
    await ads.next(10_000);
    ads.send({ typeUrl: CDS, versionInfo: cds.version_info, responseNonce: 'no-longer-current' });
    // The webhook reviews one valid and one invalid VirtualService.
    const webhookPort = pilot.logs.find((l) => l.msg === 'listening')!['webhook'] as number;
    const post = (body: string) =>
      fetch(`http://127.0.0.1:${webhookPort}/validate`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const vs = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'r', namespace: 'default' },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }] }] },
    };
    assert.equal(((await (await post(review('a', vs))).json()) as { response: { allowed: boolean } }).response.allowed, true);
    assert.equal(
      ((await (await post(review('b', { ...vs, spec: { hosts: [] } }))).json()) as { response: { allowed: boolean } }).response.allowed,
      false,
    );
    // Scraping starts; then a config change is pushed (an update event, a push, convergence) while Prometheus watches.
    await until(
      'Prometheus to scrape tspilot',
      async () => {
        const r = (await (
          await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent('count_over_time(up{job="tspilot"}[1m])')}`)
        ).json()) as { data?: { result: { value: [number, string] }[] } };
        const n = Number(r.data?.result[0]?.value[1] ?? 0);
        return n >= 3 ? n : undefined;
      },
      90_000,
    );
    const vsFile = path.join(dir, 'mesh', 'virtual-services.yaml');
    const since = pilot.logs.length;
    await writeFile(
      vsFile,
      (await readFile(vsFile, 'utf8')).replace(
        'weight: 50\n    - destination:\n        host: reviews\n        subset: v3\n      weight: 50',
        'weight: 20\n    - destination:\n        host: reviews\n        subset: v3\n      weight: 80',
      ),
    );
    await pilot.waitForLog((l) => l.msg === 'config pushed', 15_000, since);
    assert.equal((await ads.next(10_000)).type_url, RDS); // the change reached the proxy
    await new Promise((r) => setTimeout(r, 3000)); // a few scrapes after the push

    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const queries = dashboard.panels
      .filter((p) => p.type !== 'row')
      .flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    assert.ok(queries.length >= 25, `${queries.length} queries`);
    const empty: string[] = [];
    for (const q of queries) {
      const r = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q.expr)}`)).json()) as {
        status: string;
        error?: string;
        data?: { result: unknown[] };
      };
      assert.equal(r.status, 'success', `${q.panel}: ${q.expr}: ${r.error ?? ''}`);
      if (!r.data?.result.length) empty.push(`${q.panel}: ${q.expr}`);
    }
    assert.deepEqual(empty, [], `queries without data:\n${empty.join('\n')}`);
    // And the values say what happened: one NACK of CDS, one passed and one failed review, the VirtualService update.
    const value = async (expr: string): Promise<number> => {
      const r = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      return Number(r.data.result[0]?.value[1] ?? NaN);
    };
    assert.equal(await value('sum(pilot_total_xds_rejects{type="cds"})'), 1);
    assert.equal(await value('sum(galley_validation_passed)'), 1);
    assert.equal(await value('sum(galley_validation_failed)'), 1);
    assert.ok((await value('sum(pilot_k8s_cfg_events{type="VirtualService",event="update"})')) >= 1);
    assert.equal(await value('sum(pilot_xds_expired_nonce{type="cds"})'), 1);
    assert.equal(await value('sum(istio_build{component="pilot"})'), 1);
  });
});
