/**
 * @module server/xds/conformance/secrets
 * Test fixture for gateway secrets: the test certificates (watchers/testdata/tls) and a mesh with
 * an istio-system gateway whose HTTPS server uses credentialName `gw-cert`, that Secret (cert A or
 * B), its `-cacert` CA, another istio-system Secret and one in namespace `team`.
 */
import { readFileSync } from 'node:fs';

const TLS = new URL('../../../../watchers/testdata/tls/', import.meta.url);
export const pem = (f: string): string => readFileSync(new URL(f, TLS), 'utf8');
export const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A gateway in istio-system with an HTTPS server using `gw-cert`, the Secret (cert A or B), and another namespace's Secret. */
export function sdsYaml(cert: 'gw-a' | 'gw-b' = 'gw-a'): string {
  return `
apiVersion: v1
kind: Secret
metadata: {name: gw-cert, namespace: istio-system}
type: kubernetes.io/tls
data:
  tls.crt: ${b64(pem(`${cert}.crt`))}
  tls.key: ${b64(pem(`${cert}.key`))}
---
apiVersion: v1
kind: Secret
metadata: {name: gw-cert-cacert, namespace: istio-system}
stringData:
  cacert: |
${pem('ca.crt')
  .trimEnd()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
---
apiVersion: v1
kind: Secret
metadata: {name: other-cert, namespace: istio-system}
type: kubernetes.io/tls
data: {tls.crt: ${b64(pem('gw-b.crt'))}, tls.key: ${b64(pem('gw-b.key'))}}
---
apiVersion: v1
kind: Secret
metadata: {name: team-cert, namespace: team}
type: kubernetes.io/tls
data: {tls.crt: ${b64(pem('gw-b.crt'))}, tls.key: ${b64(pem('gw-b.key'))}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: MUTUAL, credentialName: gw-cert}
`;
}
