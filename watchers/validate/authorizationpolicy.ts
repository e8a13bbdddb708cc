/**
 * @module watchers/validate/authorizationpolicy
 * Validates an AuthorizationPolicy (security.istio.io v1/v1beta1) with istiod's rules: `action`
 * one of ALLOW/DENY/AUDIT/CUSTOM, `provider` required for CUSTOM and refused otherwise, `selector`
 * and `targetRefs` not both, every `from.source`/`to.operation` non-empty, `when` keys istiod knows
 * with values or notValues, principals/namespaces/hosts/methods/paths with `*` only as whole
 * value, prefix or suffix (paths may use the `{*}`/`{**}` templates), IPs as addresses or CIDRs,
 * ports as numbers. Whether the provider exists is the translator's concern (istiod also accepts
 * the object and then denies what the policy matches).
 */
import type { AuthorizationAction, AuthorizationPolicy, AuthorizationRule, Condition, Operation, Source } from '../../model/security.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';
import { checkCidr, checkPort, checkWildcard, readSelector, readTargetRefs, readValues } from './security-common.js';

const ACTIONS: readonly AuthorizationAction[] = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'];

const SOURCE_FIELDS = [
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
  'namespaces',
  'notNamespaces',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
] as const;
const OPERATION_FIELDS = ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;

/** A path: wildcard rules, or a template of whole `{*}` / `{**}` segments (`{**}` only last). */
function checkPath(r: Reader, v: string, path: string): boolean {
  if (!v.includes('{')) return checkWildcard(r, v, path);
  const segs = v.split('/');
  const bad = segs.some((s, i) => (s.includes('{') || s.includes('}')) && !(s === '{*}' || (s === '{**}' && i === segs.length - 1)));
  if (bad || !v.startsWith('/')) {
    r.fail(path, `"${v}" is not a valid path template (whole segments {*}, {**} only as the last one)`);
    return false;
  }
  return true;
}

function readSource(r: Reader, v: unknown, path: string): Source | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, SOURCE_FIELDS);
  const out: Record<string, string[]> = {};
  for (const f of SOURCE_FIELDS) {
    const check = f.toLowerCase().includes('ipblocks') ? checkCidr : checkWildcard;
    const vals = readValues(r, o[f], `${path}.${f}`, check);
    if (vals?.length) out[f] = vals;
  }
  if (!Object.keys(out).length) r.fail(path, 'must not be empty (set at least one field)');
  return out as Source;
}

function readOperation(r: Reader, v: unknown, path: string): Operation | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, OPERATION_FIELDS);
  const out: Record<string, string[]> = {};
  for (const f of OPERATION_FIELDS) {
    const check = f.toLowerCase().includes('port') ? checkPort : f.toLowerCase().includes('path') ? checkPath : checkWildcard;
    const vals = readValues(r, o[f], `${path}.${f}`, check);
    if (vals?.length) out[f] = vals;
  }
  if (!Object.keys(out).length) r.fail(path, 'must not be empty (set at least one field)');
  return out as Operation;
}

const BRACKETED = /^\[[^[\]]+\](\[[^[\]]+\])*$/;

/** The `when` keys istiod translates, and the check for their values. */
function conditionCheck(key: string): ((r: Reader, s: string, p: string) => boolean) | 'unknown' | 'bad-brackets' {
  if (key === 'source.ip' || key === 'remote.ip' || key === 'destination.ip') return checkCidr;
  if (key === 'destination.port') return checkPort;
  if (
    [
      'source.namespace',
      'source.principal',
      'request.auth.principal',
      'request.auth.audiences',
      'request.auth.presenter',
      'connection.sni',
    ].includes(key)
  )
    return checkWildcard;
  if (key.startsWith('request.headers')) return /^\[[^[\]]+\]$/.test(key.slice('request.headers'.length)) ? checkWildcard : 'bad-brackets';
  if (key.startsWith('request.auth.claims'))
    return BRACKETED.test(key.slice('request.auth.claims'.length)) ? checkWildcard : 'bad-brackets';
  if (key.startsWith('experimental.envoy.filters.'))
    return /^[^[\]]+\[[^[\]]+\]$/.test(key.slice('experimental.'.length)) ? (_r, _s, _p) => true : 'bad-brackets';
  return 'unknown';
}

