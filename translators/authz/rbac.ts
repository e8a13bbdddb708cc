/**
 * @module translators/authz/rbac
 * The AuthorizationPolicies that apply to a workload → Envoy RBAC filters, in istiod's order
 * (pilot/pkg/security/authz/builder): CUSTOM first (a shadow RBAC filter naming the matching
 * CUSTOM policy, then ext_authz — placed before jwt_authn, as istiod does), then AUDIT (action
 * LOG), DENY, ALLOW. HTTP chains get `envoy.filters.http.rbac`
 * (`envoy.extensions.filters.http.rbac.v3.RBAC`), TCP chains `envoy.filters.network.rbac`
 * (`…network.rbac.v3.RBAC`, stat prefix `tcp.`) before tcp_proxy. Policies are named
 * `ns[<ns>]-policy[<name>]-rule[<i>]` (CUSTOM ones prefixed `istio-ext-authz-`); a policy
 * without rules becomes istiod's match-never policy; `istio.io/dry-run: "true"` puts a policy in
 * `shadow_rules`. A CUSTOM provider that is missing or unresolvable turns its policies into a
 * DENY (names suffixed `-bad-custom-action`), as istiod. Skipped rules are returned as notes for
 * explain. Pure.
 */
import type { MeshConfig } from '../../model/config.js';
import type { AuthorizationAction, AuthorizationPolicy } from '../../model/security.js';
import { typedAny } from '../../proto/any.js';
import type { AppliedPolicies } from './select.js';
import { MATCH_NEVER, rulePolicy } from './rule.js';
import { buildExtAuthz, EXT_AUTHZ_POLICY_PREFIX, EXT_AUTHZ_SHADOW_PREFIX } from './extauthz.js';
import type { Json } from './matchers.js';

export const RBAC_HTTP_FILTER = 'envoy.filters.http.rbac';
export const RBAC_TCP_FILTER = 'envoy.filters.network.rbac';
const RBAC_HTTP_TYPE = 'envoy.extensions.filters.http.rbac.v3.RBAC';
const RBAC_TCP_TYPE = 'envoy.extensions.filters.network.rbac.v3.RBAC';
const DRY_RUN = 'istio.io/dry-run';

export interface NamedFilter {
  readonly name: string;
  readonly typed_config: unknown;
}

export interface AuthzFilters {
  /** CUSTOM filters (shadow RBAC + ext_authz), which istiod puts before authentication. */
  readonly custom: readonly NamedFilter[];
  /** AUDIT, DENY, ALLOW RBAC filters, after authentication. */
  readonly local: readonly NamedFilter[];
  /** Why rules were left out (an HTTP-only field on a TCP chain, a bad provider), for explain and logs. */
  readonly notes: readonly string[];
}

const EMPTY: AuthzFilters = { custom: [], local: [], notes: [] };

export function policyName(ns: string, name: string, i: number, custom = false): string {
  return `${custom ? `${EXT_AUTHZ_POLICY_PREFIX}-` : ''}ns[${ns}]-policy[${name}]-rule[${i}]`;
}

const ENVOY_ACTION: Readonly<Record<AuthorizationAction, string>> = { ALLOW: 'ALLOW', DENY: 'DENY', AUDIT: 'LOG', CUSTOM: 'DENY' };

interface Built {
  readonly rules: Json | null;
  readonly shadow: Json | null;
}

function isDryRun(p: AuthorizationPolicy): boolean {
  return p.meta.annotations[DRY_RUN]?.toLowerCase() === 'true';
}

/** The enforced and dry-run RBAC of a list of policies of one action; null when there are none. */
function build(
  policies: readonly AuthorizationPolicy[],
  action: AuthorizationAction,
  forTCP: boolean,
  notes: string[],
  trustDomain: string,
): Built | null {
  if (!policies.length) return null;
  const enforce: Record<string, Json> = {};
  const shadow: Record<string, Json> = {};
  let hasEnforce = false;
  let hasShadow = false;
  for (const p of policies) {
    const dry = isDryRun(p) && action !== 'CUSTOM';
    const target = dry ? shadow : enforce;
    if (dry) hasShadow = true;
    else hasEnforce = true;
    const custom = action === 'CUSTOM';
    p.spec.rules.forEach((rule, i) => {
      const name = policyName(p.meta.namespace, p.meta.name, i, custom);
      const out = rulePolicy(rule, forTCP, action, trustDomain);
      if (typeof out === 'string') {
        notes.push(`skipped rule ${name} on ${forTCP ? 'TCP' : 'HTTP'}: ${out}`);
        return;
      }
      target[name] = out;
    });
    if (!p.spec.rules.length) target[policyName(p.meta.namespace, p.meta.name, 0, custom)] = MATCH_NEVER;
  }
  const act = ENVOY_ACTION[action];
  return { rules: hasEnforce ? { action: act, policies: enforce } : null, shadow: hasShadow ? { action: act, policies: shadow } : null };
}

