/**
 * @module translators/istio.test
 * What an Istio user notices, asserted directly on the golden inputs (testdata/*.in.yaml):
 * the mesh-expansion VM, the outbound traffic policy, mesh config defaults, Sidecar/exportTo
 * scoping, the common gateway setup, VirtualService conflicts and proxy classes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readMeshConfig } from '../watchers/validate/meshconfig.js';
import { meshFrom, proxy, snapshot, type Snapshot } from './harness.test.js';
import { readCase, TESTDATA } from './golden.test.js';
import { proxyClass } from './index.js';
import type { MeshConfig } from '../model/config.js';

type J = Record<string, unknown>;

function load(name: string): { mesh: MeshConfig; ids: string[]; meta: Record<string, Record<string, unknown>> } {
  const { text, tc } = readCase(path.join(TESTDATA, `${name}.in.yaml`));
  const { mesh, rejected } = meshFrom(text, readMeshConfig(tc.meshConfig ?? null).settings);
  assert.deepEqual(rejected, []);
  return { mesh, ids: tc.proxies.map((p) => p.id), meta: Object.fromEntries(tc.proxies.map((p) => [p.id, p.metadata ?? {}])) };
}

function snapOf(name: string, index: number): Snapshot {
  const { mesh, ids, meta } = load(name);
  const { snap, problems } = snapshot(mesh, proxy(ids[index]!, meta[ids[index]!]));
  assert.deepEqual(problems, []);
  return snap;
}

const endpointsOf = (cla: unknown): string[] =>
  (((cla as J)['endpoints'] as J[]) ?? []).flatMap((l) =>
    (l['lbEndpoints'] as J[]).map((e) => {
      const sa = ((e['endpoint'] as J)['address'] as J)['socketAddress'] as J;
      return `${sa['address']}:${sa['portValue'] ?? 0}`;
    }),
  );
const chainsOf = (l: unknown): J[] => (l as J)['filterChains'] as J[];
/** The cluster of a chain's tcp_proxy (after the telemetry network filters istiod puts before it). */
const tcpTarget = (chain: J): unknown =>
  ((chain['filters'] as J[]).find((f) => f['name'] === 'envoy.filters.network.tcp_proxy')?.['typedConfig'] as J | undefined)?.['cluster'];
const vhosts = (rc: unknown): J[] => (rc as J)['virtualHosts'] as J[];

