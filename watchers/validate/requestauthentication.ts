/**
 * @module watchers/validate/requestauthentication
 * Validates a RequestAuthentication (security.istio.io v1/v1beta1) with istiod's rules: `selector`
 * and `targetRefs` not both; each JWT rule has an issuer, audiences and params that are not empty,
 * a `jwksUri` that is an http(s) URL (tspilot fetches only those), an inline `jwks` that is a JSON
 * Web Key Set (an object with a `keys` list), `fromHeaders` names that are HTTP header names,
 * `outputPayloadToHeader` and `outputClaimToHeaders` headers that are valid header names.
 */
import type { JWTHeader, JWTRule, RequestAuthentication } from '../../model/security.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';
import { readSelector, readTargetRefs, readValues } from './security-common.js';

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-zA-Z]+$/;
/** Inline JWKS larger than this is refused: a policy object is not a key store. */
export const MAX_INLINE_JWKS_BYTES = 64 * 1024;

/** Why `text` is not a JSON Web Key Set, or null. */
export function jwksProblem(text: string): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return 'must be a JSON object with a "keys" list';
  const keys = (doc as Record<string, unknown>)['keys'];
  if (!Array.isArray(keys) || !keys.length) return 'must have a non-empty "keys" list';
  for (const [i, k] of keys.entries()) {
    if (!k || typeof k !== 'object' || typeof (k as Record<string, unknown>)['kty'] !== 'string') return `keys[${i}] has no "kty"`;
  }
  return null;
}

/** Why `uri` cannot be fetched for keys, or null. */
export function jwksUriProblem(uri: string): string | null {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return `"${uri}" is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `"${uri}": only http and https JWKS URIs are fetched`;
  if (!u.hostname) return `"${uri}" has no host`;
  return null;
}

function header(r: Reader, v: unknown, path: string): string | undefined {
  const s = r.string(v, path);
  if (s !== undefined && !HEADER_NAME.test(s)) {
    r.fail(path, `"${s}" is not a valid HTTP header name`);
    return undefined;
  }
  return s;
}

function readJwtRule(r: Reader, v: unknown, path: string): JWTRule | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, [
    'issuer',
    'audiences',
    'jwksUri',
    'jwks',
    'fromHeaders',
    'fromParams',
    'fromCookies',
    'outputPayloadToHeader',
    'forwardOriginalToken',
    'outputClaimToHeaders',
    'timeout',
  ]);
  const issuer = r.string(o['issuer'], `${path}.issuer`, true) ?? '';
  const audiences = readValues(r, o['audiences'], `${path}.audiences`);
  const jwksUri = r.string(o['jwksUri'], `${path}.jwksUri`);
  if (jwksUri) {
    const p = jwksUriProblem(jwksUri);
    if (p) r.fail(`${path}.jwksUri`, p);
  }
  const jwks = r.string(o['jwks'], `${path}.jwks`);
  if (jwks !== undefined) {
    const p = jwks.length > MAX_INLINE_JWKS_BYTES ? `is ${jwks.length} bytes; the limit is ${MAX_INLINE_JWKS_BYTES}` : jwksProblem(jwks);
    if (p) r.fail(`${path}.jwks`, `is not a valid JWKS: ${p}`);
  }
  const fromHeaders: JWTHeader[] = [];
  (r.array(o['fromHeaders'], `${path}.fromHeaders`) ?? []).forEach((h, i) => {
    const hp = `${path}.fromHeaders[${i}]`;
    const ho = r.object(h, hp, true);
    if (!ho) return;
    r.known(ho, hp, ['name', 'prefix']);
    const name = r.string(ho['name'], `${hp}.name`, true);
    if (name && !HEADER_NAME.test(name)) {
      r.fail(`${hp}.name`, `"${name}" is not a valid HTTP header name`);
      return;
    }
    const prefix = r.string(ho['prefix'], `${hp}.prefix`);
    if (name) fromHeaders.push({ name, ...(prefix ? { prefix } : {}) });
  });
  const fromParams = readValues(r, o['fromParams'], `${path}.fromParams`);
  const fromCookies = readValues(r, o['fromCookies'], `${path}.fromCookies`);
  const outputPayloadToHeader = header(r, o['outputPayloadToHeader'], `${path}.outputPayloadToHeader`);
  const forwardOriginalToken = r.bool(o['forwardOriginalToken'], `${path}.forwardOriginalToken`);
  const claims: { header: string; claim: string }[] = [];
  (r.array(o['outputClaimToHeaders'], `${path}.outputClaimToHeaders`) ?? []).forEach((c, i) => {
    const cp = `${path}.outputClaimToHeaders[${i}]`;
    const co = r.object(c, cp, true);
    if (!co) return;
    r.known(co, cp, ['header', 'claim']);
    const h = header(r, co['header'], `${cp}.header`);
    const claim = r.string(co['claim'], `${cp}.claim`, true);
    if (!h) r.fail(`${cp}.header`, 'is required');
    if (h && claim) claims.push({ header: h, claim });
  });
  return {
    issuer,
    ...(audiences?.length ? { audiences } : {}),
    ...(jwksUri ? { jwksUri } : {}),
    ...(jwks !== undefined ? { jwks } : {}),
    ...(fromHeaders.length ? { fromHeaders } : {}),
    ...(fromParams?.length ? { fromParams } : {}),
    ...(fromCookies?.length ? { fromCookies } : {}),
    ...(outputPayloadToHeader ? { outputPayloadToHeader } : {}),
    ...(forwardOriginalToken !== undefined ? { forwardOriginalToken } : {}),
    ...(claims.length ? { outputClaimToHeaders: claims } : {}),
  };
}

export function readRequestAuthentication(r: Reader, raw: Raw, ns: string): RequestAuthentication {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec') ?? {};
  r.known(spec, 'spec', ['selector', 'targetRef', 'targetRefs', 'jwtRules']);
  const selector = readSelector(r, spec['selector'], 'spec.selector');
  const targetRefs = readTargetRefs(r, spec, meta.namespace, undefined);
  if (selector && targetRefs) r.fail('spec.selector', 'only one of targetRefs or selector can be set');
  const jwtRules = (r.array(spec['jwtRules'], 'spec.jwtRules') ?? [])
    .map((j, i) => readJwtRule(r, j, `spec.jwtRules[${i}]`))
    .filter((j) => j !== undefined);
  return {
    kind: 'RequestAuthentication',
    meta,
    spec: { jwtRules, ...(selector ? { selector } : {}), ...(targetRefs ? { targetRefs } : {}) },
  };
}
