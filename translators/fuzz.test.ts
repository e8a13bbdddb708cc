/**
 * @module translators/fuzz.test
 * Property tests (fast-check) over validators and translators together: thousands of generated
 * VirtualServices, DestinationRules, ServiceEntries, WorkloadEntries, Sidecars and Gateways —
 * valid, nearly valid and broken — go through validateObject. No exception may escape; a rejection
 * must name kind, namespace/name and a reason; and every accepted set of objects must translate,
 * for a sidecar, a gateway and a proxyless gRPC client, into resources that pass Envoy's
 * validate.rules and form a consistent snapshot.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzParams, fuzzRunsSet } from '../e2e/fuzz.js';
import { stringify } from 'yaml';
import { validateObject } from '../watchers/validate/index.js';
import { meshFrom, proxy, snapshot } from './harness.test.js';

const NET = 'networking.istio.io/v1';
const BASE = `apiVersion: v1
kind: Service
metadata: {name: svc-a, namespace: default}
spec: {clusterIP: 10.96.0.1, selector: {app: a}, ports: [{name: http, port: 80}, {name: tcp, port: 5000}, {name: grpc, port: 7070}, {name: admin, port: 9901}]}
---
apiVersion: v1
kind: Service
metadata: {name: svc-b, namespace: other}
spec: {clusterIP: 10.96.0.2, selector: {app: b}, ports: [{name: https, port: 443}, {name: http-web, port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: a-1, namespace: default, labels: {app: a, version: v1}}
spec: {containers: [{name: a}]}
status: {phase: Running, podIP: 10.1.0.1}
---
apiVersion: v1
kind: Service
metadata: {name: gw, namespace: istio-system}
spec: {clusterIP: 10.96.0.9, selector: {istio: ingressgateway}, ports: [{name: http2, port: 80, targetPort: 8080}]}`;

const hosts = fc.constantFrom(
  'svc-a',
  'svc-b.other.svc.cluster.local',
  'svc-a.default.svc.cluster.local',
  'ext.example.com',
  '*.example.com',
  '*',
  'bad host',
  '',
  'missing',
);
const ports = fc.constantFrom(80, 443, 5000, 7070, 0, 70000, 8080);
const dur = fc.constantFrom('1s', '250ms', '0s', 'soon', '1h', '10m');
const regex = fc.constantFrom('/a.*', '(?<=x)', '[', '^/v[0-9]+/', '.*');
const sm = fc.oneof(
  fc.record({ exact: fc.constantFrom('/a', 'x') }),
  fc.record({ prefix: fc.constantFrom('/', '/api') }),
  fc.record({ regex }),
  fc.constant({}),
);
const subset = fc.constantFrom('v1', 'v2', 'nope', 'BAD_NAME');
const dest = fc.record(
  { host: hosts, subset: fc.option(subset, { nil: undefined }), port: fc.option(fc.record({ number: ports }), { nil: undefined }) },
  { requiredKeys: ['host'] },
);
const weighted = fc.array(
  fc.record(
    { destination: dest, weight: fc.option(fc.constantFrom(0, 25, 50, 75, 100, 101), { nil: undefined }) },
    { requiredKeys: ['destination'] },
  ),
  { minLength: 1, maxLength: 3 },
);

const httpRoute = fc.record(
  {
    name: fc.constantFrom('r1', 'r2'),
    match: fc.array(
      fc.record(
        {
          uri: sm,
          headers: fc.dictionary(fc.constantFrom('x-user', 'X-Bad', 'x-env'), sm, { maxKeys: 2 }),
          port: ports,
          queryParams: fc.dictionary(fc.constantFrom('q'), sm, { maxKeys: 1 }),
          method: sm,
          ignoreUriCase: fc.boolean(),
          sourceLabels: fc.constant({ app: 'a' }),
          gateways: fc.constantFrom(['mesh'], ['gw'], ['istio-system/gw']),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 2 },
    ),
    route: weighted,
    timeout: dur,
    retries: fc.record(
      { attempts: fc.constantFrom(0, 3, -1), perTryTimeout: dur, retryOn: fc.constantFrom('5xx', 'gateway-error,reset') },
      { requiredKeys: [] },
    ),
    fault: fc.record(
      {
        delay: fc.record({ fixedDelay: dur, percentage: fc.record({ value: fc.constantFrom(0, 1.5, 100, 200) }) }, { requiredKeys: [] }),
        abort: fc.record(
          { httpStatus: fc.constantFrom(503, 418, 99), percentage: fc.record({ value: fc.constantFrom(10, 100) }) },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    mirror: dest,
    mirrorPercentage: fc.record({ value: fc.constantFrom(0, 50, 100, 101) }),
    rewrite: fc.oneof(
      fc.record({ uri: fc.constantFrom('/', '/v2') }),
      fc.record({ uriRegexRewrite: fc.record({ match: regex, rewrite: fc.constantFrom('/', '\\1') }) }),
      fc.record({ authority: fc.constantFrom('x.example.com') }),
    ),
    redirect: fc.record({ uri: fc.constantFrom('/new'), redirectCode: fc.constantFrom(301, 308, 399) }, { requiredKeys: [] }),
    directResponse: fc.record(
      { status: fc.constantFrom(200, 503, 99), body: fc.record({ string: fc.constantFrom('ok', '') }) },
      { requiredKeys: [] },
    ),
    headers: fc.record(
      { request: fc.record({ set: fc.constant({ 'x-a': '1' }), remove: fc.constant(['x-b']) }, { requiredKeys: [] }) },
      { requiredKeys: [] },
    ),
    corsPolicy: fc.record(
      { allowOrigins: fc.array(sm, { maxLength: 2 }), allowMethods: fc.constant(['GET']), maxAge: dur, allowCredentials: fc.boolean() },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

const l4 = fc.record(
  {
    match: fc.array(
      fc.record(
        { port: ports, sniHosts: fc.array(fc.constantFrom('a.example.com', '*.example.com', 'bad host'), { maxLength: 2 }) },
        { requiredKeys: [] },
      ),
      { maxLength: 2 },
    ),
    route: weighted,
  },
  { requiredKeys: ['route'] },
);

const loc = fc.constantFrom('r', 'r/z', 'r/*', 'r/z/s', 'q/*', '*', '*/z', 'r//z', '');
const localityLb = fc.record(
  {
    enabled: fc.boolean(),
    distribute: fc.array(fc.record({ from: loc, to: fc.dictionary(loc, fc.constantFrom(100, 50, 30, 20, 0, 101), { maxKeys: 3 }) }), {
      maxLength: 2,
    }),
    failover: fc.array(fc.record({ from: fc.constantFrom('r', 'q', 'r/z', '*'), to: fc.constantFrom('r', 'q', 'p') }), { maxLength: 2 }),
    failoverPriority: fc.array(fc.constantFrom('version', 'topology.kubernetes.io/zone', 'app=vm', '=x', ''), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
const policy = fc.record(
  {
    loadBalancer: fc.oneof(
      fc.record({ simple: fc.constantFrom('ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'BOGUS') }),
      fc.record({ localityLbSetting: localityLb }),
      fc.record({
        consistentHash: fc.oneof(
          fc.record({ httpHeaderName: fc.constant('x-user') }),
          fc.record({ useSourceIp: fc.constant(true), maglev: fc.record({ tableSize: fc.constantFrom(65537, 0) }) }),
          fc.record({ httpCookie: fc.record({ name: fc.constant('s'), ttl: dur }) }),
          fc.record({ httpQueryParameterName: fc.constant('q'), ringHash: fc.record({ minimumRingSize: fc.constantFrom(1024, 0) }) }),
        ),
      }),
    ),
    connectionPool: fc.record(
      {
        tcp: fc.record({ maxConnections: fc.constantFrom(1, 100, -1), connectTimeout: dur }, { requiredKeys: [] }),
        http: fc.record(
          { http1MaxPendingRequests: fc.constantFrom(1, 0), maxRequestsPerConnection: fc.constantFrom(1, 5), idleTimeout: dur },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    outlierDetection: fc.record(
      {
        consecutive5xxErrors: fc.constantFrom(0, 5),
        interval: dur,
        baseEjectionTime: dur,
        maxEjectionPercent: fc.constantFrom(10, 100, 101),
        minHealthPercent: fc.constantFrom(0, 50),
      },
      { requiredKeys: [] },
    ),
    tls: fc.record(
      {
        mode: fc.constantFrom('DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL', 'WHATEVER'),
        credentialName: fc.constantFrom('cred'),
        sni: fc.constant('a.example.com'),
        subjectAltNames: fc.constant(['spiffe://x']),
      },
      { requiredKeys: ['mode'] },
    ),
    portLevelSettings: fc.array(
      fc.record({ port: fc.record({ number: ports }), loadBalancer: fc.record({ simple: fc.constantFrom('RANDOM') }) }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);

const meta = (name: string, ns: fc.Arbitrary<string>): fc.Arbitrary<{ name: string; namespace: string }> =>
  fc.record({ name: fc.constant(name), namespace: ns });
const nsArb = fc.constantFrom('default', 'other', 'istio-system');
const exportTo = fc.option(fc.constantFrom(['*'], ['.'], ['other'], ['~'], ['Bad!']), { nil: undefined });

const objects = fc.tuple(
  fc.record({
    apiVersion: fc.constant(NET),
    kind: fc.constant('VirtualService'),
    metadata: meta('vs', nsArb),
    spec: fc.record(
      {
        hosts: fc.array(hosts, { minLength: 0, maxLength: 2 }),
        gateways: fc.option(fc.constantFrom(['mesh'], ['istio-system/gw'], ['gw', 'mesh']), { nil: undefined }),
        http: fc.array(httpRoute, { maxLength: 3 }),
        tcp: fc.array(l4, { maxLength: 1 }),
        tls: fc.array(l4, { maxLength: 1 }),
        exportTo,
      },
      { requiredKeys: ['hosts'] },
    ),
  }),
  fc.record({
    apiVersion: fc.constant(NET),
    kind: fc.constant('DestinationRule'),
    metadata: meta('dr', nsArb),
    spec: fc.record(
      {
        host: hosts,
        trafficPolicy: policy,
        subsets: fc.array(
          fc.record(
            { name: subset, labels: fc.constantFrom({ version: 'v1' }, { version: 'v2' }), trafficPolicy: policy },
            { requiredKeys: ['name'] },
          ),
          { maxLength: 3 },
        ),
        exportTo,
      },
      { requiredKeys: ['host'] },
    ),
  }),
  fc.record({
    apiVersion: fc.constant(NET),
    kind: fc.constant('ServiceEntry'),
    metadata: meta('se', nsArb),
    spec: fc.record(
      {
        hosts: fc.array(fc.constantFrom('ext.example.com', '*.example.com', 'db.internal', '*'), { minLength: 1, maxLength: 2 }),
        addresses: fc.constantFrom(['192.168.1.1'], ['10.0.0.0/24'], ['bad']),
        ports: fc.array(
          fc.record({
            number: ports,
            name: fc.constantFrom('http', 'tls', 'tcp'),
            protocol: fc.constantFrom('HTTP', 'TLS', 'TCP', 'HTTPS', 'GRPC', 'NOPE'),
          }),
          { minLength: 1, maxLength: 2 },
        ),
        resolution: fc.constantFrom('NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'),
        location: fc.constantFrom('MESH_EXTERNAL', 'MESH_INTERNAL'),
        endpoints: fc.array(
          fc.record(
            {
              address: fc.constantFrom('1.2.3.4', 'host.example.com', 'bad addr'),
              ports: fc.constantFrom({}, { http: 8080 }, { zzz: 1 }),
              locality: fc.constantFrom('r/z', ''),
            },
            { requiredKeys: ['address'] },
          ),
          { maxLength: 2 },
        ),
        workloadSelector: fc.option(fc.record({ labels: fc.constant({ app: 'vm' }) }), { nil: undefined }),
        exportTo,
      },
      { requiredKeys: ['hosts', 'ports'] },
    ),
  }),
  fc.record({
    apiVersion: fc.constant(NET),
    kind: fc.constant('WorkloadEntry'),
    metadata: meta('we', nsArb),
    spec: fc.record({
      address: fc.constantFrom('192.168.0.81', 'vm.example.com', 'nope!'),
      labels: fc.constantFrom({ app: 'a' }, { app: 'vm' }),
      ports: fc.constantFrom({ http: 9080 }, {}),
      locality: fc.constantFrom('r/z', 'r/y/s', 'q/w', ''),
    }),
  }),
  fc.record({
    apiVersion: fc.constant(NET),
    kind: fc.constant('Sidecar'),
    metadata: meta('sc', nsArb),
    spec: fc.record(
      {
        workloadSelector: fc.option(fc.record({ labels: fc.constant({ app: 'a' }) }), { nil: undefined }),
        egress: fc.array(
          fc.record({
            hosts: fc.array(fc.constantFrom('./*', 'istio-system/*', '*/ext.example.com', 'bad'), { minLength: 1, maxLength: 2 }),
          }),
          { maxLength: 2 },
        ),
        outboundTrafficPolicy: fc.record({ mode: fc.constantFrom('ALLOW_ANY', 'REGISTRY_ONLY', 'NO') }),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    apiVersion: fc.constant(NET),
    kind: fc.constant('Gateway'),
    metadata: meta('gw', fc.constant('istio-system')),
    spec: fc.record({
      selector: fc.constant({ istio: 'ingressgateway' }),
      servers: fc.array(
        fc.record(
          {
            port: fc.record({
              number: ports,
              name: fc.constantFrom('http', 'https', 'tls'),
              protocol: fc.constantFrom('HTTP', 'HTTPS', 'TLS', 'GRPC'),
            }),
            hosts: fc.array(fc.constantFrom('*', 'a.example.com', 'default/*', '*.example.com'), { minLength: 1, maxLength: 2 }),
            tls: fc.option(
              fc.record(
                { mode: fc.constantFrom('SIMPLE', 'MUTUAL', 'PASSTHROUGH', 'ISTIO_MUTUAL'), credentialName: fc.constant('cert') },
                { requiredKeys: ['mode'] },
              ),
              { nil: undefined },
            ),
          },
          { requiredKeys: ['port', 'hosts'] },
        ),
        { minLength: 1, maxLength: 2 },
      ),
    }),
  }),
);

const PROXIES = [
  proxy('sidecar~10.1.0.1~a-1.default~default.svc.cluster.local', { LABELS: { app: 'a', version: 'v1' } }),
  proxy('router~10.1.0.9~gw-1.istio-system~istio-system.svc.cluster.local', { LABELS: { istio: 'ingressgateway' } }),
  proxy('sidecar~10.1.0.2~vm.default~default.svc.cluster.local', {
    LABELS: { app: 'vm', 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'z' },
  }),
  proxy('sidecar~10.1.0.3~grpc-1.other~other.svc.cluster.local', { GENERATOR: 'grpc', LABELS: { app: 'b' } }),
];

/** Text of an engine failure rather than a verdict on the input. */
const INTERNAL = /abort\(|Cannot enlarge memory|RuntimeError|out of memory/i;

describe('fuzz: validators and translators (fast-check)', function () {
  this.timeout(fuzzRunsSet() ? 0 : 300_000);
  let accepted = 0;
  let rejected = 0;
  let ignored = 0;

  it('no exception escapes; rejections name kind, namespace/name, field and reason; accepted config translates to valid, consistent output', () => {
    fc.assert(
      fc.property(objects, (objs) => {
        const kept: unknown[] = [];
        for (const o of objs) {
          const v = validateObject(o, 'default', 'fuzz.yaml');
          if (v.status === 'rejected') {
            rejected++;
            assert.ok(v.rejection.kind && v.rejection.name && v.rejection.namespace && v.rejection.reason, JSON.stringify(v.rejection));
            assert.ok(!v.rejection.reason.startsWith('validator failed'), `validator threw: ${v.rejection.reason}`);
            // An engine failure (e.g. the RE2 WebAssembly heap exhausted) must not pass for a user error.
            assert.doesNotMatch(v.rejection.reason, INTERNAL, `internal failure reported as a rejection: ${v.rejection.reason}`);
          } else if (v.status === 'ok') {
            accepted++;
            kept.push(o);
          } else ignored++;
        }
        const yaml = [BASE, ...kept.map((o) => stringify(o))].join('\n---\n');
        const { mesh } = meshFrom(yaml);
        for (const p of PROXIES) {
          const { problems } = snapshot(mesh, p, { strictClusters: false });
          assert.deepEqual(problems, [], `for ${p.id} with\n${yaml}`);
        }
      }),
      fuzzParams(400, 4),
    );
    if (fuzzRunsSet())
      process.stdout.write(
        `      fuzz: ${accepted + rejected + ignored} generated objects (accepted ${accepted}, rejected ${rejected}, ignored ${ignored})\n`,
      );
    assert.ok(accepted > 100 && rejected > 100, `both paths exercised (accepted ${accepted}, rejected ${rejected})`);
  });
});
