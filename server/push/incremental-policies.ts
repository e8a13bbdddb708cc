/**
 * @module server/push/incremental-policies
 * The security policies incremental.test.ts edits at random in the mesh of incremental-fixture.ts
 * (proxies p1 — namespace a, `app: client` —, p2 — namespace b, `app: s1` — and the gateway of
 * namespace a): AuthorizationPolicies, RequestAuthentications and PeerAuthentications that select
 * by label, by namespace, from the root namespace (istio-system) and by Gateway `targetRefs`, with
 * every mTLS mode at every level and per port. Each file is one policy key whose variants change
 * its content only or its selection too, so both invalidations of translators/policy-deps.ts run.
 */

/** The selectors a variant picks from (`-` none: namespace-wide, or mesh-wide in the root namespace). */
type Sel = Readonly<Record<string, string>> | '-' | 'gateway';

const selector = (s: Sel): string =>
  s === '-'
    ? ''
    : s === 'gateway'
      ? '\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]'
      : `\n  selector: {matchLabels: ${JSON.stringify(s)}}`;

/** Where each AuthorizationPolicy file lives and what it may select. */
const AP_SLOTS: Readonly<Record<string, { ns: string; name: string; sels: readonly Sel[] }>> = {
  'ap-b': { ns: 'b', name: 'ap-s1', sels: [{ app: 's1' }, { app: 's1', version: 'v2' }, { version: 'v1' }, '-'] },
  'ap-a': { ns: 'a', name: 'ap-a', sels: [{ app: 'client' }, '-', { app: 'other' }, 'gateway', { istio: 'ingressgateway' }] },
  'ap-root': { ns: 'istio-system', name: 'ap-root', sels: ['-', { istio: 'ingressgateway' }, { app: 's1' }] },
};

/** AuthorizationPolicy file `slot`, variant v: its selection and its rules (action, sources, paths, ports). */
export function authorizationPolicy(slot: string, v: number): string {
  const s = AP_SLOTS[slot]!;
  const action = ['ALLOW', 'DENY', 'AUDIT', 'ALLOW'][v % 4]!;
  const sel = s.sels[Math.floor(v / 2) % s.sels.length]!;
  const rules =
    v % 5 === 4
      ? '' // ALLOW with no rules: denies everything
      : `\n  rules:
  - from: [{source: {principals: ["cluster.local/ns/a/sa/p${v % 3}"]}}]
    to: [{operation: {paths: ["/p${v % 3}"], ports: ["${v % 2 ? 8080 : 9000}"]}}]`;
  return `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${s.name}, namespace: ${s.ns}}
spec:${selector(sel)}
  action: ${action}${rules}
`;
}

const RA_SLOTS: Readonly<Record<string, { ns: string; name: string; sels: readonly Sel[] }>> = {
  'ra-b': { ns: 'b', name: 'ra', sels: [{ app: 's1' }, '-', { app: 'x' }] },
  'ra-root': { ns: 'istio-system', name: 'ra-root', sels: ['-', { app: 'client' }] },
};

/** RequestAuthentication file `slot`, variant v (inline keys: fetched ones are a mesh-wide input, a full push). */
export function requestAuthentication(slot: string, v: number): string {
  const s = RA_SLOTS[slot]!;
  const sel = s.sels[Math.floor(v / 2) % s.sels.length]!;
  return `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: ${s.name}, namespace: ${s.ns}}
spec:${selector(sel)}
  jwtRules:
  - issuer: https://issuer-${v % 3}.example.com
    jwks: '{"keys":[{"kty":"RSA","e":"AQAB","n":"n${v % 2}"}]}'${v % 2 ? '\n    forwardOriginalToken: true' : ''}
`;
}

const PA_SLOTS: Readonly<Record<string, { ns: string; name: string; sels: readonly Sel[] }>> = {
  // The mesh-wide policy (a selector in the root namespace is ignored, as in istiod).
  'pa-mesh': { ns: 'istio-system', name: 'default', sels: ['-', '-', { app: 's1' }] },
  'pa-a': { ns: 'a', name: 'default', sels: ['-', { app: 'client' }] },
  'pa-b': { ns: 'b', name: 's1', sels: [{ app: 's1' }, '-', { version: 'v1' }] },
  // Sorts before pa-b's: when both are namespace-wide or both select p2, this one wins.
  'pa-b2': { ns: 'b', name: 'aaa', sels: ['-', { app: 's1' }] },
};

const MODES = ['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET'] as const;

/** PeerAuthentication file `slot`, variant v: a mode, and with a selector sometimes port-level modes. */
export function peerAuthentication(slot: string, v: number): string {
  const s = PA_SLOTS[slot]!;
  const sel = s.sels[Math.floor(v / 4) % s.sels.length]!;
  const mode = MODES[v % 4]!;
  const ports = sel !== '-' && v % 3 ? `\n  portLevelMtls: {${v % 2 ? 8080 : 9000}: {mode: ${MODES[(v + 1) % 4]}}}` : '';
  return `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${s.name}, namespace: ${s.ns}}
spec:${selector(sel)}
  mtls: {mode: ${mode}}${ports}
`;
}

/** The policies the policy seeds start with: p2 selected by an ALLOW policy and a STRICT PeerAuthentication, the mesh PERMISSIVE. */
export function initialPolicies(): Map<string, string> {
  return new Map([
    ['ap-b', authorizationPolicy('ap-b', 0)],
    ['ra-b', requestAuthentication('ra-b', 0)],
    ['pa-b', peerAuthentication('pa-b', 0)],
    ['pa-mesh', peerAuthentication('pa-mesh', 1)],
  ]);
}

/** One random policy edit (or removal) of one of the files above. */
export function policyEdit(r: () => number, v: number): [string, string] {
  const x = r();
  const gone = r() < 0.15;
  const pick = <T>(l: readonly T[]): T => l[Math.floor(r() * l.length)]!;
  if (x < 0.4) {
    const slot = pick(Object.keys(AP_SLOTS));
    return [slot, gone ? '' : authorizationPolicy(slot, v)];
  }
  if (x < 0.6) {
    const slot = pick(Object.keys(RA_SLOTS));
    return [slot, gone ? '' : requestAuthentication(slot, v)];
  }
  const slot = pick(Object.keys(PA_SLOTS));
  return [slot, gone ? '' : peerAuthentication(slot, v)];
}