describe('Istio-faithful translation', () => {
  describe('mesh expansion: VM 192.168.0.81 as service deb-nginx01:9080', () => {
    const vm = snapOf('vm-mesh-expansion', 0);
    const pod = snapOf('vm-mesh-expansion', 1);
    it('every sidecar gets the VM as the endpoint of deb-nginx01', () => {
      for (const s of [vm, pod])
        assert.deepEqual(endpointsOf(s.endpoints['outbound|9080||deb-nginx01.default.svc.cluster.local']), ['192.168.0.81:9080']);
    });
    it('the VM proxy (labels from node metadata) gets inbound 9080: chain, cluster to the local app, route config', () => {
      const chains = chainsOf(vm.listeners['virtualInbound']);
      // PERMISSIVE (no PeerAuthentication): passthrough HTTP (mTLS, plaintext) and TCP (mTLS, plaintext, app TLS), then the port's mTLS and plaintext chains.
      assert.deepEqual(
        chains.map((c) => c['name']),
        [
          'virtualInbound-blackhole',
          'virtualInbound-catchall-http',
          'virtualInbound-catchall-http',
          'virtualInbound',
          'virtualInbound',
          'virtualInbound',
          '0.0.0.0_9080',
          '0.0.0.0_9080',
        ],
      );
      assert.deepEqual((chains[6]!['filterChainMatch'] as J)['destinationPort'], 9080);
      const cl = vm.clusters['inbound|9080||'] as J;
      assert.equal(cl['type'], 'STATIC');
      assert.deepEqual(endpointsOf(cl['loadAssignment']), ['127.0.0.1:9080']);
      const rc = vm.routes['inbound|9080||'];
      assert.deepEqual(
        vhosts(rc).map((v) => [v['name'], v['domains']]),
        [['inbound|http|9080', ['*']]],
      );
    });
    it('the VM proxy also gets the mesh outbound: per-port listener, vhosts with istiod domains, allow_any', () => {
      assert.ok(vm.listeners['0.0.0.0_9080'] && vm.listeners['virtualOutbound']);
      assert.deepEqual(
        vhosts(vm.routes['9080']).map((v) => v['name']),
        ['deb-nginx01.default.svc.cluster.local:9080', 'productpage.default.svc.cluster.local:9080', 'allow_any'],
      );
      assert.equal(tcpTarget(chainsOf(vm.listeners['virtualOutbound'])[0]!), 'PassthroughCluster');
    });
  });

  describe('outbound traffic policy and mesh config', () => {
    const s = snapOf('outbound-policy', 0);
    it('REGISTRY_ONLY: the virtualOutbound catch-all goes to BlackHoleCluster and route configs end in block_all (502)', () => {
      const vo = s.listeners['virtualOutbound'] as J;
      assert.equal((vo['useOriginalDst'] as boolean | undefined) ?? false, true);
      assert.equal(chainsOf(vo)[0]!['name'], 'virtualOutbound-catchall-tcp');
      assert.equal(tcpTarget(chainsOf(vo)[0]!), 'BlackHoleCluster');
      const last = vhosts(s.routes['8080']).at(-1)!;
      assert.equal(last['name'], 'block_all');
      assert.deepEqual(((last['routes'] as J[])[0]!['directResponse'] as J)['status'], 502);
    });
    it('TCP ports get per-VIP tcp_proxy listeners; a headless TCP service 0.0.0.0_<port>', () => {
      assert.equal(tcpTarget(chainsOf(s.listeners['10.96.40.1_3306'])[0]!), 'outbound|3306||mysql.apps.svc.cluster.local');
      assert.equal(tcpTarget(chainsOf(s.listeners['0.0.0.0_6379'])[0]!), 'outbound|6379||cache.apps.svc.cluster.local');
      assert.ok(s.listeners['0.0.0.0_7070'], 'grpc-api is HTTP (port name prefix)');
      assert.ok(s.listeners['0.0.0.0_8080'], 'appProtocol http');
    });
    it('an undeclared protocol is sniffed: HTTP/1.1 and h2c go through route config "<port>", the rest to tcp_proxy', () => {
      const l = s.listeners['10.96.40.2_9901'] as J;
      assert.deepEqual(
        (l['listenerFilters'] as J[]).map((f) => f['name']),
        ['envoy.filters.listener.http_inspector'],
      );
      const [http, tcp] = chainsOf(l);
      assert.deepEqual((http!['filterChainMatch'] as J)['applicationProtocols'], ['http/1.1', 'h2c']);
      assert.equal((((http!['filters'] as J[])[0]!['typedConfig'] as J)['rds'] as J)['routeConfigName'], '9901');
      assert.equal(tcpTarget(tcp!), 'outbound|9901||web.apps.svc.cluster.local');
      assert.deepEqual(
        vhosts(s.routes['9901']).map((v) => v['name']),
        ['web.apps.svc.cluster.local:9901', 'block_all'],
      );
    });
    it('connectTimeout and defaultHttpRetryPolicy come from the mesh config', () => {
      assert.equal((s.clusters['outbound|3306||mysql.apps.svc.cluster.local'] as J)['connectTimeout'], '5s');
      const r = (vhosts(s.routes['8080'])[0]!['routes'] as J[])[0]!['route'] as J;
      assert.deepEqual([(r['retryPolicy'] as J)['numRetries'], (r['retryPolicy'] as J)['retryOn']], [4, '5xx,connect-failure']);
    });
    it('a named targetPort is resolved against the pod for the inbound side', () => {
      assert.deepEqual(
        chainsOf(s.listeners['virtualInbound']).map((c) => c['name']),
        [
          'virtualInbound-blackhole',
          'virtualInbound-catchall-http',
          'virtualInbound-catchall-http',
          'virtualInbound',
          'virtualInbound',
          'virtualInbound',
          '0.0.0.0_5000',
          '0.0.0.0_5000',
          '0.0.0.0_5000',
          '0.0.0.0_8000',
          '0.0.0.0_8000',
        ],
      );
    });
  });

  describe('scope: Sidecar egress, root-namespace default, workloadSelector, exportTo', () => {
    const cl = (n: number): string[] => Object.keys(snapOf('sidecar-scope', n).clusters).filter((c) => c.startsWith('outbound'));
    it('team-a: its own namespace, the one team-c host it lists, and istio-system only on the egress port 15004', () => {
      assert.deepEqual(cl(0), [
        'outbound|15004||telemetry.istio-system.svc.cluster.local',
        'outbound|8080||a.team-a.svc.cluster.local',
        'outbound|8080||c.team-c.svc.cluster.local',
      ]);
    });
    it('a workloadSelector Sidecar wins for its workload, with its own outbound policy; exportTo "." hides b-private', () => {
      assert.deepEqual(cl(1), ['outbound|8080||b.team-b.svc.cluster.local']);
      const s = snapOf('sidecar-scope', 1);
      assert.equal(tcpTarget(chainsOf(s.listeners['virtualOutbound'])[0]!), 'BlackHoleCluster');
      assert.equal(
        (s.clusters['outbound|8080||b.team-b.svc.cluster.local'] as J)['lbPolicy'],
        'RANDOM',
        'DestinationRule exported to team-a',
      );
    });
    it('team-b falls back to the root namespace Sidecar and does not get a DestinationRule not exported to it', () => {
      assert.deepEqual(cl(2), [
        'outbound|15004||telemetry.istio-system.svc.cluster.local',
        'outbound|15014||telemetry.istio-system.svc.cluster.local',
        'outbound|8080||b.team-b.svc.cluster.local',
        'outbound|8081||b-private.team-b.svc.cluster.local',
      ]);
      assert.equal((snapOf('sidecar-scope', 2).clusters['outbound|8080||b.team-b.svc.cluster.local'] as J)['lbPolicy'], 'LEAST_REQUEST');
    });
    it('a VirtualService exported to "." applies in its namespace only', () => {
      const timeout = (n: number): unknown =>
        (
          (
            vhosts(snapOf('sidecar-scope', n).routes['8080']).find((v) => v['name'] === 'c.team-c.svc.cluster.local:8080')!['routes'] as J[]
          )[0]!['route'] as J
        )['timeout'];
      assert.equal(timeout(3), '3s');
      assert.equal(timeout(0), '0s');
    });
  });

  describe('gateway: port 80 for "*", subsets v1/v2, 50/50', () => {
    const g = snapOf('gateway', 0);
    it('binds the container port and names the route config http.<port>, vhost *:80 with domains ["*"]', () => {
      assert.ok(g.listeners['0.0.0.0_8080']);
      // The VirtualServices for secure/mtls.example.com are bound to the same Gateway, whose port-80 server takes "*": istiod serves it there too.
      assert.deepEqual(
        vhosts(g.routes['http.8080']).map((v) => [v['name'], v['domains']]),
        [
          ['*:80', ['*']],
          ['mtls.example.com:80', ['mtls.example.com', 'mtls.example.com:*']],
          ['secure.example.com:80', ['secure.example.com', 'secure.example.com:*']],
        ],
      );
      const wc = (((vhosts(g.routes['http.8080'])[0]!['routes'] as J[])[0]!['route'] as J)['weightedClusters'] as J)['clusters'] as J[];
      assert.deepEqual(
        wc.map((c) => [c['name'], c['weight']]),
        [
          ['outbound|80|v1|web.default.svc.cluster.local', 50],
          ['outbound|80|v2|web.default.svc.cluster.local', 50],
        ],
      );
      assert.deepEqual(endpointsOf(g.endpoints['outbound|80|v1|web.default.svc.cluster.local']), ['10.1.5.1:8080']);
      assert.deepEqual(endpointsOf(g.endpoints['outbound|80|v2|web.default.svc.cluster.local']), ['10.1.5.2:8080']);
    });
    it('HTTPS SIMPLE terminates with the certificate from SDS kubernetes://<credentialName>; PASSTHROUGH routes by SNI', () => {
      const chain = chainsOf(g.listeners['0.0.0.0_8443'])[0]!;
      assert.deepEqual((chain['filterChainMatch'] as J)['serverNames'], ['secure.example.com']);
      const tls = ((chain['transportSocket'] as J)['typedConfig'] as J)['commonTlsContext'] as J;
      assert.equal((tls['tlsCertificateSdsSecretConfigs'] as J[])[0]!['name'], 'kubernetes://secure-cert');
      assert.ok(g.routes['https.443.https.web-gateway.default']);
      const pt = chainsOf(g.listeners['0.0.0.0_15443'])[0]!;
      assert.deepEqual(
        [(pt['filterChainMatch'] as J)['serverNames'], tcpTarget(pt)],
        [['db.example.com'], 'outbound|5432||db.default.svc.cluster.local'],
      );
    });
    it('a gateway pod the Gateway does not select gets no listeners', () => {
      assert.deepEqual(Object.keys(snapOf('gateway', 1).listeners), []);
    });
  });

  describe('several VirtualServices for one host', () => {
    it('the first (namespace/name) wins for sidecars and the conflict is reported in the MeshConfig', () => {
      const { mesh } = load('traffic-management');
      assert.deepEqual(mesh.conflicts, [{ host: 'shop.default.svc.cluster.local', winner: 'default/shop', ignored: ['default/shop-too'] }]);
      const s = snapOf('traffic-management', 0);
      const names = (vhosts(s.routes['8080']).find((v) => v['name'] === 'shop.default.svc.cluster.local:8080')!['routes'] as J[]).map(
        (r) => r['name'],
      );
      assert.deepEqual(
        names,
        ['exact-and-headers', 'only-from-frontend', 'regex-rewrite', 'old-path', 'maintenance', 'cors-and-fault', 'default'],
        'sourceLabels for another workload and the port-9090 route are left out of 8080',
      );
    });
  });

  describe('proxy classes', () => {
    it('same namespace and labels share a class; other labels or namespace do not; without LABELS the class is per workload', () => {
      const a = proxyClass(proxy('sidecar~10.0.0.1~a-1.ns~ns.svc.cluster.local', { LABELS: { app: 'a', v: '1' } }));
      assert.equal(a, proxyClass(proxy('sidecar~10.0.0.2~a-2.ns~ns.svc.cluster.local', { LABELS: { v: '1', app: 'a' } })));
      assert.notEqual(a, proxyClass(proxy('sidecar~10.0.0.3~b-1.ns~ns.svc.cluster.local', { LABELS: { app: 'b' } })));
      assert.notEqual(a, proxyClass(proxy('sidecar~10.0.0.3~a-1.other~other.svc.cluster.local', { LABELS: { app: 'a', v: '1' } })));
      assert.notEqual(
        proxyClass(proxy('sidecar~10.0.0.1~x-1.ns~ns.svc.cluster.local')),
        proxyClass(proxy('sidecar~10.0.0.1~x-2.ns~ns.svc.cluster.local')),
      );
    });
    it('with the mesh, pods that send no LABELS share the class of their registry labels, and get the same output', () => {
      const { mesh } = load('vm-mesh-expansion');
      const viaRegistry = proxy('sidecar~10.244.0.21~productpage-v1-1.default~default.svc.cluster.local');
      const viaMeta = proxy('sidecar~10.244.0.99~other-pod.default~default.svc.cluster.local', {
        LABELS: { app: 'productpage', version: 'v1', 'security.istio.io/tlsMode': 'istio' },
      });
      assert.equal(proxyClass(viaRegistry, mesh), proxyClass(viaMeta, mesh));
      assert.deepEqual(snapshot(mesh, viaRegistry).snap, snapshot(mesh, viaMeta).snap);
      assert.equal(
        proxyClass(proxy('sidecar~10.0.0.1~unknown.default~default.svc.cluster.local'), mesh),
        'envoy/sidecar/default/pod:unknown',
      );
    });
    it('pods whose Sidecar ingress forwards to the workload IP (0.0.0.0:PORT) are one class per IP; loopback endpoints share', () => {
      const { mesh } = meshFrom(`apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: ratings-ingress, namespace: default}
spec:
  workloadSelector: {labels: {app: ratings}}
  ingress: [{port: {number: 9443, protocol: TCP, name: tcp}, defaultEndpoint: "0.0.0.0:9443"}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: other-ingress, namespace: default}
spec:
  workloadSelector: {labels: {app: other}}
  ingress: [{port: {number: 9080, protocol: HTTP, name: http}, defaultEndpoint: "127.0.0.1:8080"}]
`);
      const a = proxyClass(proxy('sidecar~10.244.1.5~ratings-1.default~default.svc.cluster.local', { LABELS: { app: 'ratings' } }), mesh);
      const b = proxyClass(proxy('sidecar~10.244.1.7~ratings-2.default~default.svc.cluster.local', { LABELS: { app: 'ratings' } }), mesh);
      assert.notEqual(a, b);
      const c = proxyClass(proxy('sidecar~10.244.1.6~other-1.default~default.svc.cluster.local', { LABELS: { app: 'other' } }), mesh);
      const d = proxyClass(proxy('sidecar~10.244.1.8~other-2.default~default.svc.cluster.local', { LABELS: { app: 'other' } }), mesh);
      assert.equal(c, d);
    });
    it('gateways whose proxy config sets another gateway topology are another class', () => {
      const { mesh } = load('gateway');
      const id = 'router~10.0.9.1~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local';
      const labels = { istio: 'ingressgateway', app: 'istio-ingressgateway' };
      const plain = proxyClass(proxy(id, { LABELS: labels }), mesh);
      const topo = proxyClass(
        proxy(id, { LABELS: labels, ANNOTATIONS: { 'proxy.istio.io/config': '{"gatewayTopology": {"numTrustedProxies": 2}}' } }),
        mesh,
      );
      assert.notEqual(plain, topo);
    });
  });

  it('every golden input has an output', () => {
    for (const f of fs.readdirSync(TESTDATA).filter((x) => x.endsWith('.in.yaml')))
      assert.ok(fs.existsSync(path.join(TESTDATA, f.replace('.in.yaml', '.out.yaml'))), f);
  });
});

