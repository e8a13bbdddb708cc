/**
 * The operator commands without a server: proxy-status states from syncz entries, translate on the
 * bundled Bookinfo (proto3 JSON that decodes back into the exact bytes the server would send),
 * explain naming the VirtualService rule behind a weighted cluster, and the dry-run diff
 * (affected and unaffected proxies; the loaded state is left as it was).
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fromProto3Json } from '../../proto/json.js';
import { CDS, RDS } from '../../proto/typeurls.js';
import { SnapshotCache } from '../cache/snapshot.js';
import { explain } from '../explain/explain.js';
import { offlineDryRun } from '../explain/dryrun.js';
import { fieldDiff, type DiffReport } from '../explain/diff.js';
import { diffCommand, explainCommand, parseMeta, translateCommand } from './commands.js';
import { loadConfigDir, resolveNode } from '../explain/offline.js';

const node = (id: string) => ({ id, metadata: {} });
import { proxyStatusTable, syncState, type SyncEntry } from './status.js';
import { fileURLToPath } from 'node:url';

/** dist/server/cli → the repository root. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BOOKINFO = path.join(REPO_ROOT, 'examples', 'bookinfo');
const PRODUCTPAGE = 'sidecar~10.244.0.21~productpage-v1-7d9c8b6f5-x21.default~default.svc.cluster.local';
const REVIEWS_V3 = 'outbound|9080|v3|reviews.default.svc.cluster.local';

describe('server/cli', () => {
  it('proxy-status: SYNCED, NOT SENT, STALE and NACKED with the error text', () => {
    const t = (
      sent: string,
      nonce: string,
      acked: string,
      ackedNonce: string,
      nack: SyncEntry['types'][string] extends infer X ? (X extends { nack: infer N } ? N : never) : never,
    ) => ({ sent, nonce, acked, ackedNonce, nack });
    const e: SyncEntry = {
      proxy: 'sidecar~10.0.0.1~app-1.default~default.svc.cluster.local',
      istio_version: '1.24.0',
      transport: 'sotw',
      cluster_id: 'Kubernetes',
      istiod: 'tspilot-0',
      types: {
        cds: t('v2', '4', 'v1', '4', { version: 'v2', nonce: '4', error: 'unsupported lb_policy: MAGLEV' }),
        lds: t('l1', '1', 'l1', '1', null),
        rds: t('r2', '5', 'r1', '3', null),
      },
    };
    assert.equal(syncState(e.types['cds']), 'NACKED');
    assert.equal(syncState(e.types['lds']), 'SYNCED');
    assert.equal(syncState(e.types['rds']), 'STALE');
    assert.equal(syncState(e.types['eds']), 'NOT SENT');
    // A NACK of an older response, with a newer one not answered yet, is STALE.
    assert.equal(syncState(t('v3', '6', 'v1', '4', { version: 'v2', nonce: '4', error: 'x' })), 'STALE');
    const out = proxyStatusTable([e]);
    const [header, row] = out.split('\n');
    // istioctl's columns: NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION.
    assert.match(header!, /^NAME\s+CLUSTER\s+CDS\s+LDS\s+EDS\s+RDS\s+ECDS\s+ISTIOD\s+VERSION$/);
    assert.match(row!, /^app-1\.default\s+Kubernetes\s+NACKED\s+SYNCED\s+NOT SENT\s+STALE\s+NOT SENT\s+tspilot-0\s+1\.24\.0$/);
    // No ISTIO_VERSION (a proxyless client): the user agent version with istioctl's "*".
    assert.match(proxyStatusTable([{ ...e, istio_version: '', proxy_version: '1.14.1' }]).split('\n')[1]!, /\s1\.14\.1\*$/);
    assert.match(out, /app-1\.default CDS NACKED version v2 \(nonce 4\): unsupported lb_policy: MAGLEV/);
  });

  it('translate: Bookinfo for productpage as proto3 JSON that decodes to the bytes the server would send', async () => {
    const r = await translateCommand({ configDir: BOOKINFO, proxy: PRODUCTPAGE, output: 'json' });
    assert.equal(r.code, 0, r.out);
    const out = JSON.parse(r.out) as { types: Record<string, { version: string; resources: { '@type': string; name: string }[] }> };
    assert.deepEqual(Object.keys(out.types), ['cds', 'eds', 'lds', 'rds']);
    const { mesh } = await loadConfigDir(BOOKINFO);
    const snap = new SnapshotCache(mesh).forProxy(resolveNode(mesh, PRODUCTPAGE));
    const names = out.types['cds']!.resources.map((c) => c.name);
    assert.ok(names.includes(REVIEWS_V3), names.join(', '));
    for (const c of out.types['cds']!.resources) {
      const { '@type': type, ...body } = c;
      assert.equal(type, CDS);
      assert.deepEqual(fromProto3Json('envoy.config.cluster.v3.Cluster', body), snap.get(CDS, c.name)!.bytes, c.name);
    }
    const rds = await translateCommand(
      { configDir: BOOKINFO, proxy: PRODUCTPAGE, type: 'rds', resource: ['9080', 'nope'], output: 'yaml' },
      (w) => assert.match(w, /no resource named "nope"/),
    );
    assert.match(rds.out, /^types:\n  rds:$/m);
    assert.doesNotMatch(rds.out, /^  cds:$/m);
    const bad = await translateCommand({ configDir: BOOKINFO, proxy: 'not-a-node' });
    assert.equal(bad.code, 1);
    assert.match(bad.out, /--proxy: node id "not-a-node" must have 4 parts/);
    const noDir = await translateCommand({ configDir: '/nonexistent/tspilot', proxy: PRODUCTPAGE });
    assert.match(noDir.out, /cannot read config folder/);
    // --mesh-config is read as serve reads it: istiod's default connect timeout is replaced.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-cli-'));
    try {
      await writeFile(path.join(dir, 'mesh.yaml'), 'connectTimeout: 3s\n');
      const withMesh = await translateCommand({
        configDir: BOOKINFO,
        proxy: PRODUCTPAGE,
        type: 'cds',
        resource: [REVIEWS_V3],
        meshConfig: path.join(dir, 'mesh.yaml'),
      });
      const c = (JSON.parse(withMesh.out) as { types: { cds: { resources: { connectTimeout: string }[] } } }).types.cds.resources[0]!;
      assert.equal(c.connectTimeout, '3s');
      assert.equal(
        (out.types['cds']!.resources.find((x) => x.name === REVIEWS_V3) as unknown as { connectTimeout: string }).connectTimeout,
        '10s',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--meta: struct-valued metadata such as LABELS is read as JSON, so the proxy gets those labels; bad JSON names the key', async () => {
    const meta = parseMeta(['LABELS={"app":"reviews","version":"v3"}', 'CLUSTER_ID=Kubernetes']);
    assert.deepEqual(meta, { LABELS: { app: 'reviews', version: 'v3' }, CLUSTER_ID: 'Kubernetes' });
    const { mesh } = await loadConfigDir(BOOKINFO);
    const p = resolveNode(mesh, 'sidecar~10.9.9.9~vm-1.default~default.svc.cluster.local', meta);
    assert.equal(p.labels['version'], 'v3');
    assert.throws(() => parseMeta(['LABELS={app: reviews}']), /--meta LABELS: the value looks like JSON but does not parse/);
  });

  it('explain: the VirtualService rule and weight behind a cluster in a route, and the DestinationRule subset of a cluster', async () => {
    const { mesh } = await loadConfigDir(BOOKINFO);
    const snap = new SnapshotCache(mesh).forProxy(resolveNode(mesh, PRODUCTPAGE));
    const [vh] = explain(mesh, snap, 'reviews.default.svc.cluster.local:9080', 'vhost');
    assert.ok(vh, 'virtual host found');
    assert.ok(vh.lines.includes(`VirtualService default/reviews http[1].route[1]: weight 50 → ${REVIEWS_V3}`), vh.lines.join('\n'));
    const vs = vh.configs.find((c) => c.kind === 'VirtualService')!;
    assert.equal(vs.file, path.join(BOOKINFO, 'virtual-services.yaml'));
    assert.deepEqual(vs.rules, ['http[0]', 'http[1]']);
    const [cl] = explain(mesh, snap, REVIEWS_V3, 'cds');
    assert.ok(
      cl!.lines.some((l) => l.startsWith('DestinationRule default/reviews subsets[2] (v3): endpoints labelled version=v3')),
      cl!.lines.join('\n'),
    );
    assert.ok(
      cl!.lines.includes(`used by route configuration 9080: VirtualService default/reviews http[1].route[1]: weight 50 → ${REVIEWS_V3}`),
      cl!.lines.join('\n'),
    );
    assert.deepEqual(
      cl!.configs.map((c) => `${c.kind} ${c.namespace}/${c.name}`),
      ['DestinationRule default/reviews', 'Service default/reviews', 'VirtualService default/reviews'],
    );
    const [unused] = explain(mesh, snap, 'outbound|9080|v1|productpage.default.svc.cluster.local', 'cds');
    assert.ok(
      unused!.lines.includes('no route of this proxy sends traffic to outbound|9080|v1|productpage.default.svc.cluster.local'),
      unused!.lines.join('\n'),
    );
    assert.deepEqual(explain(mesh, snap, 'no-such-thing'), []);
    const text = await explainCommand({ resource: '9080', proxy: PRODUCTPAGE, configDir: BOOKINFO, type: 'rds' });
    assert.match(text.out, /^RDS 9080$/m);
    assert.match(text.out, /VirtualService default\/ratings \(generation \d+\) from .*virtual-services\.yaml: http\[0\]/);
  });

  it('diff: a route change shows per proxy class, unrelated classes are unaffected, the loaded state is untouched', async () => {
    const loaded = await loadConfigDir(BOOKINFO);
    const before = loaded.mesh;
    const objectsBefore = new Map(loaded.state.objects);
    const change = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v3}
`;
    const other = node('sidecar~10.9.0.1~app.other~other.svc.cluster.local');
    const r = offlineDryRun(loaded.state, before, change, 'change.yaml', [node(PRODUCTPAGE), other]);
    assert.ok(r.ok);
    assert.deepEqual(r.report.applied, ['VirtualService/default/reviews']);
    const pp = r.report.affected.find((a) => a.proxies.includes(PRODUCTPAGE));
    assert.ok(pp, JSON.stringify(r.report));
    assert.deepEqual(Object.keys(pp.types), ['rds'], 'only routes change');
    assert.deepEqual(
      pp.types.rds!.changed.map((c) => c.name),
      ['9080'],
    );
    // The new rule is unnamed (istiod leaves such routes unnamed), so the diff shows the vhost's route list.
    assert.ok(
      pp.types.rds!.changed[0]!.fields.some(
        (f) =>
          f.startsWith('virtualHosts[name=reviews.default.svc.cluster.local:9080].routes:') &&
          f.includes('→ [{"match":{"prefix":"/"},"route":{"cluster":"outbound|9080|v3|reviews'),
      ),
      pp.types.rds!.changed[0]!.fields.join('\n'),
    );
    assert.deepEqual(loaded.state.objects, objectsBefore, 'the loaded state is not changed by a dry run');
    const fresh = (await loadConfigDir(BOOKINFO)).mesh;
    assert.equal(
      new SnapshotCache(before).forProxy(resolveNode(before, PRODUCTPAGE)).get(RDS, '9080')!.version,
      new SnapshotCache(fresh).forProxy(resolveNode(fresh, PRODUCTPAGE)).get(RDS, '9080')!.version,
    );
    // A gateway proxy (no Gateway binds this VirtualService) is listed as unaffected.
    const gw = node('router~10.9.0.9~ingress.istio-system~istio-system.svc.cluster.local');
    const r2 = offlineDryRun(loaded.state, before, change, 'change.yaml', [node(PRODUCTPAGE), gw]);
    assert.ok(r2.ok);
    assert.deepEqual(
      r2.report.unaffected.map((u) => u.proxies),
      [[gw.id]],
    );
    assert.deepEqual(
      r2.report.affected.map((u) => u.proxies),
      [[PRODUCTPAGE]],
    );
    // An invalid change is reported as rejected and pushes nothing.
    const bad = offlineDryRun(loaded.state, before, change.replace('subset: v3', 'subset: v9'), 'change.yaml', [node(PRODUCTPAGE)]);
    assert.ok(bad.ok);
    assert.equal(bad.report.affected.length, 0, JSON.stringify(bad.report.affected));
    assert.equal(bad.report.unaffected.length, 1);
    assert.deepEqual(bad.report.applied, []);
    assert.match(
      bad.report.rejected.map((j) => `${j.key} ${j.field}: ${j.reason}`).join('\n'),
      /VirtualService\/default\/reviews .*subset.*v9/,
    );
  });

  it('diff command on examples/bookinfo-changes: each changed resource once, with the classes it reaches and its full changed paths', async () => {
    const r = await diffCommand({
      apply: path.join(REPO_ROOT, 'examples', 'bookinfo-changes', 'reviews-v3-canary.yaml'),
      configDir: BOOKINFO,
    });
    assert.equal(r.code, 0, r.out);
    // Six sidecar classes get the same route change: listed once, not six times.
    assert.equal(r.out.match(/^RDS ~ 9080$/gm)?.length, 1, r.out);
    assert.match(r.out, /reaches every affected class \(6 proxy classes, 6 proxies\)/);
    const split = 'virtualHosts[name=reviews.default.svc.cluster.local:9080].routes[name=split].route';
    assert.ok(
      r.out.includes(`    ${split}.weightedClusters.clusters[name=outbound|9080|v3|reviews.default.svc.cluster.local].weight: 50 → 90`),
      r.out,
    );
    assert.ok(r.out.includes(`    ${split}.timeout: "0s" → "3s"`), r.out);
    const json = JSON.parse(
      (
        await diffCommand({
          apply: path.join(REPO_ROOT, 'examples', 'bookinfo-changes', 'reviews-v3-canary.yaml'),
          configDir: BOOKINFO,
          output: 'json',
        })
      ).out,
    ) as DiffReport;
    assert.deepEqual(
      json.changes.map((c) => [c.type, c.op, c.name, c.proxyClasses.length, c.proxies]),
      [['rds', 'changed', '9080', 6, 6]],
    );
  });

  it('fieldDiff: an object that appears is listed leaf by leaf, never cut', () => {
    const long = 'outbound|9080|v3|reviews.default.svc.cluster.local';
    const f = fieldDiff(
      { route: { cluster: long } },
      { route: { weightedClusters: { clusters: [{ name: long, weight: 100 }] }, timeout: '3s' } },
    );
    assert.deepEqual(f, [
      `route.cluster: "${long}" → (unset)`,
      'route.timeout: (unset) → "3s"',
      `route.weightedClusters.clusters: (unset) → [{"name":"${long}","weight":100}]`,
    ]);
  });

  it('diff command: reads the change file, reports unreadable input clearly', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-cli-'));
    try {
      const f = path.join(dir, 'change.yaml');
      await writeFile(f, 'kind: VirtualService\nmetadata: {name: x\n  spec: [');
      const r = await diffCommand({ apply: f, configDir: BOOKINFO });
      assert.equal(r.code, 1);
      assert.match(r.out, /change\.yaml: line \d+/);
      const missing = await diffCommand({ apply: path.join(dir, 'nope.yaml'), configDir: BOOKINFO });
      assert.match(missing.out, /--apply: cannot read/);
      const down = await diffCommand({ apply: f, server: 'http://127.0.0.1:1' });
      assert.match(down.out, /cannot reach tspilot at http:\/\/127\.0\.0\.1:1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
