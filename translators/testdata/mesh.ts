/**
 * Test fixtures for the translator tests (pure data; the tests read examples/bookinfo/*.yaml and
 * build the mesh through parseConfigText → reduce → buildMesh themselves).
 *
 * `echo` (namespace default) exercises the VirtualService features: header/uri/method matches,
 * subsets, timeout, explicit retries, fault injection, a weighted split with a weight-0
 * destination, and endpoints from an EndpointSlice spread over two zones (one address not ready).
 * `cart` (namespace shop) is a service in another namespace, to check short names in domains.
 */

export const ECHO_YAML = `
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec:
  clusterIP: 10.96.20.1
  selector: {app: echo}
  ports:
  - {name: http-web, port: 8080, targetPort: 18080}
  - {name: grpc, port: 7070, targetPort: 17070}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: echo-abcde, namespace: default, labels: {kubernetes.io/service-name: echo}}
addressType: IPv4
ports:
- {name: grpc, port: 17070}
- {name: http-web, port: 18080}
endpoints:
- {addresses: [10.1.0.10], conditions: {ready: true}, targetRef: {kind: Pod, name: echo-v2-a}, zone: us-east1/us-east1-b}
- {addresses: [10.1.0.3], conditions: {ready: true}, targetRef: {kind: Pod, name: echo-v2-b}, zone: us-east1/us-east1-c}
- {addresses: [10.1.0.9], conditions: {ready: true}, targetRef: {kind: Pod, name: echo-v1-a}, zone: us-east1/us-east1-b}
- {addresses: [10.1.0.2], conditions: {ready: true}, targetRef: {kind: Pod, name: echo-v1-b}, zone: us-east1/us-east1-b}
- {addresses: [10.1.0.11], conditions: {ready: false}, targetRef: {kind: Pod, name: echo-v1-c}, zone: us-east1/us-east1-b}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Pod, metadata: {name: echo-v1-a, namespace: default, labels: {app: echo, version: v1}}, status: {phase: Running, podIP: 10.1.0.9}}
- {apiVersion: v1, kind: Pod, metadata: {name: echo-v1-b, namespace: default, labels: {app: echo, version: v1}}, status: {phase: Running, podIP: 10.1.0.2}}
- {apiVersion: v1, kind: Pod, metadata: {name: echo-v1-c, namespace: default, labels: {app: echo, version: v1}}, status: {phase: Running, podIP: 10.1.0.11}}
- {apiVersion: v1, kind: Pod, metadata: {name: echo-v2-a, namespace: default, labels: {app: echo, version: v2}}, status: {phase: Running, podIP: 10.1.0.10}}
- {apiVersion: v1, kind: Pod, metadata: {name: echo-v2-b, namespace: default, labels: {app: echo, version: v2}}, status: {phase: Running, podIP: 10.1.0.3}}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: echo, namespace: default}
spec:
  host: echo
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo]
  http:
  - name: canary
    match:
    - uri: {prefix: /api}
      headers:
        x-team: {prefix: web}
        x-canary: {exact: "yes"}
    - uri: {regex: "/v[0-9]+/items"}
      method: {exact: POST}
    route:
    - destination: {host: echo, subset: v2}
    timeout: 1.5s
    retries: {attempts: 3, perTryTimeout: 500ms}
  - name: chaos
    match:
    - uri: {exact: /chaos}
    fault:
      delay: {fixedDelay: 250ms, percentage: {value: 0.1}}
      abort: {httpStatus: 503, percentage: {value: 12.5}}
    route:
    - destination: {host: echo, subset: v1}
  - name: split
    route:
    - {destination: {host: echo, subset: v1}, weight: 70}
    - {destination: {host: echo, subset: v2}, weight: 30}
    - {destination: {host: echo.default.svc.cluster.local}, weight: 0}
`;

export const SHOP_YAML = `
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  clusterIP: 10.96.30.1
  ports:
  - {name: http, port: 9080}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: cart-x, namespace: shop, labels: {kubernetes.io/service-name: cart}}
ports: [{name: http, port: 9080}]
endpoints: [{addresses: [10.2.0.1]}]
`;

export const ECHO_HOST = 'echo.default.svc.cluster.local';
export const REVIEWS_HOST = 'reviews.default.svc.cluster.local';

/** Node IDs as istio-agent / a gRPC bootstrap sends them. */
export const NODE_DEFAULT = 'sidecar~10.244.0.21~productpage-v1-7d9c8b6f5-x21.default~default.svc.cluster.local';
export const NODE_SHOP = 'sidecar~10.2.0.9~cart-client-0.shop~shop.svc.cluster.local';