describe('provenance (metadata.filter_metadata.istio)', () => {
  const istio = (o: unknown): J | undefined =>
    (((o as J)['metadata'] as J | undefined)?.['filterMetadata'] as J | undefined)?.['istio'] as J | undefined;
  it('clusters name their services and DestinationRule; VirtualService routes, TCP listeners and gateway listeners name their config', () => {
    const s = snapOf('traffic-management', 0);
    const c = istio(s.clusters['outbound|8080|v1|shop.default.svc.cluster.local'])!;
    assert.equal(c['config'], '/apis/networking.istio.io/v1/namespaces/default/destination-rule/shop');
    assert.deepEqual(c['services'], [{ host: 'shop.default.svc.cluster.local', name: 'shop', namespace: 'default' }]);
    const r = (vhosts(s.routes['8080']).find((v) => v['name'] === 'shop.default.svc.cluster.local:8080')!['routes'] as J[])[0]!;
    assert.equal(istio(r)!['config'], '/apis/networking.istio.io/v1/namespaces/default/virtual-service/shop');
    assert.equal(istio(s.listeners['10.96.7.3_5672'])!['config'], '/apis/v1/namespaces/default/service/queue');
    assert.equal(
      istio(chainsOf(s.listeners['10.96.7.3_5672'])[0])!['config'],
      '/apis/networking.istio.io/v1/namespaces/default/virtual-service/queue',
    );
    const g = snapOf('gateway', 0);
    assert.equal(istio(g.listeners['0.0.0.0_8080'])!['config'], '/apis/networking.istio.io/v1/namespaces/default/gateway/web-gateway');
  });
  it('gateway TLS: MUTUAL asks for the client CA <credentialName>-cacert, ISTIO_MUTUAL uses the workload certificate and ROOTCA', () => {
    const g = snapOf('gateway', 0);
    const ctx = (port: string, sni: string[] | undefined): J => {
      const chain = chainsOf(g.listeners[port]).find(
        (c) => JSON.stringify((c['filterChainMatch'] as J | undefined)?.['serverNames']) === JSON.stringify(sni),
      )!;
      return (chain['transportSocket'] as J)['typedConfig'] as J;
    };
    const m = ctx('0.0.0.0_8443', ['mtls.example.com']);
    assert.equal(m['requireClientCertificate'], true);
    assert.equal(
      (((m['commonTlsContext'] as J)['combinedValidationContext'] as J)['validationContextSdsSecretConfig'] as J)['name'],
      'kubernetes://mtls-cert-cacert',
    );
    const i = ctx('0.0.0.0_15012', undefined);
    assert.equal(((i['commonTlsContext'] as J)['tlsCertificateSdsSecretConfigs'] as J[])[0]!['name'], 'default');
    assert.ok(g.routes['https.443.https-mtls.web-gateway.default'] && g.routes['https.15012.https-mesh.web-gateway.default']);
  });
});

