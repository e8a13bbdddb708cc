/**
 * @module translators/policy-deps
 * Dependency keys (translators/deps.ts) of the security policies — AuthorizationPolicy,
 * RequestAuthentication, PeerAuthentication — both sides of them: what a translation records when
 * it reads the policies through its scope, and what an edit of one invalidates (changed-deps.ts).
 * So a policy edit re-translates the outputs it can change instead of every proxy (issue 18).
 *
 * Every policy reader asks about one workload (namespace and labels) through the scope:
 * `Scope.policies()` (the AuthorizationPolicies and RequestAuthentications that apply: inbound and
 * gateway RBAC, ext_authz and jwt_authn filters, proxyless gRPC RBAC) and `Scope.peerAuth()` (the
 * effective PeerAuthentication: inbound filter chains' mTLS mode). Such a read records
 * - `authz:`, `reqauthn:` or `peerauth:<ns>/<name>` for each policy whose content it used (those
 *   that apply; for PeerAuthentication the winner of each level — model/peerauth.ts);
 * - `wlns:<namespace>` and `wllbl:<namespace>/<key>=<value>` for each of its labels: which policies
 *   select it at all (model/security.ts policyApplies, model/peerauth.ts peerAuthLevels).
 * The one reader about a service rather than a workload is auto mTLS (`Scope.autoMtls(svc)`, the
 * TLS of every outbound cluster): the mesh's and the service namespace's PeerAuthentication,
 * labels aside, recorded as `automtls:<service namespace>`, and AUTO_MTLS_MESH when no
 * namespace-wide policy of that namespace set a mode (the mesh-wide one answered).
 *
 * An edit of policy `<ns>/<name>` invalidates (`policyDeps`), from its versions before and after:
 * - when it exists in both with the same selection (namespace, `selector`, `targetRefs`): only its
 *   content key — it applies (or wins) exactly where it did, so only there can output change;
 * - else what it selected before and selects after: namespace-wide `wlns:<ns>`, a selector the
 *   `wllbl:` key of one of its labels (every workload it selects carries all of them), a Gateway
 *   `targetRef` the gateway-name label; in the root namespace `wlns:*` (it applies everywhere) or,
 *   with a selector, `wllbl:*` (AuthorizationPolicy and RequestAuthentication only: istiod ignores
 *   a root-namespace PeerAuthentication with a selector);
 * - for a PeerAuthentication, also `automtls:<ns>` for each namespace whose DISABLE-ness (what auto
 *   mTLS reads) differs between the two meshes, worked out exactly (AUTO_MTLS_MESH when the
 *   mesh-wide answer changed: the namespaces it answers for cannot be listed).
 * The proxy class key names the applied policies and the effective mTLS (index.ts), so a change of
 * selection or of a PeerAuthentication moves proxies between classes — only proxies of the policy's
 * namespace, unless it is the root namespace (`policyReclassify`: the cache keys only those again)
 * —; a content-only edit of an AuthorizationPolicy or RequestAuthentication moves none (deps.ts
 * classKeysKept).
 */
import type { MeshConfig } from '../model/config.js';
import { composePeerAuth, peerAuthLevels, type EffectiveMtls, type PeerAuthentication } from '../model/peerauth.js';
import { GATEWAY_NAME_LABEL, type SelectingPolicy } from '../model/security.js';
import type { AppliedPolicies } from './authz/select.js';

/** The security policy kinds whose edits are keyed here. */
export const POLICY_KINDS: ReadonlySet<string> = new Set(['AuthorizationPolicy', 'RequestAuthentication', 'PeerAuthentication']);

const CONTENT_KIND: Readonly<Record<string, string>> = {
  AuthorizationPolicy: 'authz',
  RequestAuthentication: 'reqauthn',
  PeerAuthentication: 'peerauth',
};

