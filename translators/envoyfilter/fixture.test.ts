/**
 * The mesh the EnvoyFilter tests patch (envoyfilter.test.ts, fuzz.test.ts): an HTTP service `a`
 * with one running pod and a TCP service `q`.
 */
export const BASE = `
apiVersion: v1
kind: Service
metadata: {name: a, namespace: default}
spec: {clusterIP: 10.96.0.1, selector: {app: a}, ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: q, namespace: default}
spec: {clusterIP: 10.96.0.2, selector: {app: q}, ports: [{name: tcp, port: 5672}]}
---
apiVersion: v1
kind: Pod
metadata: {name: a-1, namespace: default, labels: {app: a}}
spec: {containers: [{name: c}]}
status: {phase: Running, podIP: 10.1.0.1}
`;
