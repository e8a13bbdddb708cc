/**
 * @module translators/authz/rule
 * One AuthorizationPolicy rule → one Envoy RBAC Policy, as istiod's authz model builds it: each
 * `from` becomes one principal and each `to` one permission (none → one that matches anything);
 * within them every field is an AND of (OR of its values) and NOT(OR of its notValues), in
 * istiod's order (principals, requestPrincipals, namespaces, remoteIpBlocks, ipBlocks, then the
 * `when` keys; hosts, methods, paths, ports, then `when`). `when` keys go to the principal side
 * (source.*, remote.ip, request.*) or the permission side (destination.*, connection.sni,
 * experimental.envoy.filters.*).
 *
 * HTTP-only attributes on a TCP filter chain follow istiod: for ALLOW the whole rule is dropped
 * (a smaller allow — the policy still denies what it does not allow); for DENY and AUDIT only
 * the unusable values are dropped (a wider deny: a DENY of `methods: [GET]` denies every TCP
 * connection). Pure.
 */
import type { AuthorizationAction, AuthorizationRule, Condition } from '../../model/security.js';
import {
  bracketed,
  cidrRange,
  claimMatcher,
  envoyFilterMatcher,
  headerListMatcher,
  headerMatcher,
  hostMatcher,
  type Json,
  namespaceMatcher,
  pathMatcher,
  port,
  principalName,
  requestPrincipal,
  stringMatcher,
} from './matchers.js';

type Side = 'principal' | 'permission';

/** Builds the Envoy matcher for one value, or a reason it cannot be used here. */
type Gen = (value: string, forTCP: boolean) => Json | string;

interface Field {
  readonly key: string;
  readonly side: Side;
  readonly gen: Gen;
  readonly values: readonly string[];
  readonly notValues: readonly string[];
}

const httpOnly =
  (key: string, f: (v: string) => Json | string): Gen =>
  (v, forTCP) =>
    forTCP ? `"${key}" is HTTP only` : f(v);
const orBad = (j: Json | null, what: string): Json | string => j ?? what;

/** The generator for a `when` key (validated keys only reach here; unknown ones are reported). */
function whenGen(key: string): { side: Side; gen: Gen } | string {
  switch (key) {
    case 'destination.ip':
      return {
        side: 'permission',
        gen: (v) => {
          const c = cidrRange(v);
          return c ? { destination_ip: c } : `bad IP ${v}`;
        },
      };
    case 'destination.port':
      return {
        side: 'permission',
        gen: (v) => {
          const p = port(v);
          return p === null ? `bad port ${v}` : { destination_port: p };
        },
      };
    case 'connection.sni':
      return { side: 'permission', gen: (v) => ({ requested_server_name: stringMatcher(v) }) };
    case 'source.ip':
      return {
        side: 'principal',
        gen: (v) => {
          const c = cidrRange(v);
          return c ? { direct_remote_ip: c } : `bad IP ${v}`;
        },
      };
    case 'remote.ip':
      return {
        side: 'principal',
        gen: (v) => {
          const c = cidrRange(v);
          return c ? { remote_ip: c } : `bad IP ${v}`;
        },
      };
    case 'source.namespace':
      return { side: 'principal', gen: (v) => namespaceMatcher(v) };
    case 'source.principal':
      return { side: 'principal', gen: (v) => principalName(v) };
    case 'request.auth.principal':
      return { side: 'principal', gen: httpOnly(key, requestPrincipal) };
    case 'request.auth.audiences':
      return { side: 'principal', gen: httpOnly(key, (v) => claimMatcher(['aud'], [v])) };
    case 'request.auth.presenter':
      return { side: 'principal', gen: httpOnly(key, (v) => claimMatcher(['azp'], [v])) };
  }
  if (key.startsWith('request.headers')) {
    const names = bracketed(key.slice('request.headers'.length));
    if (!names || names.length !== 1) return `bad key ${key}`;
    return { side: 'principal', gen: httpOnly(key, (v) => ({ header: headerListMatcher(names[0]!, v) })) };
  }
  if (key.startsWith('request.auth.claims')) {
    const claims = bracketed(key.slice('request.auth.claims'.length));
    if (!claims) return `bad key ${key}`;
    return { side: 'principal', gen: httpOnly(key, (v) => claimMatcher(claims, [v])) };
  }
  if (key.startsWith('experimental.envoy.filters.'))
    return { side: 'permission', gen: (v) => orBad(envoyFilterMatcher(key, v), `bad key ${key}`) };
  return `unknown attribute ${key}`;
}

function field(
  key: string,
  side: Side,
  gen: Gen,
  values: readonly string[] | undefined,
  notValues: readonly string[] | undefined,
): Field[] {
  return values?.length || notValues?.length ? [{ key, side, gen, values: values ?? [], notValues: notValues ?? [] }] : [];
}

const and = (side: Side, list: Json[]): Json => (side === 'principal' ? { and_ids: { ids: list } } : { and_rules: { rules: list } });
const or = (side: Side, list: Json[]): Json => (side === 'principal' ? { or_ids: { ids: list } } : { or_rules: { rules: list } });
const not = (side: Side, j: Json): Json => (side === 'principal' ? { not_id: j } : { not_rule: j });