/** The content key of policy `<ns>/<name>` of `kind` (read where it applies). */
export const policyDep = (kind: string, ns: string, name: string): string => `${CONTENT_KIND[kind]}:${ns}/${name}`;
/** Which policies select the workloads of `ns` (every reader of them). */
export const WL_NS_ANY = 'wlns:*';
export const wlNsDep = (ns: string): string => `wlns:${ns}`;
/** Which policies select the workloads of `ns` labelled `key=value`. */
export const WL_LABEL_ANY = 'wllbl:*';
export const wlLabelDep = (ns: string, key: string, value: string): string => `wllbl:${ns}/${key}=${value}`;
/** Whether auto mTLS applies to the services of `ns` (mtls-upstream.ts autoMtlsApplies). */
export const autoMtlsDep = (ns: string): string => `automtls:${ns}`;
/** Read with `automtls:` where no namespace-wide policy sets a mode: the mesh-wide one answered. */
export const AUTO_MTLS_MESH = 'automtlsmesh:mesh';

type Meta = { readonly meta: { readonly namespace: string; readonly name: string } };

/** What a read of the policies selecting a workload records (`applied`: what it got). */
export function notePolicies(
  sink: Set<string>,
  namespace: string,
  labels: Readonly<Record<string, string>>,
  applied: AppliedPolicies,
): void {
  noteSelection(sink, namespace, labels);
  for (const p of [...applied.allow, ...applied.deny, ...applied.audit, ...applied.custom])
    sink.add(policyDep('AuthorizationPolicy', p.meta.namespace, p.meta.name));
  for (const p of applied.requestAuthentications) sink.add(policyDep('RequestAuthentication', p.meta.namespace, p.meta.name));
}

/** What a read of a workload's effective PeerAuthentication records (`eff`: what it got). */
export function notePeerAuth(sink: Set<string>, namespace: string, labels: Readonly<Record<string, string>>, eff: EffectiveMtls): void {
  noteSelection(sink, namespace, labels);
  const l = eff.levels;
  for (const p of [l.mesh, l.namespace, l.workload]) if (p) sink.add(policyDep('PeerAuthentication', p.meta.namespace, p.meta.name));
}

/** What a read of auto mTLS for a service of `ns` records: its namespace, and the mesh-wide policy when that answered. */
export function noteAutoMtls(sink: Set<string>, mesh: MeshConfig, ns: string): void {
  sink.add(autoMtlsDep(ns));
  let byNs = meshAnswers.get(mesh);
  if (!byNs) meshAnswers.set(mesh, (byNs = new Map()));
  let fromMesh = byNs.get(ns);
  if (fromMesh === undefined) {
    const own = peerAuthLevels(mesh.peerAuthentications, mesh.settings.rootNamespace, ns, {}).namespace?.spec.mtls?.mode;
    byNs.set(ns, (fromMesh = own === undefined || own === 'UNSET'));
  }
  if (fromMesh) sink.add(AUTO_MTLS_MESH);
}

/** Per mesh and namespace: whether the mesh-wide policy decides auto mTLS there (asked once per cluster otherwise). */
const meshAnswers = new WeakMap<MeshConfig, Map<string, boolean>>();

function noteSelection(sink: Set<string>, namespace: string, labels: Readonly<Record<string, string>>): void {
  sink.add(wlNsDep(namespace));
  for (const k in labels) sink.add(wlLabelDep(namespace, k, labels[k]!));
}

/** The versions of `<ns>/<name>` in a list (one, or none; several only if the store ever kept duplicates). */
const versions = <T extends Meta>(list: readonly T[], ns: string, name: string): T[] =>
  list.filter((p) => p.meta.namespace === ns && p.meta.name === name);

function listOf(mesh: MeshConfig, kind: string): readonly (SelectingPolicy | PeerAuthentication)[] {
  if (kind === 'AuthorizationPolicy') return mesh.authorizationPolicies;
  if (kind === 'RequestAuthentication') return mesh.requestAuthentications;
  return mesh.peerAuthentications;
}

/** What decides where a policy applies (besides its namespace): its selector and, for AuthorizationPolicy and RequestAuthentication, its targetRefs. */
function selection(p: SelectingPolicy | PeerAuthentication): string {
  const spec = p.spec as { readonly selector?: unknown; readonly targetRefs?: unknown };
  return JSON.stringify([spec.selector ?? null, spec.targetRefs ?? null]);
}

