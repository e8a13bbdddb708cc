/**
 * The CA in Kubernetes mode against the API server stand-in (e2e/kube): two replicas racing create
 * istio-ca-secret once and share its root; a plugged-in `cacerts` Secret wins; the root ConfigMap
 * istio-ca-root-cert appears in every discovered namespace (discoverySelectors honoured), is
 * re-created after a delete and rewritten after an edit; only the Lease holder writes, and the
 * other replica takes over when the holder goes away.
 */
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeApiServer, type FakeApiServer } from '../../e2e/kube/apiserver.js';
import { kubeConfigFor, waitFor } from '../../e2e/kube/testkit.js';
import { ROOT_CONFIGMAP, ROOT_LEASE } from './publisher.js';
import { CA_SECRET } from './kube-secrets.js';
import { startMeshCA, type RunningMeshCA, type StartMeshCAOptions } from './start.js';
import { assertChain, makeCsr, memoryLog, opensslCacerts, rmDir, tempDir } from './testkit.js';
import { createSelfSignedRoot } from './issue.js';

const NS = 'istio-system';
const ns = (name: string, labels: Record<string, string> = {}): object => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
const rootCm = (srv: FakeApiServer, n: string): string | undefined =>
  (srv.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: n, name: ROOT_CONFIGMAP })?.['data'] as Record<string, string> | undefined)?.[
    'root-cert.pem'
  ];