/** AND of the fields; a field's unusable value is an error for ALLOW (returned) and skipped otherwise. */
function combine(side: Side, fields: readonly Field[], forTCP: boolean, action: AuthorizationAction): Json | string {
  const parts: Json[] = [];
  for (const f of fields) {
    for (const [list, negate] of [
      [f.values, false],
      [f.notValues, true],
    ] as const) {
      const ors: Json[] = [];
      for (const v of list) {
        const g = f.gen(v, forTCP);
        if (typeof g === 'string') {
          if (action === 'ALLOW') return g;
          continue;
        }
        ors.push(g);
      }
      if (ors.length) parts.push(negate ? not(side, or(side, ors)) : or(side, ors));
    }
  }
  if (!parts.length) parts.push({ any: true });
  return and(side, parts);
}

/** The `when` conditions split into principal and permission fields (in their order). */
function whenFields(when: readonly Condition[] | undefined): { principal: Field[]; permission: Field[] } | string {
  const principal: Field[] = [];
  const permission: Field[] = [];
  for (const c of when ?? []) {
    const g = whenGen(c.key);
    if (typeof g === 'string') return g;
    (g.side === 'principal' ? principal : permission).push(...field(c.key, g.side, g.gen, c.values, c.notValues));
  }
  return { principal, permission };
}

/**
 * istiod's trust-domain migration of principals (`ReplaceTrustDomainAliases` with no aliases): a
 * `<td>/ns/<ns>/sa/<sa>` principal written for `cluster.local` (the conventional local name) or for
 * the mesh's own trust domain names the mesh's trust domain; wildcard-first and other shapes stay.
 */
export function migrateTrustDomain(values: readonly string[] | undefined, trustDomain: string): readonly string[] | undefined {
  if (!values || trustDomain === 'cluster.local') return values;
  return [
    ...new Set(
      values.map((v) => {
        const parts = v.split('/');
        if (v.startsWith('*') || parts.length !== 5 || parts[0] !== 'cluster.local') return v;
        return [trustDomain, ...parts.slice(1)].join('/');
      }),
    ),
  ];
}

/**
 * The RBAC Policy for `rule`, or the reason it was skipped (the caller logs it, as istiod's
 * "skipped rule … on TCP filter chain").
 */
export function rulePolicy(
  rule: AuthorizationRule,
  forTCP: boolean,
  action: AuthorizationAction,
  trustDomain = 'cluster.local',
): Json | string {
  const td = (c: Condition): Condition =>
    c.key === 'source.principal'
      ? { ...c, values: migrateTrustDomain(c.values, trustDomain) ?? [], notValues: migrateTrustDomain(c.notValues, trustDomain) ?? [] }
      : c;
  const base = whenFields(rule.when?.map(td));
  if (typeof base === 'string') return base;
  const principals: Json[] = [];
  for (const { source: s } of rule.from?.length ? rule.from : [{ source: {} }]) {
    const fields: Field[] = [
      ...field(
        'source.principal',
        'principal',
        (v) => principalName(v),
        migrateTrustDomain(s.principals, trustDomain),
        migrateTrustDomain(s.notPrincipals, trustDomain),
      ),
      ...field(
        'request.auth.principal',
        'principal',
        httpOnly('request.auth.principal', requestPrincipal),
        s.requestPrincipals,
        s.notRequestPrincipals,
      ),
      ...field('source.namespace', 'principal', (v) => namespaceMatcher(v), s.namespaces, s.notNamespaces),
      ...field(
        'remote.ip',
        'principal',
        (v) => {
          const c = cidrRange(v);
          return c ? { remote_ip: c } : `bad IP ${v}`;
        },
        s.remoteIpBlocks,
        s.notRemoteIpBlocks,
      ),
      ...field(
        'source.ip',
        'principal',
        (v) => {
          const c = cidrRange(v);
          return c ? { direct_remote_ip: c } : `bad IP ${v}`;
        },
        s.ipBlocks,
        s.notIpBlocks,
      ),
      ...base.principal,
    ];
    const p = combine('principal', fields, forTCP, action);
    if (typeof p === 'string') return p;
    principals.push(p);
  }
  const permissions: Json[] = [];
  for (const { operation: o } of rule.to?.length ? rule.to : [{ operation: {} }]) {
    const fields: Field[] = [
      ...field(
        'hosts',
        'permission',
        httpOnly('hosts', (v) => ({ header: hostMatcher(v) })),
        o.hosts,
        o.notHosts,
      ),
      ...field(
        'methods',
        'permission',
        httpOnly('methods', (v) => ({ header: headerMatcher(':method', v) })),
        o.methods,
        o.notMethods,
      ),
      ...field(
        'paths',
        'permission',
        httpOnly('paths', (v) => ({ url_path: pathMatcher(v) })),
        o.paths,
        o.notPaths,
      ),
      ...field(
        'ports',
        'permission',
        (v) => {
          const p = port(v);
          return p === null ? `bad port ${v}` : { destination_port: p };
        },
        o.ports,
        o.notPorts,
      ),
      ...base.permission,
    ];
    const p = combine('permission', fields, forTCP, action);
    if (typeof p === 'string') return p;
    permissions.push(p);
  }
  return { permissions, principals };
}

/** istiod's match-nothing policy, for a policy without rules. */
export const MATCH_NEVER: Json = { permissions: [{ not_rule: { any: true } }], principals: [{ not_id: { any: true } }] };