function rbacConfig(b: Built, forTCP: boolean): Json {
  const prefix = b.shadow
    ? b.shadow['action'] === 'ALLOW'
      ? 'istio_dry_run_allow_'
      : b.shadow['action'] === 'DENY'
        ? 'istio_dry_run_deny_'
        : ''
    : '';
  return {
    ...(forTCP ? { stat_prefix: 'tcp.' } : {}),
    ...(b.rules ? { rules: b.rules } : {}),
    ...(b.shadow ? { shadow_rules: b.shadow, ...(prefix ? { shadow_rules_stat_prefix: prefix } : {}) } : {}),
  };
}

function rbacFilter(config: Json, forTCP: boolean): NamedFilter {
  return forTCP
    ? { name: RBAC_TCP_FILTER, typed_config: typedAny(RBAC_TCP_TYPE, config) }
    : { name: RBAC_HTTP_FILTER, typed_config: typedAny(RBAC_HTTP_TYPE, config) };
}

/** istiod's getBadCustomDenyRules: deny what the CUSTOM policies match. */
function badCustomDeny(rules: Json | null): Json {
  const policies = (rules?.['policies'] ?? {}) as Record<string, Json>;
  return {
    rules: {
      action: 'DENY',
      policies: Object.fromEntries(
        Object.keys(policies)
          .sort()
          .map((k) => [`${k}-bad-custom-action`, policies[k]]),
      ),
    },
  };
}

function customFilters(mesh: MeshConfig, policies: readonly AuthorizationPolicy[], forTCP: boolean, notes: string[]): NamedFilter[] {
  if (!policies.length) return [];
  const built = build(policies, 'CUSTOM', forTCP, notes, mesh.settings.trustDomain);
  if (!built) return [];
  const providers = [...new Set(policies.map((p) => p.spec.provider?.name ?? ''))].sort();
  const deny = (why: string): NamedFilter[] => {
    notes.push(`CUSTOM policies ${policies.map((p) => `${p.meta.namespace}/${p.meta.name}`).join(', ')}: ${why}; denying what they match`);
    const cfg = badCustomDeny(built.rules);
    return [rbacFilter(forTCP ? { stat_prefix: 'tcp.', ...cfg } : cfg, forTCP)];
  };
  if (providers.length > 1) return deny(`one workload may use one CUSTOM provider, found ${providers.join(', ')}`);
  const name = providers[0]!;
  const ext = buildExtAuthz(
    mesh,
    mesh.settings.extensionProviders?.find((e) => e.name === name),
    name,
  );
  if (typeof ext === 'string') return deny(ext);
  if (forTCP && !ext.tcp) {
    notes.push(`CUSTOM provider ${name} is an HTTP authorizer: not applied to TCP traffic (as istiod)`);
    return [];
  }
  const shadow: Json = {
    ...(forTCP ? { stat_prefix: 'tcp.' } : {}),
    shadow_rules: built.rules,
    shadow_rules_stat_prefix: EXT_AUTHZ_SHADOW_PREFIX,
  };
  return [rbacFilter(shadow, forTCP), forTCP ? ext.tcp! : ext.http];
}

/** The authorization filters for one filter chain (HTTP or TCP) of a workload. */
export function authzFilters(mesh: MeshConfig, applied: AppliedPolicies, forTCP: boolean): AuthzFilters {
  if (!applied.allow.length && !applied.deny.length && !applied.audit.length && !applied.custom.length) return EMPTY;
  const notes: string[] = [];
  const custom = customFilters(mesh, applied.custom, forTCP, notes);
  const local: NamedFilter[] = [];
  for (const [list, action] of [
    [applied.audit, 'AUDIT'],
    [applied.deny, 'DENY'],
    [applied.allow, 'ALLOW'],
  ] as const) {
    const b = build(list, action, forTCP, notes, mesh.settings.trustDomain);
    if (b) local.push(rbacFilter(rbacConfig(b, forTCP), forTCP));
  }
  return { custom, local, notes };
}
