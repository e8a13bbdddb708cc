/**
 * @module e2e/proxyless/shop-mesh
 * The YAML of the proxyless security tests: namespace `shop`, one gRPC server workload per test
 * case (Service `<name>` port 7070 → the server's real port, a Pod with service account `<name>`
 * and the given labels, an EndpointSlice on 127.0.0.1), and the policies the test writes.
 */

export const SHOP = 'shop';
export const SERVICE_PORT = 7070;
export const targetOf = (name: string): string => `xds:///${name}.${SHOP}.svc.cluster.local:${SERVICE_PORT}`;

export function workloadYaml(name: string, port: number, labels: Readonly<Record<string, string>>): string {
  const lab = JSON.stringify({ app: name, ...labels });
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${SHOP}}
spec:
  clusterIP: 10.96.7.${(port % 200) + 10}
  selector: {app: ${name}}
  ports:
  - {name: grpc, port: ${SERVICE_PORT}, targetPort: ${port}}
---
apiVersion: v1
kind: Pod
metadata:
  name: ${name}-0
  namespace: ${SHOP}
  labels: ${lab}
spec:
  serviceAccountName: ${name}
status: {phase: Running, podIP: 127.0.0.1}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}
  namespace: ${SHOP}
  labels: {kubernetes.io/service-name: ${name}}
addressType: IPv4
ports:
- {name: grpc, port: ${port}, protocol: TCP}
endpoints:
- addresses: [127.0.0.1]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: ${name}-0, namespace: ${SHOP}}
`;
}

/** A DestinationRule asking proxyless clients for mTLS to `name` (istiod adds client TLS only for this). */
export const istioMutualDr = (name: string): string => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${SHOP}}
spec:
  host: ${name}.${SHOP}.svc.cluster.local
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
`;
