/**
 * @module translators/fuzz-peerauth.test
 * Property tests (fast-check) for workload mTLS: generated PeerAuthentications (valid, nearly valid
 * and broken: modes, selectors, portLevelMtls keys and values), DestinationRule TLS modes and the
 * mesh's enableAutoMtls go through validateObject and the translators. No exception escapes; a
 * rejection names kind, namespace/name, field and reason; every accepted set translates, for
 * sidecars with and without a sidecar label, a gateway and a proxyless gRPC client, into resources
 * that pass Envoy's validate.rules and form a consistent snapshot. Each inbound port ends up with
 * exactly the chains its effective mode calls for.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { fuzzParams } from '../e2e/fuzz.js';
import { validateObject } from '../watchers/validate/index.js';
import { DEFAULT_MESH_SETTINGS } from '../model/meshconfig.js';
import { effectiveMtls, mtlsModeForPort } from '../model/peerauth.js';
import { meshFrom, proxy, snapshot } from './harness.test.js';

const BASE = `apiVersion: v1
kind: Service
metadata: {name: a, namespace: default}
spec: {clusterIP: 10.96.0.1, selector: {app: a}, ports: [{name: http, port: 80, targetPort: 8080}, {name: tcp, port: 5000}, {name: grpc, port: 7070}]}
---
apiVersion: v1
kind: Pod
metadata: {name: a-1, namespace: default, labels: {app: a, version: v1, security.istio.io/tlsMode: istio}}
spec: {serviceAccountName: a, containers: [{name: a}]}
status: {phase: Running, podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: a-2, namespace: default, labels: {app: a, version: v2}}
spec: {containers: [{name: a}]}
status: {phase: Running, podIP: 10.1.0.2}
---
apiVersion: v1
kind: Service
metadata: {name: gw, namespace: istio-system}
spec: {clusterIP: 10.96.0.9, selector: {istio: ingressgateway}, ports: [{name: https, port: 443, targetPort: 8443}]}`;

const mode = fc.constantFrom('UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT', 'MUTUAL', 'strict', '');
const selector = fc.option(
  fc.record({
    matchLabels: fc.dictionary(
      fc.constantFrom('app', 'version', 'x/y', '-bad', 'a*'),
      fc.constantFrom('a', 'v1', 'v2', '*', 'has space', ''),
      { maxKeys: 2 },
    ),
  }),
  { nil: undefined },
);
const portLevel = fc.option(
  fc.dictionary(
    fc.constantFrom('8080', '5000', '7070', '9999', '0', '70000', 'http'),
    fc.oneof(fc.record({ mode }), fc.constant({}), fc.constant(null)),
    { maxKeys: 3 },
  ),
  { nil: undefined },
);
const pa = fc.record({
  apiVersion: fc.constantFrom('security.istio.io/v1', 'security.istio.io/v1beta1'),
  kind: fc.constant('PeerAuthentication'),
  metadata: fc.record({ name: fc.constantFrom('p1', 'p2', 'default'), namespace: fc.constantFrom('default', 'istio-system', 'other') }),
  spec: fc.record(
    { selector, mtls: fc.option(fc.record({ mode }, { requiredKeys: [] }), { nil: undefined }), portLevelMtls: portLevel },
    { requiredKeys: [] },
  ),
});
const dr = fc.record({
  apiVersion: fc.constant('networking.istio.io/v1'),
  kind: fc.constant('DestinationRule'),
  metadata: fc.record({ name: fc.constant('a'), namespace: fc.constant('default') }),
  spec: fc.record({
    host: fc.constant('a'),
    trafficPolicy: fc.record(
      {
        tls: fc.record(
          {
            mode: fc.constantFrom('DISABLE', 'ISTIO_MUTUAL', 'SIMPLE'),
            sni: fc.constant('a.example.com'),
            subjectAltNames: fc.constant(['spiffe://cluster.local/ns/default/sa/a']),
          },
          { requiredKeys: ['mode'] },
        ),
        portLevelSettings: fc.array(
          fc.record({
            port: fc.record({ number: fc.constantFrom(80, 5000, 7070) }),
            tls: fc.record({ mode: fc.constantFrom('DISABLE', 'ISTIO_MUTUAL') }),
          }),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: [] },
    ),
    subsets: fc.constant([{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }]),
  }),
});
const GATEWAY = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name: 'gw', namespace: 'istio-system' },
  spec: {
    selector: { istio: 'ingressgateway' },
    servers: [
      {
        port: { number: 443, name: 'https', protocol: 'HTTPS' },
        hosts: ['*'],
        tls: { mode: 'ISTIO_MUTUAL', subjectAltNames: ['spiffe://cluster.local/ns/default/sa/a'] },
      },
    ],
  },
};

const PROXIES = [
  proxy('sidecar~10.1.0.1~a-1.default~default.svc.cluster.local'),
  proxy('sidecar~10.1.0.2~a-2.default~default.svc.cluster.local'),
  proxy('router~10.1.0.9~gw-1.istio-system~istio-system.svc.cluster.local', { LABELS: { istio: 'ingressgateway' } }),
  proxy('sidecar~10.1.0.3~grpc-1.default~default.svc.cluster.local', { GENERATOR: 'grpc', LABELS: { app: 'a' } }),
];
const EXPECTED: Readonly<Record<string, number>> = {
  'STRICT/http': 1,
  'STRICT/tcp': 1,
  'DISABLE/http': 1,
  'DISABLE/tcp': 1,
  'PERMISSIVE/http': 2,
  'PERMISSIVE/tcp': 3,
};

type J = Record<string, unknown>;

describe('fuzz: PeerAuthentication and auto mTLS (fast-check)', function () {
  this.timeout(0);
  it('no exception escapes; rejections name the field; accepted policies translate to valid output with the chains their mode calls for', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(
        fc.array(pa, { maxLength: 4 }),
        fc.option(dr, { nil: undefined }),
        fc.boolean(),
        fc.boolean(),
        (pas, rule, auto, withGateway) => {
          const kept: unknown[] = [];
          for (const o of [...pas, ...(rule ? [rule] : []), ...(withGateway ? [GATEWAY] : [])]) {
            const v = validateObject(o, 'default', 'fuzz.yaml');
            if (v.status === 'rejected') {
              rejected++;
              assert.ok(v.rejection.kind && v.rejection.name && v.rejection.namespace && v.rejection.reason, JSON.stringify(v.rejection));
              assert.ok(!v.rejection.reason.startsWith('validator failed'), `validator threw: ${v.rejection.reason}`);
              assert.ok(v.rejection.field, `a rejection names the field: ${JSON.stringify(v.rejection)}`);
            } else if (v.status === 'ok') {
              accepted++;
              kept.push(o);
            }
          }
          const yaml = [BASE, ...kept.map((o) => stringify(o))].join('\n---\n');
          const { mesh } = meshFrom(yaml, { ...DEFAULT_MESH_SETTINGS, enableAutoMtls: auto });
          for (const p of PROXIES) {
            const { snap, problems } = snapshot(mesh, p);
            assert.deepEqual(problems, [], `for ${p.id} with\n${yaml}`);
            if (p.type !== 'sidecar' || p.generator === 'grpc') continue;
            const labels = mesh.pods.get(`default/${p.workloadName}`)!.meta.labels;
            const eff = effectiveMtls(mesh.peerAuthentications, 'istio-system', 'default', labels);
            const chains = (snap.listeners['virtualInbound'] as J)['filterChains'] as J[];
            for (const [port, http] of [
              [8080, true],
              [5000, false],
              [7070, true],
            ] as const) {
              const want = EXPECTED[`${mtlsModeForPort(eff, port)}/${http ? 'http' : 'tcp'}`];
              assert.equal(chains.filter((c) => c['name'] === `0.0.0.0_${port}`).length, want, `port ${port} of ${p.id} with\n${yaml}`);
            }
          }
        },
      ),
      fuzzParams(60, 11),
    );
    assert.ok(accepted > 20 && rejected > 20, `both paths exercised (accepted ${accepted}, rejected ${rejected})`);
  });
});
