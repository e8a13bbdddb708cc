/**
 * The console's traffic summary of a service, from real config: which rules route it, with what
 * weights and subsets, and what the DestinationRule in force does — including what it leaves out
 * (gateway-only VirtualServices, the loser of a host conflict).
 */
import { strict as assert } from 'node:assert';
import { meshFrom } from '../../translators/harness.test.js';
import { policyLines, trafficView } from './traffic.js';

const SVC = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  clusterIP: 10.96.0.9
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
`;
const vs = (name: string, body: string, gateways = ''): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [reviews]
${gateways}  http:
${body}`;
const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {consecutive5xxErrors: 3, interval: 5s, baseEjectionTime: 1m}
  subsets:
  - {name: v1, labels: {version: v1}}
  - name: v2
    labels: {version: v2}
    trafficPolicy: {connectionPool: {tcp: {maxConnections: 10}}}
`;
const HOST = 'reviews.default.svc.cluster.local';

describe('console traffic view', () => {
  it('lists each HTTP rule with its matches, weighted destinations and actions, and the DestinationRule with its subsets', () => {
    const { mesh } = meshFrom(
      [
        SVC,
        DR,
        vs(
          'reviews',
          `  - name: jason
    match: [{headers: {end-user: {exact: jason}}, uri: {prefix: /api}}]
    route: [{destination: {host: reviews, subset: v2}}]
    timeout: 2s
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 75}
    - {destination: {host: reviews, subset: v2}, weight: 25}
    - {destination: {host: reviews, subset: v1}, weight: 0}
`,
        ),
      ].join('---\n'),
    );
    const t = trafficView(mesh, HOST);
    assert.deepEqual(mesh.rejected, []);
    assert.equal(t.routes.length, 2);
    assert.deepEqual(t.routes[0]!.match, ['uri prefix /api, header end-user = jason']);
    assert.deepEqual(t.routes[0]!.destinations, [{ host: HOST, subset: 'v2', port: null, weight: 100 }]);
    assert.deepEqual(t.routes[0]!.actions, ['timeout 2s']);
    assert.equal(t.routes[1]!.name, '');
    assert.deepEqual(t.routes[1]!.match, ['any request']);
    assert.deepEqual(
      t.routes[1]!.destinations.map((d) => `${d.subset}:${d.weight}`),
      ['v1:75', 'v2:25'],
      'weight 0 is dropped, as the translator drops it',
    );
    assert.equal(t.destinationRule?.name, 'default/reviews');
    assert.deepEqual(t.destinationRule?.policy, ['load balancer ROUND_ROBIN', 'outlier detection: 3 errors, every 5s, eject 1m']);
    assert.deepEqual(
      t.destinationRule?.subsets.map((s) => [s.name, s.policy]),
      [
        ['v1', []],
        ['v2', ['max connections 10']],
      ],
    );
  });

  it('leaves out VirtualServices bound only to gateways and the loser of a host conflict', () => {
    const { mesh } = meshFrom(
      [
        SVC,
        vs('a-first', '  - route: [{destination: {host: reviews}}]\n    timeout: 1s\n'),
        vs('b-second', '  - route: [{destination: {host: reviews}}]\n'),
        vs('gw-only', '  - route: [{destination: {host: reviews}}]\n', '  gateways: [istio-system/ingress]\n'),
      ].join('---\n'),
    );
    assert.deepEqual(mesh.rejected, []);
    const t = trafficView(mesh, HOST);
    assert.deepEqual(
      t.routes.map((r) => r.virtualService),
      ['default/a-first'],
    );
    assert.deepEqual(t.ignoredVirtualServices, ['default/b-second']);
    assert.equal(t.destinationRule, null);
  });

  it('summarises hash policies', () => {
    assert.deepEqual(policyLines({ loadBalancer: { consistentHash: { httpHeaderName: 'x-user', maglev: { tableSize: 65537 } } } }), [
      'consistent hash (MAGLEV) on header x-user',
    ]);
  });
});
