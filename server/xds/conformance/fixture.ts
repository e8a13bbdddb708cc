/**
 * @module server/xds/conformance/fixture
 * The small mesh the conformance suite serves: services `a` and `b` (HTTP port 80) in `default`,
 * each with an EndpointSlice, optionally a third service `c`, a DestinationRule on `a` and
 * endpoint addresses chosen by the test — so each case can change exactly one thing.
 */
export interface FixtureOptions {
  /** Last octet of a's endpoint address (change it for an endpoint-only change). */
  readonly aEndpoint?: number;
  readonly withC?: boolean;
  readonly withB?: boolean;
  /** Adds a DestinationRule on `a` with this connection-pool limit (a CDS-only change). */
  readonly aMaxConnections?: number;
  /** A second HTTP port (8080) on `b`: adds a listener and route config (an LDS change). */
  readonly bSecondPort?: boolean;
  /** A VirtualService on `a` with this request timeout: changes route config "80" only (an RDS-only change). */
  readonly aRouteTimeout?: string;
}

function service(name: string, ip: string, ports: number[]): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec:
  clusterIP: ${ip}
  ports:
${ports.map((p) => `  - {name: http-${p}, port: ${p}, targetPort: ${p}}`).join('\n')}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-1, namespace: default, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
ports:
${ports.map((p) => `- {name: http-${p}, port: ${p}, protocol: TCP}`).join('\n')}
endpoints:
`;
}

export function fixtureYaml(o: FixtureOptions = {}): string {
  const docs: string[] = [];
  docs.push(service('a', '10.96.0.10', [80]) + `- addresses: [10.1.0.${o.aEndpoint ?? 1}]\n  conditions: {ready: true}\n`);
  if (o.withB !== false)
    docs.push(service('b', '10.96.0.11', o.bSecondPort ? [80, 8080] : [80]) + '- addresses: [10.1.1.1]\n  conditions: {ready: true}\n');
  if (o.withC) docs.push(service('c', '10.96.0.12', [80]) + '- addresses: [10.1.2.1]\n  conditions: {ready: true}\n');
  if (o.aMaxConnections) {
    docs.push(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a, namespace: default}
spec:
  host: a.default.svc.cluster.local
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: ${o.aMaxConnections}}
`);
  }
  if (o.aRouteTimeout) {
    docs.push(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: default}
spec:
  hosts: [a.default.svc.cluster.local]
  http:
  - timeout: ${o.aRouteTimeout}
    route:
    - destination: {host: a.default.svc.cluster.local}
`);
  }
  return docs.join('---\n');
}

export const A = 'outbound|80||a.default.svc.cluster.local';
export const B = 'outbound|80||b.default.svc.cluster.local';
export const C = 'outbound|80||c.default.svc.cluster.local';
