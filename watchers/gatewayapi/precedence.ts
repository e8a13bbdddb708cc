/**
 * @module watchers/gatewayapi/precedence
 * The Gateway API's ordering of matches across every route that shares a hostname (HTTPRoute
 * spec, "rules … precedence"): an Exact path before any prefix; the longest PathPrefix first;
 * then a match with a method; then more header matches; then more query-param matches; then the
 * oldest route (creationTimestamp); then route namespace/name alphabetically; then rule and match
 * order within the route. RegularExpression paths (ordering left to implementations) come after
 * prefixes, longer first, as istiod does. Envoy takes the first route that matches, so sorting by
 * this key is the whole implementation. Pure.
 */
import type { GwPathMatch } from '../../model/gatewayapi.js';

export interface PrecedenceKey {
  readonly path: GwPathMatch;
  readonly method: boolean;
  readonly headers: number;
  readonly query: number;
  readonly created: string;
  readonly ns: string;
  readonly name: string;
  readonly rule: number;
  readonly match: number;
}

const RANK: Readonly<Record<GwPathMatch['type'], number>> = { Exact: 0, PathPrefix: 1, RegularExpression: 2 };

/** Prefix length with the spec's normalisation (a trailing `/` does not count). */
const len = (p: GwPathMatch): number => (p.type === 'PathPrefix' ? p.value.replace(/\/+$/, '').length : p.value.length);

export function comparePrecedence(a: PrecedenceKey, b: PrecedenceKey): number {
  return (
    RANK[a.path.type] - RANK[b.path.type] ||
    len(b.path) - len(a.path) ||
    Number(b.method) - Number(a.method) ||
    b.headers - a.headers ||
    b.query - a.query ||
    // An unset timestamp (folder mode) sorts as oldest-unknown: after every dated route.
    (a.created === b.created ? 0 : !a.created ? 1 : !b.created ? -1 : a.created < b.created ? -1 : 1) ||
    (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
    a.rule - b.rule ||
    a.match - b.match
  );
}