describe('proxyless gRPC with consistent hashing', () => {
  it('a ring-hash DestinationRule gives the gRPC client a RING_HASH cluster and a header hash_policy on the route', () => {
    const { mesh } = meshFrom(`apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec: {clusterIP: 10.96.0.5, selector: {app: echo}, ports: [{name: grpc, port: 7070}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: default}
spec: {host: echo, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 64}}}}}`);
    const p = proxy('sidecar~127.0.0.1~client.default~default.svc.cluster.local', { GENERATOR: 'grpc' });
    const { snap, problems } = snapshot(mesh, p);
    assert.deepEqual(problems, []);
    assert.equal((snap.clusters['outbound|7070||echo.default.svc.cluster.local'] as J)['lbPolicy'], 'RING_HASH');
    const route = (vhosts(snap.routes['outbound|7070||echo.default.svc.cluster.local'])[0]!['routes'] as J[])[0]!['route'] as J;
    assert.deepEqual(route['hashPolicy'], [{ header: { headerName: 'x-user' } }]);
  });
});

describe('locality failover', () => {
  const prio = (n: number, cluster: string): Record<string, number> =>
    Object.fromEntries(
      ((snapOf('locality-failover', n).endpoints[cluster] as J)['endpoints'] as J[]).map((l) => [
        `${(l['locality'] as J)['region']}/${(l['locality'] as J)['zone']}`,
        (l['priority'] as number | undefined) ?? 0,
      ]),
    );
  it('with outlier detection: own zone first, own region next, other regions last', () => {
    assert.deepEqual(prio(0, 'outbound|80||api.default.svc.cluster.local'), { 'us-east/a': 0, 'us-east/b': 1, 'eu-west/c': 2 });
  });
  it('no priorities when the rule disables locality LB or the proxy has no topology labels', () => {
    assert.deepEqual(prio(0, 'outbound|81||plain.default.svc.cluster.local'), { 'us-east/a': 0, 'us-east/b': 0, 'eu-west/c': 0 });
    assert.deepEqual(prio(1, 'outbound|80||api.default.svc.cluster.local'), { 'us-east/a': 0, 'us-east/b': 0, 'eu-west/c': 0 });
  });
});
