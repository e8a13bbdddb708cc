/**
 * @module watchers/validate/security-common
 * Pieces shared by the security.istio.io validators, with istiod's rules: the workload `selector`
 * (`matchLabels`), `targetRefs` (kinds Gateway/Service/ServiceEntry/GatewayClass, same namespace,
 * never together with a selector), match values where `*` may only be the whole value, a prefix
 * or a suffix, IP addresses and CIDR blocks, and ports.
 */
import type { PolicySelector, PolicyTargetReference } from '../../model/security.js';
import { type Raw, Reader } from './check.js';

const TARGET_KINDS: Readonly<Record<string, string>> = {
  Gateway: 'gateway.networking.k8s.io',
  GatewayClass: 'gateway.networking.k8s.io',
  Service: '',
  ServiceEntry: 'networking.istio.io',
};

export function readSelector(r: Reader, v: unknown, path: string): PolicySelector | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  r.known(o, path, ['matchLabels']);
  const matchLabels = r.stringMap(o['matchLabels'], `${path}.matchLabels`) ?? {};
  for (const k of Object.keys(matchLabels)) {
    if (!k || k.includes('*')) r.fail(`${path}.matchLabels`, `"${k}" is not a valid label name (no wildcards)`);
    if (matchLabels[k]!.includes('*')) r.fail(`${path}.matchLabels.${k}`, `"${matchLabels[k]}": wildcards are not allowed in label values`);
  }
  return { matchLabels };
}

/** Reads `targetRef` (deprecated, one) and `targetRefs`; both name resources in the policy's namespace. */
export function readTargetRefs(r: Reader, spec: Raw, ns: string, rootNamespace: string | undefined): PolicyTargetReference[] | undefined {
  const single = spec['targetRef'] !== undefined ? [spec['targetRef']] : [];
  const list = r.array(spec['targetRefs'], 'spec.targetRefs') ?? [];
  if (single.length && list.length) r.fail('spec.targetRef', 'set targetRef or targetRefs, not both');
  const raw = single.length ? single : list;
  if (!raw.length) return undefined;
  const out: PolicyTargetReference[] = [];
  raw.forEach((t, i) => {
    const path = single.length ? 'spec.targetRef' : `spec.targetRefs[${i}]`;
    const o = r.object(t, path, true);
    if (!o) return;
    r.known(o, path, ['group', 'kind', 'name', 'namespace']);
    const kind = r.string(o['kind'], `${path}.kind`, true) ?? '';
    const name = r.string(o['name'], `${path}.name`, true) ?? '';
    const group = r.string(o['group'], `${path}.group`) ?? '';
    const namespace = r.string(o['namespace'], `${path}.namespace`);
    if (kind && !Object.hasOwn(TARGET_KINDS, kind)) {
      r.fail(`${path}.kind`, `"${kind}" is not one of ${Object.keys(TARGET_KINDS).join(', ')}`);
      return;
    }
    if (kind && TARGET_KINDS[kind] !== group)
      r.fail(`${path}.group`, `kind ${kind} belongs to group "${TARGET_KINDS[kind]}", got "${group}"`);
    if (namespace && namespace !== ns)
      r.fail(`${path}.namespace`, `cross-namespace references are not allowed (policy in ${ns}, target in ${namespace})`);
    if (kind === 'GatewayClass' && rootNamespace !== undefined && ns !== rootNamespace)
      r.fail(`${path}.kind`, `GatewayClass targets are only allowed in the root namespace ${rootNamespace}`);
    out.push({ group, kind, name, ...(namespace ? { namespace } : {}) });
  });
  return out;
}

/** A match value: non-empty, `*` only as the whole value, a prefix or a suffix (istiod's rule). */
export function checkWildcard(r: Reader, v: string, path: string): boolean {
  if (v === '') {
    r.fail(path, 'must not be empty');
    return false;
  }
  if (v === '*') return true;
  const inner = v.slice(1, -1);
  if (inner.includes('*') || (v.startsWith('*') && v.endsWith('*'))) {
    r.fail(path, `"${v}": "*" may only be the whole value, a prefix ("*foo") or a suffix ("foo*")`);
    return false;
  }
  return true;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function validIp(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  const dbl = s.split('::');
  if (dbl.length > 2) return false;
  const groups = s.split(':').filter((g) => g !== '');
  return (
    groups.length <= 8 &&
    groups.every((g) => g.length <= 4 || IPV4.test(g)) &&
    (dbl.length === 2 || groups.length === 8 || groups.some((g) => IPV4.test(g)))
  );
}

/** An IP address or CIDR block (`10.0.0.0/8`, `::1`, `2001:db8::/32`). */
export function checkCidr(r: Reader, v: string, path: string): boolean {
  const [ip, len, extra] = v.split('/');
  const max = ip !== undefined && ip.includes(':') ? 128 : 32;
  if (extra !== undefined || ip === undefined || !validIp(ip) || (len !== undefined && !(/^\d{1,3}$/.test(len) && Number(len) <= max))) {
    r.fail(path, `"${v}" is not an IP address or CIDR block`);
    return false;
  }
  return true;
}

export function checkPort(r: Reader, v: string, path: string): boolean {
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) {
    r.fail(path, `"${v}" is not a port number (0-65535)`);
    return false;
  }
  return true;
}

/** A list of strings where each entry goes through `check`. */
export function readValues(
  r: Reader,
  v: unknown,
  path: string,
  check?: (r: Reader, s: string, p: string) => boolean,
): string[] | undefined {
  const list = r.array(v, path);
  if (!list) return undefined;
  const out: string[] = [];
  list.forEach((x, i) => {
    const p = `${path}[${i}]`;
    if (typeof x === 'number' && Number.isInteger(x)) x = String(x);
    const s = r.string(x, p);
    if (s === undefined) return;
    if (s === '') {
      r.fail(p, 'must not be empty');
      return;
    }
    if (check && !check(r, s, p)) return;
    out.push(s);
  });
  return out;
}