/** The keys of every workload `p` selects (model/security.ts policyApplies, model/peerauth.ts peerAuthLevels). */
function selectionDeps(kind: string, p: SelectingPolicy | PeerAuthentication, root: string, out: Set<string>): void {
  const ns = p.meta.namespace;
  const sel = Object.entries(p.spec.selector?.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const refs = kind === 'PeerAuthentication' ? undefined : (p as SelectingPolicy).spec.targetRefs;
  if (refs?.length) {
    // Only a Gateway of its own namespace, through its pods' gateway-name label.
    for (const t of refs) if (t.kind === 'Gateway' && (t.namespace ?? ns) === ns) out.add(wlLabelDep(ns, GATEWAY_NAME_LABEL, t.name));
    return;
  }
  if (!sel.length) out.add(ns === root ? WL_NS_ANY : wlNsDep(ns));
  else if (ns !== root) out.add(wlLabelDep(ns, sel[0]![0], sel[0]![1]));
  else if (kind !== 'PeerAuthentication') out.add(WL_LABEL_ANY);
}

/**
 * The keys an edit of `kind` `<ns>/<name>` (from `prev` to `next`, whose settings are the same)
 * invalidates, into `out` (see the module comment).
 */
export function policyDeps(prev: MeshConfig, next: MeshConfig, kind: string, ns: string, name: string, out: Set<string>): void {
  const root = next.settings.rootNamespace;
  const before = versions(listOf(prev, kind), ns, name);
  const after = versions(listOf(next, kind), ns, name);
  if (before.length === 1 && after.length === 1 && selection(before[0]!) === selection(after[0]!)) out.add(policyDep(kind, ns, name));
  else for (const p of [...before, ...after]) selectionDeps(kind, p, root, out);
  if (kind === 'PeerAuthentication') autoMtlsDeps(prev, next, out);
}

/** Kinds whose edits move no proxy to another class (deps.ts classKeysKept: their keys are not read by the class key). */
const CLASS_NEUTRAL_KINDS: ReadonlySet<string> = new Set(['VirtualService', 'DestinationRule']);

/**
 * Which proxies a keyed push of `keys` may move to another class when it holds policy edits and
 * otherwise only VirtualService or DestinationRule edits: those of the policies' namespaces — the
 * class key reads the policies of the proxy's namespace and the root namespace (index.ts
 * CLASS_KEY_PARTS: appliedKey, mtlsClassKey) —; undefined (any proxy) for anything else or a
 * policy of the root namespace.
 */
export function policyReclassify(keys: ReadonlySet<string>, root: string): ((p: { readonly namespace: string }) => boolean) | undefined {
  const namespaces = new Set<string>();
  for (const k of keys) {
    const [kind, ns] = k.split('/');
    if (kind === undefined || ns === undefined) return undefined;
    if (CLASS_NEUTRAL_KINDS.has(kind)) continue;
    if (!POLICY_KINDS.has(kind) || ns === root) return undefined;
    namespaces.add(ns);
  }
  return namespaces.size ? (p) => namespaces.has(p.namespace) : undefined;
}

/** Whether auto mTLS is off for the services of `ns` (mtls-upstream.ts autoMtlsApplies: the mesh and namespace levels). */
const disabled = (mesh: MeshConfig, ns: string): boolean =>
  composePeerAuth(peerAuthLevels(mesh.peerAuthentications, mesh.settings.rootNamespace, ns, {})).mode === 'DISABLE';

/**
 * `automtls:` keys of the namespaces whose answer differs between the meshes: those with a
 * namespace-wide PeerAuthentication in either are asked one by one; every other namespace answers
 * as the mesh-wide policy says, asked once (AUTO_MTLS_MESH when that changed: recorded by the reads
 * the mesh-wide policy answered, not those a namespace's own overrode).
 */
function autoMtlsDeps(prev: MeshConfig, next: MeshConfig, out: Set<string>): void {
  const own = new Set<string>();
  const root = next.settings.rootNamespace;
  // The root namespace's own policy is the mesh-wide one (peerAuthLevels): its services are answered by it, as AUTO_MTLS_MESH.
  for (const m of [prev, next])
    for (const p of m.peerAuthentications)
      if (!Object.keys(p.spec.selector?.matchLabels ?? {}).length && p.meta.namespace !== root) own.add(p.meta.namespace);
  // A namespace name no object can have: only the mesh-wide policy applies to it.
  const none = '\u0000';
  if (disabled(prev, none) !== disabled(next, none)) out.add(AUTO_MTLS_MESH);
  for (const ns of own) if (disabled(prev, ns) !== disabled(next, ns)) out.add(autoMtlsDep(ns));
}