function readCondition(r: Reader, v: unknown, path: string): Condition | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, ['key', 'values', 'notValues']);
  const key = r.string(o['key'], `${path}.key`, true);
  if (!key) return undefined;
  const check = conditionCheck(key);
  if (check === 'unknown') {
    r.fail(`${path}.key`, `unknown attribute "${key}" (see istio.io's authorization-policy conditions)`);
    return undefined;
  }
  if (check === 'bad-brackets') {
    r.fail(`${path}.key`, `"${key}" must name its field in brackets, e.g. request.headers[x-token] or request.auth.claims[groups]`);
    return undefined;
  }
  const values = readValues(r, o['values'], `${path}.values`, check);
  const notValues = readValues(r, o['notValues'], `${path}.notValues`, check);
  if (!values?.length && !notValues?.length) r.fail(path, `at least one of values or notValues must be set for key ${key}`);
  return { key, ...(values?.length ? { values } : {}), ...(notValues?.length ? { notValues } : {}) };
}

function readRule(r: Reader, v: unknown, path: string): AuthorizationRule {
  // A null rule is an error, not `{}`: `{}` matches every request, so reading `- ~` as one would
  // turn an ALLOW policy into allow-all (istiod skips nil rules).
  const o = r.object(v, path, true) ?? {};
  r.known(o, path, ['from', 'to', 'when']);
  const from = (r.array(o['from'], `${path}.from`) ?? [])
    .map((f, i) => {
      const fo = r.object(f, `${path}.from[${i}]`, true);
      if (fo) r.known(fo, `${path}.from[${i}]`, ['source']);
      return readSource(r, fo?.['source'], `${path}.from[${i}].source`);
    })
    .filter((s) => s !== undefined)
    .map((source) => ({ source }));
  const to = (r.array(o['to'], `${path}.to`) ?? [])
    .map((t, i) => {
      const to_ = r.object(t, `${path}.to[${i}]`, true);
      if (to_) r.known(to_, `${path}.to[${i}]`, ['operation']);
      return readOperation(r, to_?.['operation'], `${path}.to[${i}].operation`);
    })
    .filter((x) => x !== undefined)
    .map((operation) => ({ operation }));
  const when = (r.array(o['when'], `${path}.when`) ?? [])
    .map((c, i) => readCondition(r, c, `${path}.when[${i}]`))
    .filter((c) => c !== undefined);
  return { ...(from.length ? { from } : {}), ...(to.length ? { to } : {}), ...(when.length ? { when } : {}) };
}

export function readAuthorizationPolicy(r: Reader, raw: Raw, ns: string): AuthorizationPolicy {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec') ?? {};
  r.known(spec, 'spec', ['selector', 'targetRef', 'targetRefs', 'action', 'provider', 'rules']);
  const actionRaw = r.string(spec['action'], 'spec.action') ?? 'ALLOW';
  const action = (ACTIONS as readonly string[]).includes(actionRaw) ? (actionRaw as AuthorizationAction) : undefined;
  if (!action) r.fail('spec.action', `"${actionRaw}" is not one of ${ACTIONS.join(', ')}`);
  const selector = readSelector(r, spec['selector'], 'spec.selector');
  const targetRefs = readTargetRefs(r, spec, meta.namespace, undefined);
  if (selector && targetRefs) r.fail('spec.selector', 'only one of targetRefs or selector can be set');
  const prov = r.object(spec['provider'], 'spec.provider');
  let provider: { name: string } | undefined;
  if (prov) {
    r.known(prov, 'spec.provider', ['name']);
    const name = r.string(prov['name'], 'spec.provider.name', true);
    if (name) provider = { name };
  }
  if (action === 'CUSTOM' && !prov)
    r.fail('spec.provider', 'a CUSTOM policy must name a provider (an extensionProviders entry of the mesh config)');
  if (action && action !== 'CUSTOM' && prov) r.fail('spec.provider', `a provider is only allowed with action CUSTOM, not ${action}`);
  const rules = (r.array(spec['rules'], 'spec.rules') ?? []).map((x, i) => readRule(r, x, `spec.rules[${i}]`));
  return {
    kind: 'AuthorizationPolicy',
    meta,
    spec: {
      action: action ?? 'ALLOW',
      rules,
      ...(selector ? { selector } : {}),
      ...(targetRefs ? { targetRefs } : {}),
      ...(provider ? { provider } : {}),
    },
  };
}
