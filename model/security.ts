/**
 * @module model/security
 * Istio security kinds (security.istio.io v1 / v1beta1) that decide who may call a workload:
 * AuthorizationPolicy (ALLOW, DENY, AUDIT, CUSTOM with an ext_authz provider from the mesh
 * config) and RequestAuthentication (JWT rules). Field names follow the Istio API (camelCase as
 * in YAML). Plain readonly data, validated by watchers/validate/authorizationpolicy.ts and
 * requestauthentication.ts; translated by translators/authz/.
 *
 * A missing list and an empty list mean the same thing (proto3 repeated fields), except for
 * `rules` where istiod's meaning is kept: no rules → the policy matches nothing (an ALLOW policy
 * with no rules denies everything), an empty rule `{}` → it matches everything. One pure
 * function, `policyApplies`, says which workloads a policy selects (used by the translators and by
 * the store's "selects nothing" notices).
 */
import type { ObjectMeta } from './k8s.js';

/** Selects workloads by labels (an empty or missing selector selects every workload of the namespace). */
export interface PolicySelector {
  readonly matchLabels: Readonly<Record<string, string>>;
}

/**
 * A policy attached to a resource instead of selected by labels (`targetRefs`): a Gateway API
 * `Gateway` (applies to its deployment, pods labelled `gateway.networking.k8s.io/gateway-name`),
 * or a `Service`/`ServiceEntry` (applies to waypoints; tspilot has none, so they are reported).
 */
export interface PolicyTargetReference {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

export interface Source {
  readonly principals?: readonly string[];
  readonly notPrincipals?: readonly string[];
  readonly requestPrincipals?: readonly string[];
  readonly notRequestPrincipals?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly notNamespaces?: readonly string[];
  readonly ipBlocks?: readonly string[];
  readonly notIpBlocks?: readonly string[];
  readonly remoteIpBlocks?: readonly string[];
  readonly notRemoteIpBlocks?: readonly string[];
}

export interface Operation {
  readonly hosts?: readonly string[];
  readonly notHosts?: readonly string[];
  /** Ports as strings, as in the Istio API. */
  readonly ports?: readonly string[];
  readonly notPorts?: readonly string[];
  readonly methods?: readonly string[];
  readonly notMethods?: readonly string[];
  readonly paths?: readonly string[];
  readonly notPaths?: readonly string[];
}

export interface Condition {
  readonly key: string;
  readonly values?: readonly string[];
  readonly notValues?: readonly string[];
}

export interface AuthorizationRule {
  readonly from?: readonly { readonly source: Source }[];
  readonly to?: readonly { readonly operation: Operation }[];
  readonly when?: readonly Condition[];
}

export type AuthorizationAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

export interface AuthorizationPolicySpec {
  readonly selector?: PolicySelector;
  readonly targetRefs?: readonly PolicyTargetReference[];
  readonly action: AuthorizationAction;
  /** CUSTOM only: the name of an `extensionProviders` entry of the mesh config. */
  readonly provider?: { readonly name: string };
  readonly rules: readonly AuthorizationRule[];
}

export interface AuthorizationPolicy {
  readonly kind: 'AuthorizationPolicy';
  readonly meta: ObjectMeta;
  readonly spec: AuthorizationPolicySpec;
}

export interface JWTHeader {
  readonly name: string;
  readonly prefix?: string;
}

export interface JWTRule {
  readonly issuer: string;
  readonly audiences?: readonly string[];
  /** Where istiod (here: tspilot) fetches the keys to inline; http(s) only. */
  readonly jwksUri?: string;
  /** The JWKS itself, inline (JSON text). Wins over jwksUri. */
  readonly jwks?: string;
  readonly fromHeaders?: readonly JWTHeader[];
  readonly fromParams?: readonly string[];
  readonly fromCookies?: readonly string[];
  readonly outputPayloadToHeader?: string;
  readonly forwardOriginalToken?: boolean;
  readonly outputClaimToHeaders?: readonly { readonly header: string; readonly claim: string }[];
}

export interface RequestAuthenticationSpec {
  readonly selector?: PolicySelector;
  readonly targetRefs?: readonly PolicyTargetReference[];
  readonly jwtRules: readonly JWTRule[];
}

export interface RequestAuthentication {
  readonly kind: 'RequestAuthentication';
  readonly meta: ObjectMeta;
  readonly spec: RequestAuthenticationSpec;
}

/** The label Gateway API deployments carry: the Gateway they implement (targetRefs kind Gateway). */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

/** What a security policy selects with (AuthorizationPolicy, RequestAuthentication). */
export interface SelectingPolicy {
  readonly meta: ObjectMeta;
  readonly spec: { readonly selector?: PolicySelector; readonly targetRefs?: readonly PolicyTargetReference[] };
}

/**
 * Whether a policy applies to a workload (namespace and labels), as istiod decides: a policy in
 * the root namespace applies to every namespace, others only to their own; a `selector` must
 * match the labels (none → every workload in scope); `targetRefs` bind only what they name — a
 * Gateway API `Gateway` through its pods' GATEWAY_NAME_LABEL in the policy's namespace (Service
 * and ServiceEntry targets bind waypoints, which select no sidecar or gateway pod).
 */
export function policyApplies(
  p: SelectingPolicy,
  namespace: string,
  labels: Readonly<Record<string, string>>,
  rootNamespace: string,
): boolean {
  const ns = p.meta.namespace;
  if (p.spec.targetRefs?.length) {
    if (ns !== namespace) return false;
    return p.spec.targetRefs.some(
      (t) => t.kind === 'Gateway' && (t.namespace ?? ns) === namespace && labels[GATEWAY_NAME_LABEL] === t.name,
    );
  }
  if (ns !== rootNamespace && ns !== namespace) return false;
  const sel = p.spec.selector?.matchLabels ?? {};
  return Object.keys(sel).every((k) => labels[k] === sel[k]);
}

/** Where a rule's keys come from when it sets neither `jwks` nor `jwksUri`: the issuer's OpenID discovery document (istiod's rule). */
export const OPENID_SUFFIX = '/.well-known/openid-configuration';

/** The URI the server fetches for a rule's keys: `jwksUri`, else the issuer's discovery document; undefined with inline `jwks`. */
export function keySourceUri(rule: JWTRule): string | undefined {
  if (rule.jwks !== undefined) return undefined;
  if (rule.jwksUri) return rule.jwksUri;
  return /^https?:\/\//.test(rule.issuer) ? rule.issuer.replace(/\/+$/, '') + OPENID_SUFFIX : undefined;
}

/**
 * Keys fetched by the server for `jwksUri` (tspilot fetches and inlines them, as istiod does by
 * default). Plain data handed to translators beside the MeshConfig: uri → JWKS JSON text, or an
 * error when no good copy was ever fetched.
 */
export type JwksByUri = ReadonlyMap<string, { readonly jwks: string } | { readonly error: string }>;
