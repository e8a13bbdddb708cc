/**
 * istioctl against tspilot, end to end. istioctl's xDS-based commands (`proxy-status
 * --xds-address`, `istioctl x … --xds-address`) open an ADS stream as the node
 * `debug~0.0.0.0~istioctl~cluster.local` and send `istio.io/debug/syncz` or
 * `istio.io/debug/config_dump`; the answers must parse as istioctl parses them: each syncz
 * resource unmarshalled as envoy.service.status.v3.ClientConfig (generic_xds_configs' type_url and
 * config_status), config_dump resources as envoy.admin.v3 *ConfigDump Anys, and the response's
 * control_plane.identifier as JSON IstioControlPlaneInstance. The real server process answers on
 * the plaintext port; on the TLS port the caller must authenticate and, outside the system
 * namespace, sees only its own namespace's proxies. Also tspilot's own proxy-status and
 * proxy-config with istioctl's spellings, filters and pod naming, against the running server.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { messageType } from '../proto/registry.js';
import { CDS, LDS, RDS, EDS } from '../proto/typeurls.js';
import { structToJson } from '../proto/struct.js';
import type { WireNode } from '../proto/wire.js';
import { SnapshotCache } from '../server/cache/snapshot.js';
import { AdsEngine } from '../server/xds/ads.js';
import { DebugTypes } from '../server/xds/debugtypes.js';
import { startXdsTlsServer, type XdsTlsServer } from '../server/xds/grpc-tls.js';
import { ChainAuthenticator } from '../server/security/authn.js';
import { JwtKeysAuthenticator } from '../server/security/jwt-keys.js';
import { configDumpConfigs } from '../server/http/configdump.js';
import { fixtureYaml } from '../server/xds/conformance/fixture.js';
import { meshOf } from '../server/xds/conformance/harness.js';
import { proxyConfig, proxyStatus } from '../server/cli/live.js';
import { rawAds, type DecodedResponse, type RawAds } from './adsclient.js';
import { REPO_ROOT, startTspilot, type Tspilot } from './tspilot.js';
import { ISTIOD_SAN, TestMeshCA, testRoot, type TestRoot } from './security/testca.js';

const ISTIOCTL: WireNode = {
  id: 'debug~0.0.0.0~istioctl~cluster.local',
  cluster: '',
  metadata: {},
  userAgentName: '',
  clientFeatures: [],
  locality: null,
};
const PRODUCTPAGE = 'sidecar~10.244.0.21~productpage-v1-7d9c8b6f5-x21.default~default.svc.cluster.local';
const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

interface ClientConfig {
  node: { id: string; metadata: { fields?: Record<string, never> } };
  generic_xds_configs: { type_url: string; config_status: string }[];
}

/** What istioctl does with a syncz answer: UnmarshalTo(ClientConfig) on each resource. */
function clientConfigs(r: DecodedResponse): ClientConfig[] {
  const t = messageType('envoy.service.status.v3.ClientConfig');
  return r.resources.map((a) => {
    assert.equal(a.type_url, 'type.googleapis.com/envoy.service.status.v3.ClientConfig');
    return t.toObject(t.decode(a.value), { enums: String, defaults: true, arrays: true }) as ClientConfig;
  });
}

/** istioctl's CpInfo: control_plane.identifier as JSON {Component, ID, Info.version}. */
function cpInfo(r: DecodedResponse): { Component: string; ID: string; Info: { version: string } } {
  const id = (r as DecodedResponse & { control_plane?: { identifier: string } }).control_plane?.identifier ?? '';
  return JSON.parse(id) as { Component: string; ID: string; Info: { version: string } };
}

const statusOf = (c: ClientConfig, typeUrl: string): string | undefined =>
  c.generic_xds_configs.find((x) => x.type_url === typeUrl)?.config_status;

