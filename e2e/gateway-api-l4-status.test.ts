/**
 * @module e2e/gateway-api-l4-status.test
 * Issue 14, the L4 listeners, BackendTLSPolicy and the class name in Kubernetes mode, shown where a
 * user sees them: the status the real `tspilot serve --gateway-class-name tspilot` writes to the
 * API server stand-in, read back by client-node. (Proxyless gRPC clients cannot use a gateway's
 * TCP/TLS listeners; the listeners' Envoy config is proven by the golden cases.) A Gateway of class
 * `tspilot` with no GatewayClass object is ours: its TCP and TLS listeners are Accepted and
 * Programmed (TCP is no longer UnsupportedProtocol), a TCPRoute and a TLSRoute are Accepted, a
 * TCPRoute on the HTTP listener is NotAllowedByListeners. A Gateway of class `istio` is not ours
 * under that flag and gets no status. A BackendTLSPolicy gets per-target `ancestors`: Accepted for
 * an existing Service, TargetNotFound for a missing one. A policy whose caCertificateRefs name a
 * ConfigMap resolves it in Kubernetes mode: tspilot lists and watches that one ConfigMap by name
 * (and no other), the policy is Accepted/ResolvedRefs and the Service's cluster trusts the CA;
 * deleting the ConfigMap turns it back to InvalidCACertificateRef, failing closed.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import {
  condOf as cond,
  gatewayCrd as crd,
  GW,
  startGatewayApiKube,
  until,
  type GatewayApiKube,
  type StatusObj,
} from './gateway-api-kit.js';
import { rawAds, type RawAds } from './adsclient.js';
import { CDS } from '../proto/typeurls.js';
import { messageType } from '../proto/registry.js';

const GATEWAY_CRDS = [
  crd('gatewayclasses', 'GatewayClass', ['v1'], false),
  crd('gateways', 'Gateway', ['v1']),
  crd('httproutes', 'HTTPRoute', ['v1']),
  crd('tcproutes', 'TCPRoute', ['v1alpha2']),
  crd('tlsroutes', 'TLSRoute', ['v1alpha2']),
  crd('backendtlspolicies', 'BackendTLSPolicy', ['v1alpha3']),
];

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec: {clusterIP: 10.96.7.2, selector: {app: db}, ports: [{name: tcp, port: 5432}]}
---
apiVersion: ${GW}/v1
kind: Gateway
metadata: {name: edge, namespace: default}
spec:
  gatewayClassName: tspilot
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: pg, port: 5432, protocol: TCP}
  - {name: sni, port: 443, protocol: TLS, tls: {mode: Passthrough}}
---
apiVersion: ${GW}/v1
kind: Gateway
metadata: {name: not-ours, namespace: default}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP}
---
apiVersion: ${GW}/v1alpha2
kind: TCPRoute
metadata: {name: pg, namespace: default}
spec:
  parentRefs: [{name: edge, sectionName: pg}]
  rules: [{backendRefs: [{name: db, port: 5432}]}]
---
apiVersion: ${GW}/v1alpha2
kind: TCPRoute
metadata: {name: on-http, namespace: default}
spec:
  parentRefs: [{name: edge, sectionName: http}]
  rules: [{backendRefs: [{name: db, port: 5432}]}]
---
apiVersion: ${GW}/v1alpha2
kind: TLSRoute
metadata: {name: sni, namespace: default}
spec:
  parentRefs: [{name: edge, sectionName: sni}]
  hostnames: [db.example.com]
  rules: [{backendRefs: [{name: db, port: 5432}]}]
---
apiVersion: ${GW}/v1alpha3
kind: BackendTLSPolicy
metadata: {name: db-tls, namespace: default}
spec:
  targetRefs:
  - {group: "", kind: Service, name: db}
  - {group: "", kind: Service, name: gone}
  validation: {hostname: db.example.com, wellKnownCACertificates: System}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: default}
spec: {clusterIP: 10.96.7.3, selector: {app: api}, ports: [{name: https, port: 443}]}
---
apiVersion: ${GW}/v1alpha3
kind: BackendTLSPolicy
metadata: {name: api-tls, namespace: default}
spec:
  targetRefs: [{group: "", kind: Service, name: api}]
  validation:
    hostname: api.example.com
    caCertificateRefs: [{group: "", kind: ConfigMap, name: api-ca}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated, namespace: default}
data: {password: not-for-tspilot}
`;
const CA_PEM = readFileSync(new URL('../../watchers/testdata/tls/ca.crt', import.meta.url), 'utf8');
const API_CLUSTER = 'outbound|443||api.default.svc.cluster.local';

describe('e2e Gateway API L4 listeners, BackendTLSPolicy and --gateway-class-name (status in Kubernetes)', function () {
  this.timeout(120_000);
  let k: GatewayApiKube | undefined;
  after(async () => {
    await k?.close();
  });

  const get = (plural: string, version: string, name: string): Promise<StatusObj> => k!.get(plural, version, 'default', name);

  before(async () => {
    k = await startGatewayApiKube(GATEWAY_CRDS, CONFIG, {
      args: ['--gateway-class-name', 'tspilot'],
      objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'api-ca', namespace: 'default' }, data: { 'ca.crt': CA_PEM } }],
    });
  });

  it('the TCP and TLS listeners of a Gateway of our class are Accepted and Programmed; routes of the right kind attach', async () => {
    const gw = await until(
      () => get('gateways', 'v1', 'edge'),
      (o) => (o.status?.listeners?.length ?? 0) === 3,
      'the Gateway listener status',
    );
    assert.deepEqual(
      gw.status?.listeners?.map((l) => `${l.name} ${cond(l.conditions, 'Accepted')} ${cond(l.conditions, 'Programmed')}`),
      ['http True Accepted True Programmed', 'pg True Accepted True Programmed', 'sni True Accepted True Programmed'],
    );
    const pg = await until(
      () => get('tcproutes', 'v1alpha2', 'pg'),
      (o) => !!o.status?.parents?.length,
      'the TCPRoute status',
    );
    assert.equal(cond(pg.status?.parents?.[0]?.conditions, 'Accepted'), 'True Accepted');
    const sni = await until(
      () => get('tlsroutes', 'v1alpha2', 'sni'),
      (o) => !!o.status?.parents?.length,
      'the TLSRoute status',
    );
    assert.equal(cond(sni.status?.parents?.[0]?.conditions, 'Accepted'), 'True Accepted');
    const onHttp = await until(
      () => get('tcproutes', 'v1alpha2', 'on-http'),
      (o) => !!o.status?.parents?.length,
      'the refused TCPRoute',
    );
    assert.equal(cond(onHttp.status?.parents?.[0]?.conditions, 'Accepted'), 'False NotAllowedByListeners');
  });

  it('a Gateway of class istio is not ours under --gateway-class-name tspilot: no status is written to it', async () => {
    await until(
      () => get('gateways', 'v1', 'edge'),
      (o) => !!o.status?.conditions?.length,
      'our Gateway written first',
    );
    assert.equal((await get('gateways', 'v1', 'not-ours')).status?.conditions, undefined);
  });

  it('a BackendTLSPolicy gets ancestors per target: Accepted for the Service, TargetNotFound for a missing one', async () => {
    const p = await until(
      () => get('backendtlspolicies', 'v1alpha3', 'db-tls'),
      (o) => (o.status?.ancestors?.length ?? 0) === 2,
      'the policy status',
    );
    assert.deepEqual(
      p.status?.ancestors?.map((a) => `${a.ancestorRef.name} ${cond(a.conditions, 'Accepted')} ${cond(a.conditions, 'ResolvedRefs')}`),
      ['db True Accepted True ResolvedRefs', 'gone False TargetNotFound True ResolvedRefs'],
    );
  });

  it('caCertificateRefs: the named ConfigMap (only it) is watched by name, its CA reaches the cluster; deleting it fails closed', async () => {
    const policy = async (): Promise<string[]> =>
      ((await get('backendtlspolicies', 'v1alpha3', 'api-tls')).status?.ancestors ?? []).map(
        (a) => `${a.ancestorRef.name} ${cond(a.conditions, 'Accepted')} ${cond(a.conditions, 'ResolvedRefs')}`,
      );
    const resolved = await until(policy, (a) => a.length === 1, 'the api-tls status');
    assert.deepEqual(resolved, ['api True Accepted True ResolvedRefs']);
    // Only ConfigMaps by name: the mesh one and the referenced one; `unrelated` is never requested.
    const cmRequests = k!.srv.requests.filter((r) => r.resource === 'configmaps' && r.method === 'GET');
    assert.ok(cmRequests.length > 0);
    for (const r of cmRequests) assert.match(r.query['fieldSelector'] ?? '', /^metadata\.name=(istio|api-ca)$/, JSON.stringify(r));
    assert.ok(cmRequests.some((r) => r.namespace === 'default' && r.query['fieldSelector'] === 'metadata.name=api-ca'));

    const ads: RawAds = rawAds(`127.0.0.1:${await k!.pilot.xds()}`);
    try {
      const node = {
        id: 'sidecar~10.1.0.9~client.default~default.svc.cluster.local',
        cluster: '',
        metadata: { NAMESPACE: 'default' },
        userAgentName: 'l4-status-test',
        clientFeatures: [],
        locality: null,
      };
      const clusterType = messageType('envoy.config.cluster.v3.Cluster');
      /** The api cluster's encoded bytes as text, from the newest CDS response (each one ACKed). */
      let seen = 0;
      const apiTls = async (): Promise<string> => {
        for (;;) {
          const r = ads.responses.length > seen ? ads.responses[seen]! : await ads.next(10_000);
          seen++;
          ads.send({ node, typeUrl: CDS, resourceNames: [], versionInfo: r.version_info, responseNonce: r.nonce });
          if (ads.responses.length > seen) continue;
          // The CA sits in the TLS context, an Any inside the cluster: its text is in the encoded bytes.
          const hit = r.resources.find((x) => (clusterType.decode(x.value) as unknown as { name: string }).name === API_CLUSTER);
          return hit ? Buffer.from(hit.value).toString('latin1') : '';
        }
      };
      ads.send({ node, typeUrl: CDS, resourceNames: [] });
      const first = await apiTls();
      assert.ok(first.includes(CA_PEM.split('\n')[1]!), "the cluster trusts the ConfigMap's CA");

      k!.srv.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'api-ca' });
      const closed = await until(policy, (a) => a[0] !== resolved[0], 'the policy after the ConfigMap is deleted');
      assert.deepEqual(closed, ['api False NoValidCACertificate False InvalidCACertificateRef']);
      const after = await apiTls();
      assert.ok(after.includes(API_CLUSTER) && !after.includes(CA_PEM.split('\n')[1]!), 'the CA is gone from the cluster');
      assert.ok(after.includes('invalid://'), 'TLS stays on, with a CA nothing satisfies (fail closed)');
    } finally {
      ads.close();
    }
    // The last policy naming api-ca goes: its ConfigMap watch is closed, no other one opens.
    const watches = k!.srv.activeWatches();
    const deleted = await k!.api.deleteNamespacedCustomObject({
      group: GW,
      version: 'v1alpha3',
      namespace: 'default',
      plural: 'backendtlspolicies',
      name: 'api-tls',
    });
    assert.ok(deleted);
    await until(
      async () => k!.srv.activeWatches(),
      (n) => n === watches - 1,
      'the api-ca watch closed',
    );
  });
});
