/**
 * @module model/peerauth
 * PeerAuthentication (security.istio.io v1/v1beta1): whether a workload's inbound side accepts
 * mutual TLS, plaintext or both, and the pure function that says which mode applies to one
 * workload port, composed as istiod's ComposePeerAuthentication does:
 *
 * 1. the mesh-wide policy (no selector, in the root namespace), else PERMISSIVE;
 * 2. the namespace policy (no selector, in the workload's namespace) overrides a set mode;
 * 3. the workload policy (a selector matching the workload's labels, in its namespace — selectors
 *    in the root namespace are ignored, as in istiod) overrides a set mode;
 * 4. the workload policy's `portLevelMtls` entry for the port overrides it (UNSET inherits).
 *
 * UNSET at any level inherits from the level above. When several policies compete at one level
 * istiod takes the oldest; objects carry no creation time here, so the first by name wins (the
 * same order DestinationRules use). Plain data and pure functions.
 */
import type { ObjectMeta } from './k8s.js';
import { selectorMatches } from './labels.js';

export type MtlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';
/** What a level resolves to: UNSET never survives composition. */
export type EffectiveMtlsMode = Exclude<MtlsMode, 'UNSET'>;

export const MTLS_MODES: readonly MtlsMode[] = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'];

export interface PeerAuthenticationSpec {
  /** `selector.matchLabels`; absent (or empty) = namespace-wide (mesh-wide in the root namespace). */
  readonly selector?: { readonly matchLabels: Readonly<Record<string, string>> };
  readonly mtls?: { readonly mode: MtlsMode };
  /** Workload port → mode (needs a selector). */
  readonly portLevelMtls?: Readonly<Record<number, { readonly mode: MtlsMode }>>;
}

export interface PeerAuthentication {
  readonly kind: 'PeerAuthentication';
  readonly meta: ObjectMeta;
  readonly spec: PeerAuthenticationSpec;
}

/** Which policies apply to a workload, level by level (for explain and config status). */
export interface PeerAuthenticationLevels {
  readonly mesh?: PeerAuthentication;
  readonly namespace?: PeerAuthentication;
  readonly workload?: PeerAuthentication;
}

/** The composed result for a workload: its mode and per-port overrides (already resolved). */
export interface EffectiveMtls {
  readonly mode: EffectiveMtlsMode;
  /** Port → mode for ports named in the workload policy's portLevelMtls, sorted by port. */
  readonly perPort: readonly { readonly port: number; readonly mode: EffectiveMtlsMode }[];
  readonly levels: PeerAuthenticationLevels;
}

export const PERMISSIVE_DEFAULT: EffectiveMtls = { mode: 'PERMISSIVE', perPort: [], levels: {} };

const hasSelector = (p: PeerAuthentication): boolean => Object.keys(p.spec.selector?.matchLabels ?? {}).length > 0;

const byName = (a: PeerAuthentication, b: PeerAuthentication): number =>
  a.meta.namespace.localeCompare(b.meta.namespace) || a.meta.name.localeCompare(b.meta.name);

/** Whether `p` (if it has a selector) picks the workload with `labels` in `namespace`. */
export function peerAuthSelects(p: PeerAuthentication, namespace: string, labels: Readonly<Record<string, string>>): boolean {
  return p.meta.namespace === namespace && hasSelector(p) && selectorMatches(p.spec.selector!.matchLabels, labels);
}

/** The policy that wins at each level for a workload (`policies` in any order). */
export function peerAuthLevels(
  policies: readonly PeerAuthentication[],
  rootNamespace: string,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): PeerAuthenticationLevels {
  let mesh: PeerAuthentication | undefined;
  let ns: PeerAuthentication | undefined;
  let workload: PeerAuthentication | undefined;
  const first = (cur: PeerAuthentication | undefined, p: PeerAuthentication): PeerAuthentication => (cur && byName(cur, p) <= 0 ? cur : p);
  for (const p of policies) {
    if (!hasSelector(p)) {
      if (p.meta.namespace === rootNamespace) mesh = first(mesh, p);
      else if (p.meta.namespace === namespace) ns = first(ns, p);
    } else if (p.meta.namespace !== rootNamespace && peerAuthSelects(p, namespace, labels)) {
      workload = first(workload, p);
    }
  }
  return { ...(mesh ? { mesh } : {}), ...(ns ? { namespace: ns } : {}), ...(workload ? { workload } : {}) };
}

const setMode = (m: MtlsMode | undefined): m is EffectiveMtlsMode => m !== undefined && m !== 'UNSET';

/** istiod's ComposePeerAuthentication over the winning policy of each level. */
export function composePeerAuth(levels: PeerAuthenticationLevels): EffectiveMtls {
  let mode: EffectiveMtlsMode = 'PERMISSIVE';
  for (const p of [levels.mesh, levels.namespace, levels.workload]) {
    const m = p?.spec.mtls?.mode;
    if (setMode(m)) mode = m;
  }
  const pl = levels.workload?.spec.portLevelMtls ?? {};
  const perPort = Object.keys(pl)
    .map(Number)
    .sort((a, b) => a - b)
    .map((port) => {
      const m = pl[port]!.mode;
      return { port, mode: setMode(m) ? m : mode };
    });
  return { mode, perPort, levels };
}

/** The effective mTLS settings for a workload (namespace + labels). */
export function effectiveMtls(
  policies: readonly PeerAuthentication[],
  rootNamespace: string,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): EffectiveMtls {
  return composePeerAuth(peerAuthLevels(policies, rootNamespace, namespace, labels));
}

/** The mode for one workload port. */
export function mtlsModeForPort(eff: EffectiveMtls, port: number): EffectiveMtlsMode {
  return eff.perPort.find((p) => p.port === port)?.mode ?? eff.mode;
}

/**
 * The effective mTLS mode for (policies, mesh root namespace, workload namespace, labels, port):
 * the one-call form other generators (proxyless gRPC server side) use.
 */
export function effectiveMtlsMode(
  policies: readonly PeerAuthentication[],
  rootNamespace: string,
  namespace: string,
  labels: Readonly<Record<string, string>>,
  port: number,
): EffectiveMtlsMode {
  return mtlsModeForPort(effectiveMtls(policies, rootNamespace, namespace, labels), port);
}

/** A stable text key of the effective settings (for proxy class keys and explain). */
export function mtlsKey(eff: EffectiveMtls): string {
  return [eff.mode, ...eff.perPort.map((p) => `${p.port}=${p.mode}`)].join(',');
}
