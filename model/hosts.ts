/**
 * @module model/hosts
 * Istio host names, as istiod's pkg/config/host and model.ResolveShortnameToFQDN:
 * - `resolveShortName`: a name without a dot is short for `<name>.<namespace>.svc.<domainSuffix>`
 *   (the namespace of the config that names it); `*` and IP addresses stay as they are, and so
 *   does any name with a dot (including every other wildcard, which has one).
 * - wildcards: a host starting with `*` is wildcarded and stands for every name ending in what
 *   follows the `*` — `*.example.com` covers `a.example.com` and `a.b.example.com`, not
 *   `example.com`; `*` covers everything.
 * - `hostSubsetOf(host, of)` (istiod Name.SubsetOf): every name `host` stands for is covered by
 *   `of`. `hostsMatch(a, b)` (istiod Name.Matches): the two overlap, in either direction.
 * Pure.
 */

/** Whether `host` is wildcarded (`*`, `*.example.com`). */
export function isWildcardHost(host: string): boolean {
  return host.startsWith('*');
}

/** The FQDN a config in `namespace` means by `host` (istiod ResolveShortnameToFQDN). */
export function resolveShortName(host: string, namespace: string, domainSuffix: string): string {
  // `*` is fully qualified; an IPv6 address has no dot but a colon, which no DNS name has.
  if (!host || host === '*' || host.includes('.') || host.includes(':')) return host;
  return `${host}.${namespace}.svc.${domainSuffix}`;
}

/** istiod Name.SubsetOf: every name `host` stands for is covered by `of`. */
export function hostSubsetOf(host: string, of: string): boolean {
  if (isWildcardHost(host)) return isWildcardHost(of) && host.length >= of.length && host.slice(1).endsWith(of.slice(1));
  if (isWildcardHost(of)) return host.endsWith(of.slice(1));
  return host === of;
}

/** istiod Name.Matches: `a` and `b` share at least one name (either covers the other). */
export function hostsMatch(a: string, b: string): boolean {
  return hostSubsetOf(a, b) || hostSubsetOf(b, a);
}