describe('e2e istioctl debug requests over xDS, and proxy-status/proxy-config as istioctl spells them', function () {
  this.timeout(90_000);
  let pilot: Tspilot;
  let sidecar: RawAds;
  const open: RawAds[] = [];
  const dial = (): RawAds => {
    const c = rawAds(`127.0.0.1:${pilot.xdsPort}`);
    open.push(c);
    return c;
  };
  const server = (): string => `http://127.0.0.1:${pilot.monitoringPort}`;

  before(async () => {
    pilot = await startTspilot(path.join(REPO_ROOT, 'examples', 'bookinfo'));
    sidecar = dial();
    const node: WireNode = {
      ...ISTIOCTL,
      id: PRODUCTPAGE,
      cluster: 'productpage',
      metadata: { ISTIO_VERSION: '1.24.2', CLUSTER_ID: 'Kubernetes', NAMESPACE: 'default' },
    };
    sidecar.send({ typeUrl: CDS, node });
    const cds = await sidecar.next(10_000);
    sidecar.send({ typeUrl: CDS, versionInfo: cds.version_info, responseNonce: cds.nonce }); // ACK
    sidecar.send({ typeUrl: LDS });
    const lds = await sidecar.next(10_000);
    sidecar.send({
      typeUrl: LDS,
      versionInfo: '',
      responseNonce: lds.nonce,
      errorDetail: { code: 3, message: 'listener rejected for the test' },
    }); // NACK
    sidecar.send({ typeUrl: RDS, resourceNames: ['9080'] });
    await sidecar.next(10_000);
    sidecar.send({ typeUrl: EDS, resourceNames: [REVIEWS] });
    await sidecar.next(10_000);
    // The ACK/NACK are processed in order on the stream; syncz reflects them once the EDS answer is back.
  });
  after(async () => {
    for (const c of open) c.close();
    await pilot?.close();
  });

  it("istio.io/debug/syncz: one ClientConfig per proxy with istiod's per-type statuses, and istiod's control-plane identifier", async () => {
    const c = dial();
    c.send({ typeUrl: 'istio.io/debug/syncz', node: ISTIOCTL });
    const r = await c.next();
    assert.equal(r.type_url, 'istio.io/debug/syncz');
    const all = clientConfigs(r);
    const pp = all.find((x) => x.node.id === PRODUCTPAGE);
    assert.ok(pp, all.map((x) => x.node.id).join(', '));
    assert.equal(statusOf(pp, CDS), 'SYNCED');
    assert.equal(statusOf(pp, LDS), 'STALE'); // the NACK: istiod's debugSyncStatus says STALE (never CSDS's ERROR)
    assert.equal(statusOf(pp, RDS), 'STALE'); // sent, not acknowledged
    assert.equal(statusOf(pp, EDS), 'STALE');
    assert.equal(statusOf(pp, 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig'), 'NOT_SENT');
    // istioctl reads CLUSTER_ID from the node metadata for its CLUSTER column.
    assert.equal(structToJson(pp.node.metadata)['CLUSTER_ID'], 'Kubernetes');
    const cp = cpInfo(r);
    assert.equal(cp.Component, 'istiod');
    assert.ok(cp.ID && cp.Info.version, JSON.stringify(cp));
    // The istioctl node was never registered as a proxy.
    assert.ok(!all.some((x) => x.node.id.startsWith('debug~')));
    const syncz = await pilot.getJson<{ proxy: string }[]>('/debug/syncz');
    assert.ok(!syncz.body.some((s) => s.proxy.startsWith('debug~')), JSON.stringify(syncz.body.map((s) => s.proxy)));
  });

  it("istio.io/debug/config_dump: the proxy's admin config dumps, by pod.namespace; an unknown proxy gets an empty answer", async () => {
    const c = dial();
    c.send({ typeUrl: 'istio.io/debug/config_dump', node: ISTIOCTL, resourceNames: ['productpage-v1-7d9c8b6f5-x21.default'] });
    const r = await c.next();
    const types = r.resources.map((a) => a.type_url);
    assert.deepEqual(types, [
      'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
      'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
      'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
    ]);
    const t = messageType('envoy.admin.v3.ClustersConfigDump');
    const dump = t.toObject(t.decode(r.resources[0]!.value), { defaults: true, arrays: true }) as {
      dynamic_active_clusters: { cluster: { value: Uint8Array } }[];
    };
    const ct = messageType('envoy.config.cluster.v3.Cluster');
    const names = dump.dynamic_active_clusters.map((e) => (ct.decode(e.cluster.value) as unknown as { name: string }).name);
    assert.ok(names.includes(REVIEWS), names.join(', '));
    c.send({ typeUrl: 'istio.io/debug/config_dump', node: ISTIOCTL, resourceNames: ['nobody.default'] });
    const none = await c.next();
    assert.equal(none.resources.length, 0);
  });

  it("istio.io/debug (istioctl x internal-debug): the debug endpoint's body in an Any typed istio.io/debug", async () => {
    const c = dial();
    c.send({ typeUrl: 'istio.io/debug', node: ISTIOCTL, resourceNames: ['syncz'] });
    const r = await c.next();
    assert.equal(r.resources[0]!.type_url, 'istio.io/debug');
    const body = JSON.parse(new TextDecoder().decode(r.resources[0]!.value)) as { proxy: string }[];
    assert.ok(body.some((s) => s.proxy === PRODUCTPAGE));
    // Only debug endpoints: a path that resolves elsewhere (the v1 API on the same router) is refused.
    const out = dial();
    out.send({ typeUrl: 'istio.io/debug', node: ISTIOCTL, resourceNames: ['../v1/registration'] });
    const st = await out.status;
    assert.equal(st.code, 3, st.details);
    assert.match(st.details, /is not a debug path/);
  });

  it("proxy-status: istioctl's columns, the answering replica and the proxy's ISTIO_VERSION; a pod named without namespace is in default", async () => {
    const r = await proxyStatus({ server: server(), proxy: 'productpage-v1-7d9c8b6f5-x21' });
    assert.equal(r.code, 0, r.out);
    const [header, row] = r.out.split('\n');
    assert.match(header!, /^NAME\s+CLUSTER\s+CDS\s+LDS\s+EDS\s+RDS\s+ECDS\s+ISTIOD\s+VERSION$/);
    assert.match(
      row!,
      /^productpage-v1-7d9c8b6f5-x21\.default\s+Kubernetes\s+SYNCED\s+NACKED\s+STALE\s+STALE\s+NOT SENT\s+\S+\s+1\.24\.2$/,
    );
    assert.match(r.out, /LDS NACKED .*listener rejected for the test/);
  });

  it("proxy-config: singular, plural and short sections, istioctl's filters, -n, deployment/ names, -o json and short", async () => {
    const base = { server: server(), proxy: 'productpage-v1-7d9c8b6f5-x21' };
    const one = await proxyConfig({
      ...base,
      section: 'cluster',
      fqdn: 'reviews.default.svc.cluster.local',
      port: 9080,
      direction: 'outbound',
    });
    assert.equal(one.code, 0, one.out);
    const rows = one.out.trim().split('\n').slice(1);
    assert.ok(rows.length >= 1 && rows.every((l) => l.startsWith('reviews.default.svc.cluster.local')), one.out);
    const plural = await proxyConfig({ ...base, section: 'clusters', subset: 'v3', output: 'json' });
    const items = JSON.parse(plural.out) as { name: string }[];
    assert.deepEqual(
      items.map((c) => c.name),
      ['outbound|9080|v3|reviews.default.svc.cluster.local'],
    );
    const byDeployment = await proxyConfig({
      ...base,
      proxy: 'deployment/productpage-v1',
      namespace: 'default',
      section: 'c',
      fqdn: 'ratings.default.svc.cluster.local',
      subset: '',
    });
    assert.match(byDeployment.out, /^ratings\.default\.svc\.cluster\.local\s+9080\s+-\s+outbound/m);
    const routes = await proxyConfig({ ...base, section: 'route', name: '9080' });
    assert.match(routes.out, /^9080\s+reviews\.default\.svc\.cluster\.local:9080/m);
    assert.ok(
      routes.out
        .trim()
        .split('\n')
        .slice(1)
        .every((l) => l.startsWith('9080 ')),
      routes.out,
    );
    const boot = await proxyConfig({ ...base, section: 'bootstrap' });
    assert.match(boot.out, /ISTIO_VERSION\s+1\.24\.2/);
    const wrongNs = await proxyConfig({ ...base, namespace: 'other', section: 'cluster' });
    assert.equal(wrongNs.code, 1);
    assert.match(wrongNs.out, /no connected proxy "productpage-v1-7d9c8b6f5-x21\.other"/);
    const bad = await proxyConfig({ ...base, section: 'clustr' });
    assert.match(bad.out, /"clustr" is not one of cluster, listener/);
  });

  it('lists in the /debug index only paths the port serves (no /debug/v1z on the monitoring port)', async () => {
    const mon = (await (await fetch(`${server()}/debug`)).json()) as string[];
    assert.ok(!mon.some((p) => p.startsWith('/debug/v1z')), mon.join(', '));
    for (const p of mon.filter((x) => !x.startsWith('POST ') && !x.includes('?'))) {
      assert.notEqual((await fetch(`${server()}${p}`)).status, 404, p);
    }
    const http = (await pilot.getJson<string[]>('/debug')).body;
    assert.ok(http.includes('/debug/v1z?proxyID='), http.join(', '));
  });
});

describe("e2e istioctl debug requests on the TLS port (istiod's authorization)", function () {
  this.timeout(60_000);
  let root: TestRoot;
  let server: XdsTlsServer;
  let engine: AdsEngine;
  let dir: string;
  let sign: (sub: string) => Promise<string>;
  const open: RawAds[] = [];
  const dial = (token?: string): RawAds => {
    const c = rawAds(`127.0.0.1:${server.port}`, undefined, {
      credentials: grpc.credentials.createSsl(Buffer.from(root.certPem)),
      channelOptions: { 'grpc.ssl_target_name_override': ISTIOD_SAN, 'grpc.default_authority': ISTIOD_SAN },
      metadata: token ? { authorization: `Bearer ${token}` } : {},
    });
    open.push(c);
    return c;
  };
  const sidecarIn = async (ns: string): Promise<void> => {
    const c = dial(await sign(`system:serviceaccount:${ns}:app`));
    c.send({
      typeUrl: CDS,
      node: { ...ISTIOCTL, id: `sidecar~10.0.0.9~app-1.${ns}~${ns}.svc.cluster.local`, metadata: { NAMESPACE: ns } },
    });
    await c.next(10_000);
  };

  before(async () => {
    root = await testRoot();
    const ca = await TestMeshCA.create(root);
    engine = new AdsEngine(new SnapshotCache(meshOf(fixtureYaml())), {}, Date.now, {
      debugTypes: new DebugTypes({
        systemNamespace: 'istio-system',
        controlPlane: '{"Component":"istiod","ID":"test","Info":{"version":"0"}}',
        configDump: (s) => configDumpConfigs(s),
      }),
    });
    dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-debugtls-'));
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    await writeFile(
      path.join(dir, 'jwks.json'),
      JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }),
    );
    sign = (sub) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ sub })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('test-issuer')
        .setAudience('istio-ca')
        .setIssuedAt(now - 60)
        .setExpirationTime(now + 3600)
        .sign(privateKey);
    };
    const jwt = new JwtKeysAuthenticator({ file: path.join(dir, 'jwks.json'), trustDomain: () => 'cluster.local', issuer: 'test-issuer' });
    server = await startXdsTlsServer(engine, '127.0.0.1', 0, { ca, authenticator: new ChainAuthenticator([jwt]) });
    await sidecarIn('default');
    await sidecarIn('shop');
  });
  after(async () => {
    for (const c of open) c.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a caller without credentials (UNAUTHENTICATED), as istiod since ENABLE_DEBUG_ENDPOINT_AUTH', async () => {
    const c = dial();
    c.send({ typeUrl: 'istio.io/debug/syncz', node: ISTIOCTL });
    const st = await c.status;
    assert.equal(st.code, grpc.status.UNAUTHENTICATED, st.details);
  });

  it('an identity in istio-system sees every proxy', async () => {
    const c = dial(await sign('system:serviceaccount:istio-system:istioctl'));
    c.send({ typeUrl: 'istio.io/debug/syncz', node: ISTIOCTL });
    const ids = clientConfigs(await c.next())
      .map((x) => x.node.id)
      .sort();
    assert.deepEqual(ids, [
      'sidecar~10.0.0.9~app-1.default~default.svc.cluster.local',
      'sidecar~10.0.0.9~app-1.shop~shop.svc.cluster.local',
    ]);
  });

  it("an identity in another namespace sees only its namespace's proxies and config dumps", async () => {
    const c = dial(await sign('system:serviceaccount:shop:debugger'));
    c.send({ typeUrl: 'istio.io/debug/syncz', node: { ...ISTIOCTL, metadata: { NAMESPACE: 'shop' } } });
    assert.deepEqual(
      clientConfigs(await c.next()).map((x) => x.node.id),
      ['sidecar~10.0.0.9~app-1.shop~shop.svc.cluster.local'],
    );
    c.send({
      typeUrl: 'istio.io/debug/config_dump',
      node: { ...ISTIOCTL, metadata: { NAMESPACE: 'shop' } },
      resourceNames: ['app-1.default'],
    });
    assert.equal((await c.next()).resources.length, 0);
    c.send({
      typeUrl: 'istio.io/debug/config_dump',
      node: { ...ISTIOCTL, metadata: { NAMESPACE: 'shop' } },
      resourceNames: ['app-1.shop'],
    });
    assert.ok((await c.next()).resources.length > 0);
  });

  it('a caller asking for a namespace that is not its own is refused (PERMISSION_DENIED)', async () => {
    const c = dial(await sign('system:serviceaccount:shop:debugger'));
    c.send({ typeUrl: 'istio.io/debug/syncz', node: { ...ISTIOCTL, metadata: { NAMESPACE: 'default' } } });
    const st = await c.status;
    assert.equal(st.code, grpc.status.PERMISSION_DENIED, st.details);
  });
});