describe('mesh CA in Kubernetes mode (stand-in API server)', function () {
  this.timeout(30_000);
  let srv: FakeApiServer;
  let dir: string;
  const running: RunningMeshCA[] = [];
  const start = async (o: Partial<StartMeshCAOptions> = {}): Promise<RunningMeshCA> => {
    const ca = await startMeshCA({
      namespace: NS,
      kubeConfig: kubeConfigFor(srv),
      cacertsDir: path.join(dir, 'none'),
      pollMs: 100,
      lease: { durationMs: 1000, renewDeadlineMs: 800, retryMs: 100 },
      log: memoryLog(),
      ...o,
    });
    running.push(ca);
    return ca;
  };
  beforeEach(async () => {
    srv = await startFakeApiServer();
    dir = tempDir();
    for (const n of [NS, 'default', 'bookinfo', 'kube-system']) srv.create(ns(n) as never);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.close()));
    await srv.close();
    rmDir(dir);
  });

  it('two replicas racing create istio-ca-secret once and share its root', async () => {
    const [a, b] = await Promise.all([start({ publishRoots: false }), start({ publishRoots: false })]);
    const creates = srv.requests.filter((r) => r.method === 'POST' && r.resource === 'secrets');
    assert.ok(creates.length >= 1);
    assert.equal(creates.filter((r) => r.status === 201).length, 1, 'exactly one create succeeded');
    assert.equal(a!.roots()[0], b!.roots()[0]);
    const secret = srv.get({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: CA_SECRET })!;
    assert.equal(secret['type'], 'istio.io/ca-root');
    const stored = Buffer.from((secret['data'] as Record<string, string>)['ca-cert.pem']!, 'base64').toString('utf8');
    assert.equal(new X509Certificate(stored).fingerprint256, new X509Certificate(a!.roots()[0]!).fingerprint256);
    // A restart reads it back rather than making another root.
    const c = await start({ publishRoots: false });
    assert.equal(c.roots()[0], a!.roots()[0]);
    assertChain(await b!.sign(await makeCsr(), ['spiffe://cluster.local/ns/default/sa/x'], 60));
  });

  it('a plugged-in cacerts Secret wins over istio-ca-secret', async () => {
    const d = path.join(dir, 'plug');
    mkdirSync(d);
    const { root } = opensslCacerts(d);
    const data: Record<string, string> = {};
    for (const f of ['ca-cert.pem', 'ca-key.pem', 'cert-chain.pem', 'root-cert.pem'])
      data[f] = readFileSync(path.join(d, f)).toString('base64');
    srv.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cacerts', namespace: NS }, data } as never);
    const ca = await start({ publishRoots: false });
    assert.deepEqual(ca.describe(), { source: `Secret ${NS}/cacerts`, plugged: true });
    assertChain(await ca.sign(await makeCsr(), ['spiffe://cluster.local/ns/default/sa/x'], 60), root);
    assert.equal(srv.get({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: CA_SECRET }), undefined, 'no self-signed root made');
  });

  it('publishes istio-ca-root-cert in every discovered namespace, re-creates it after a delete, rewrites an edit; only the Lease holder writes', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const root = a!.roots().join('');
    await waitFor(() => ['default', 'bookinfo', NS].every((n) => rootCm(srv, n) === root), 'root ConfigMaps in every namespace', 10_000);
    assert.equal(rootCm(srv, 'kube-system'), undefined, 'kube-system is skipped, as istiod does');
    const leaders = [a!, b!].filter((c) => c.publisher!.isLeader());
    assert.equal(leaders.length, 1, 'exactly one leader');
    const follower = [a!, b!].find((c) => !c.publisher!.isLeader())!;
    assert.equal(follower.publisher!.writes, 0, 'the follower never wrote');
    // A new namespace gets it; a deleted ConfigMap comes back; an edited one is put right.
    srv.create(ns('shop') as never);
    await waitFor(() => rootCm(srv, 'shop') === root, 'a new namespace gets the root');
    srv.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'bookinfo', name: ROOT_CONFIGMAP });
    await waitFor(() => rootCm(srv, 'bookinfo') === root, 're-created after delete');
    srv.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: ROOT_CONFIGMAP },
      { data: { 'root-cert.pem': 'tampered' } },
    );
    await waitFor(() => rootCm(srv, 'default') === root, 'rewritten after an edit');
    assert.equal(follower.publisher!.writes, 0, 'still only the leader writes');
    const lease = srv.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: NS, name: ROOT_LEASE })!;
    assert.ok((lease['spec'] as { holderIdentity?: string }).holderIdentity, 'the Lease names its holder');
    // The leader goes away: the other replica takes the Lease and keeps the ConfigMaps right.
    await leaders[0]!.close();
    running.splice(running.indexOf(leaders[0]!), 1);
    await waitFor(() => follower.publisher!.isLeader(), 'the follower takes over', 5000);
    srv.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: ROOT_CONFIGMAP });
    await waitFor(() => rootCm(srv, 'shop') === root, 'the new leader re-creates it');
    assert.ok(follower.publisher!.writes > 0);
  });

  it('takes the Lease over only after it expired when the holder stops renewing (no release)', async () => {
    const t0 = new Date(Date.now()).toISOString().replace('Z', '000Z');
    srv.create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: ROOT_LEASE, namespace: NS },
      spec: { holderIdentity: 'crashed-replica', leaseDurationSeconds: 2, renewTime: t0, acquireTime: t0, leaseTransitions: 3 },
    } as never);
    // Decided by what was recorded, not by sleeping: on a loaded machine start() alone can outlast
    // the 2 s lease, so wall-clock checks around it prove nothing.
    const before = Date.now();
    const ca = await start();
    await waitFor(() => ca.publisher!.isLeader(), 'take-over after expiry', 20_000);
    const spec = srv.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: NS, name: ROOT_LEASE })!['spec'] as {
      leaseTransitions: number;
      holderIdentity: string;
      acquireTime: string;
    };
    assert.equal(spec.leaseTransitions, 4);
    assert.notEqual(spec.holderIdentity, 'crashed-replica');
    // The taker saw the record unchanged for the whole lease duration (on its own clock, which began
    // no earlier than `before`) before it wrote its acquireTime.
    const waited = Date.parse(spec.acquireTime) - before;
    assert.ok(waited > 2000, `taken over ${waited} ms after start, before the 2 s lease expired`);
    // Nothing written while another held the Lease: every ConfigMap write follows the take-over.
    const takeover = srv.requests.findIndex((r) => r.method === 'PUT' && r.resource === 'leases' && r.status === 200);
    const firstWrite = srv.requests.findIndex((r) => r.resource === 'configmaps' && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method));
    assert.ok(takeover >= 0, 'the Lease was taken over with an update');
    assert.ok(firstWrite === -1 || firstWrite > takeover, 'no ConfigMap was written before the take-over');
    await waitFor(() => rootCm(srv, 'default') === ca.roots().join(''), 'the new holder publishes');
  });

  it('honours discoverySelectors from the mesh ConfigMap', async () => {
    srv.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: NS },
      data: { mesh: 'discoverySelectors:\n- matchLabels:\n    mesh: "on"\n' },
    } as never);
    srv.create(ns('selected', { mesh: 'on' }) as never);
    const ca = await start();
    await waitFor(() => rootCm(srv, 'selected') === ca.roots().join(''), 'the selected namespace gets the root');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rootCm(srv, 'default'), undefined, 'an unselected namespace does not');
  });

  it('a rotated istio-ca-secret fires onChange and updates every root ConfigMap; a deleted one is not silently re-created', async () => {
    const log = memoryLog();
    const ca = await start({ log });
    const before = ca.roots().join('');
    await waitFor(() => rootCm(srv, 'bookinfo') === before, 'first publication');
    let changes = 0;
    ca.onChange(() => {
      changes++;
    });
    const next = await createSelfSignedRoot('cluster.local', 3600_000);
    const b64 = (t: string): string => Buffer.from(t).toString('base64');
    srv.patch(
      { apiVersion: 'v1', kind: 'Secret', namespace: NS, name: CA_SECRET },
      { data: { 'ca-cert.pem': b64(next.cert), 'ca-key.pem': b64(next.key) } },
    );
    await waitFor(() => changes > 0, 'onChange after the Secret changed');
    assert.equal(new X509Certificate(ca.roots()[0]!).fingerprint256, new X509Certificate(next.cert).fingerprint256);
    assert.ok(
      new X509Certificate(ca.serving().certChainPem).checkIssued(new X509Certificate(next.cert)),
      'new serving cert from the new root',
    );
    const after = ca.roots().join('');
    await waitFor(() => ['default', 'bookinfo', NS].every((n) => rootCm(srv, n) === after), 'every root ConfigMap updated');
    srv.delete({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: CA_SECRET });
    await waitFor(() => log.lines.some((l) => /was deleted; keeping the root in use/.test(l.msg)), 'the deletion to be noticed');
    assert.equal(ca.roots().join(''), after);
    assert.equal(
      srv.get({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: CA_SECRET }),
      undefined,
      "not re-created behind everyone's back",
    );
  });
});
