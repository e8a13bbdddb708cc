/**
 * @module translators/authz/jwt
 * RequestAuthentications → the `envoy.filters.http.jwt_authn` filter, as istiod builds it
 * (pilot/pkg/security/authn convertToEnvoyJwtConfig): every JWT rule of every applying policy,
 * sorted by issuer, becomes provider `origins-<i>` (issuer, audiences, `forward`,
 * `forward_payload_header`, from_headers/params/cookies, claim_to_headers) with its keys inlined
 * (`local_jwks.inline_string`: the rule's `jwks`, else what the server fetched from `jwksUri`, else
 * from the `jwks_uri` of the issuer's OpenID discovery document, as istiod).
 * One rule → requires {provider OR allow_missing}; several → requires_any {each provider, AND of
 * (provider OR allow_missing)}: a token, when present, must be valid; none is fine (an
 * AuthorizationPolicy on requestPrincipals is what demands one). CORS preflight bypasses it.
 *
 * Keys never fetched (an outage from the start, offline translation) are replaced by a key set no
 * issuer signs with, as istiod's fake JWKS: tokens of that issuer are refused rather than trusted.
 * The verified payload is kept in dynamic metadata (`payload`) for RBAC claims. Pure.
 */
import { keySourceUri, type JwksByUri, type JWTRule, type RequestAuthentication } from '../../model/security.js';
import { typedAny } from '../../proto/any.js';
import { JWT_FILTER, JWT_PAYLOAD_KEY, type Json } from './matchers.js';
import type { NamedFilter } from './rbac.js';

const JWT_TYPE = 'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication';

/** An RSA key set that signs nothing: served in place of keys that could not be fetched. */
export const UNAVAILABLE_JWKS = JSON.stringify({
  keys: [
    {
      kty: 'RSA',
      kid: 'tspilot-jwks-unavailable',
      e: 'AQAB',
      n: 'reNJyu0ynHJUGogzKxrUKUuBry3gvDE-u39Zti02GEJrHJJcKFf8SJ8FGDc6vbkiazTc13y0V34ej4VMyLJkPW3glaKtAUyx4LCT7Gze6jvkA5eWvbTqSPCeDflI4HolCS6KJq46Ku65TXI-_IEXzMFkXQuv7lhcdu19QhmoiXnoNAQ6y0i1cEAdjIINRyaxZzUTMu0u1tePuKLTmUttQjgQuAO05vEsimuZDyAmfvDkAj2Ingij3EwdZS6H-bHTxA6glpt6nLwkdKSwk6_y6AopCeHyU28OU4G6wWNi3pzzvtVz6N9zenRvP439bokbelAeRW-PL8BGxHO52qmL8Q',
    },
  ],
});

/** The keys to inline for a rule, and a note when they are the stand-in. */
export function keysFor(rule: JWTRule, jwks: JwksByUri | undefined): { keys: string; note?: string } {
  if (rule.jwks !== undefined) return { keys: rule.jwks };
  const uri = keySourceUri(rule);
  if (!uri)
    return {
      keys: UNAVAILABLE_JWKS,
      note: `issuer ${rule.issuer}: no jwks, no jwksUri and not a URL to discover them from; its tokens are refused`,
    };
  const got = jwks?.get(uri);
  if (got && 'jwks' in got) return { keys: got.jwks };
  return {
    keys: UNAVAILABLE_JWKS,
    note: `issuer ${rule.issuer}: keys from ${uri} not fetched${got ? ` (${got.error})` : ''}; its tokens are refused until they are`,
  };
}

function provider(rule: JWTRule, keys: string): Json {
  return {
    issuer: rule.issuer,
    ...(rule.audiences?.length ? { audiences: rule.audiences } : {}),
    local_jwks: { inline_string: keys },
    ...(rule.forwardOriginalToken ? { forward: true } : {}),
    ...(rule.fromHeaders?.length
      ? { from_headers: rule.fromHeaders.map((h) => ({ name: h.name, ...(h.prefix ? { value_prefix: h.prefix } : {}) })) }
      : {}),
    ...(rule.fromParams?.length ? { from_params: rule.fromParams } : {}),
    ...(rule.fromCookies?.length ? { from_cookies: rule.fromCookies } : {}),
    ...(rule.outputPayloadToHeader ? { forward_payload_header: rule.outputPayloadToHeader } : {}),
    payload_in_metadata: JWT_PAYLOAD_KEY,
    ...(rule.outputClaimToHeaders?.length
      ? { claim_to_headers: rule.outputClaimToHeaders.map((c) => ({ header_name: c.header, claim_name: c.claim })) }
      : {}),
  };
}

/** The jwt_authn filter for the RequestAuthentications that apply, or null when none has rules. */
export function jwtAuthnFilter(
  policies: readonly RequestAuthentication[],
  jwks: JwksByUri | undefined,
  notes: string[] = [],
): NamedFilter | null {
  const rules = policies
    .flatMap((p) => p.spec.jwtRules)
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.issuer < b.r.issuer ? -1 : a.r.issuer > b.r.issuer ? 1 : a.i - b.i))
    .map((x) => x.r);
  if (!rules.length) return null;
  const providers: Record<string, Json> = {};
  const inner: Json[] = [];
  const outer: Json[] = [];
  rules.forEach((rule, i) => {
    const name = `origins-${i}`;
    const k = keysFor(rule, jwks);
    if (k.note) notes.push(k.note);
    providers[name] = provider(rule, k.keys);
    inner.push({ requires_any: { requirements: [{ provider_name: name }, { allow_missing: {} }] } });
    outer.push({ provider_name: name });
  });
  const requires =
    inner.length === 1 ? inner[0]! : { requires_any: { requirements: [...outer, { requires_all: { requirements: inner } }] } };
  return {
    name: JWT_FILTER,
    typed_config: typedAny(JWT_TYPE, { providers, rules: [{ match: { prefix: '/' }, requires }], bypass_cors_preflight: true }),
  };
}
