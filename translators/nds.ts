/**
 * @module translators/nds
 * The DNS name table (`istio.networking.nds.v1.NameTable`) pilot-agent asks for to answer captured
 * DNS queries locally, built as istiod's name table builder does, from the services the proxy can
 * see (exportTo and its Sidecar's egress, as for its clusters):
 * - a service with a VIP (Service clusterIP, ServiceEntry addresses — every IP, CIDRs skipped)
 *   maps its hostname to it;
 * - a ServiceEntry without addresses (resolution not NONE, host not a wildcard) gets an
 *   auto-allocated 240.240.x.y (or 2001:2::f0f0:…) address, but only for proxies that asked for
 *   it (metadata DNS_CAPTURE and DNS_AUTO_ALLOCATE "true"), allocated deterministically over the
 *   whole mesh so every replica and every proxy agrees;
 * - a headless Service (no clusterIP) or a NONE ServiceEntry maps to its endpoints' IPs (first
 *   port), and each pod with a hostname and subdomain also gets `<hostname>.<subdomain>.<ns>.svc…`
 *   (StatefulSet pods), as Kubernetes DNS answers;
 * - Kubernetes entries carry `shortname` and `namespace` so the agent answers `name`, `name.ns`,
 *   `name.ns.svc` itself (`alt_hosts` is deprecated and left empty, as istiod does); registry is
 *   "Kubernetes" or "External".
 * One unnamed resource per proxy class. Pure.
 */
import type { MeshConfig, MeshService } from '../model/config.js';
import { nameTableFollowsEndpoints, passthrough } from '../model/headless.js';
import type { Proxy } from '../model/proxy.js';
import { buildScope } from './scope.js';
import type { TypeOutput } from './generated.js';

export interface NameInfo {
  ips: string[];
  registry: string;
  shortname?: string;
  namespace?: string;
}

/** The NameTable message as protobufjs takes it (snake_case field names). */
export interface NameTable {
  table: Record<string, NameInfo>;
}

const KUBERNETES = 'Kubernetes';
const EXTERNAL = 'External';
const CLUSTERSET = '.clusterset.local';

const IP4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const isIPv4 = (s: string): boolean => IP4.test(s);
/** An IPv6 literal (not a CIDR): hex groups and colons, at most one `::`. */
export function isIPv6(s: string): boolean {
  if (!s.includes(':') || s.includes('/') || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  const dbl = s.split('::').length - 1;
  if (dbl > 1) return false;
  const groups = s.split(':').filter((g) => g !== '');
  return groups.length <= 8 && groups.every((g) => g.length <= 4 || isIPv4(g));
}
const isIp = (s: string): boolean => isIPv4(s) || isIPv6(s);

/** Whether the proxy asked for auto-allocated addresses (pilot-agent sets both with ISTIO_META_DNS_*). */
export function wantsAutoAllocate(p: Proxy): boolean {
  const on = (k: string): boolean => String(p.metadata[k] ?? '').toLowerCase() === 'true';
  return on('DNS_CAPTURE') && on('DNS_AUTO_ALLOCATE');
}

/** The part of the proxy class the name table adds: whether auto-allocated addresses are shown, and for which IP family. */
export function ndsClassKey(p: Proxy): string {
  if (!wantsAutoAllocate(p)) return '';
  return `/dns-auto:${p.ips.some(isIPv4) ? '4' : ''}${p.ips.some(isIPv6) ? '6' : ''}`;
}

function fnv32a(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h >>> 0;
}

const MAX_IPS = 255 * 255;
const PRIME = 65011; // the largest prime below MAX_IPS

const allocations = new WeakMap<MeshConfig, ReadonlyMap<string, { v4: string; v6: string }>>();

const needsAddress = (s: MeshService): boolean =>
  s.origin === 'ServiceEntry' && s.clusterIP === '' && s.resolution !== 'NONE' && !s.hostname.startsWith('*');

/**
 * Auto-allocated addresses by `namespace/hostname`, as istiod's in-memory allocator: each
 * ServiceEntry host without an address hashes (FNV-32a) to a slot of 255×255, collisions resolved
 * by double hashing, then slots are numbered in order skipping x.255 — so an address depends only
 * on the set of such hosts, never on arrival order.
 */
export function autoAllocated(mesh: MeshConfig): ReadonlyMap<string, { v4: string; v6: string }> {
  const hit = allocations.get(mesh);
  if (hit) return hit;
  const slots: (string | undefined)[] = new Array<string | undefined>(MAX_IPS);
  const keys = [...new Set(mesh.services.filter(needsAddress).map((s) => `${s.namespace}/${s.hostname}`))].sort();
  for (const key of keys) {
    const h = fnv32a(key);
    let slot = h % MAX_IPS;
    if (slots[slot] !== undefined) {
      const step = PRIME - (h % PRIME);
      for (let i = 1; i < MAX_IPS; i++) {
        slot = ((h + Math.imul(i, step)) >>> 0) % (MAX_IPS - 1); // uint32 arithmetic, as istiod's
        if (slots[slot] === undefined) break;
      }
      if (slots[slot] !== undefined) continue; // out of addresses: this host gets none
    }
    slots[slot] = key;
  }
  const out = new Map<string, { v4: string; v6: string }>();
  let x = 0;
  for (const key of slots) {
    x++;
    if (key === undefined) continue;
    if (x % 255 === 0) x++;
    const third = Math.floor(x / 255),
      fourth = x % 255;
    out.set(key, { v4: `240.240.${third}.${fourth}`, v6: `2001:2::f0f0:${third.toString(16)}${fourth.toString(16)}` });
  }
  allocations.set(mesh, out);
  return out;
}

/** The service's VIPs for this proxy (istiod's GetAddressForProxy, extended to every ServiceEntry address). */
function addressesFor(mesh: MeshConfig, proxy: Proxy, s: MeshService): string[] {
  if (s.origin === 'ServiceEntry') {
    const se = mesh.serviceEntries.find((e) => e.meta.namespace === s.namespace && e.meta.name === s.name);
    const listed = se?.spec.addresses ?? [];
    if (listed.length) return listed.filter(isIp); // CIDRs cannot be DNS answers
  } else if (s.clusterIP) {
    return isIp(s.clusterIP) ? [s.clusterIP] : [];
  }
  if (needsAddress(s) && wantsAutoAllocate(proxy)) {
    const a = autoAllocated(mesh).get(`${s.namespace}/${s.hostname}`);
    if (a && proxy.ips.some(isIPv4)) return [a.v4];
    if (a && proxy.ips.some(isIPv6)) return [a.v6];
  }
  return [];
}

// Which services the name table answers with endpoint IPs: model/headless.ts (the push stage asks too).
export { nameTableFollowsEndpoints };

export function buildNameTable(mesh: MeshConfig, proxy: Proxy): NameTable {
  const table = new Map<string, NameInfo>();
  for (const s of buildScope(mesh, proxy).services) {
    const registry = s.origin === 'Service' ? KUBERNETES : EXTERNAL;
    let ips = addressesFor(mesh, proxy, s);
    if (!ips.length) {
      if (!passthrough(s) || !s.ports.length) continue;
      const rest = s.hostname.slice(s.hostname.indexOf('.') + 1);
      for (const ep of mesh.endpoints.get(s.hostname)?.get(s.ports[0]!.port) ?? []) {
        if (!isIp(ep.address)) continue;
        const pod = ep.pod ? mesh.pods.get(ep.pod) : undefined;
        if (pod?.subdomain && pod.hostname && s.hostname.includes('.')) {
          const shortname = `${pod.hostname}.${pod.subdomain}`;
          table.set(`${shortname}.${rest}`, { ips: [ep.address], registry, namespace: s.namespace, shortname });
        }
        ips.push(ep.address);
      }
      ips = [...new Set(ips)];
      if (!ips.length) continue; // headless with no endpoints, or not resolvable here
    }
    const k8sNames = registry === KUBERNETES && !s.hostname.endsWith(CLUSTERSET);
    const prev = table.get(s.hostname);
    if (!prev) {
      table.set(s.hostname, k8sNames ? { ips, registry, namespace: s.namespace, shortname: s.name } : { ips, registry });
    } else if (prev.registry !== KUBERNETES) {
      // A Kubernetes service wins over a ServiceEntry for the same host; two ServiceEntries merge.
      table.set(
        s.hostname,
        registry === KUBERNETES
          ? k8sNames
            ? { ips, registry, namespace: s.namespace, shortname: s.name }
            : { ...prev, ips, registry }
          : { ...prev, ips: [...prev.ips, ...ips] },
      );
    }
  }
  const out: Record<string, NameInfo> = {};
  for (const h of [...table.keys()].sort()) out[h] = table.get(h)!;
  return { table: out };
}

/** NDS output for one proxy class: a single resource with the empty name, built on first use. */
export function nameTableOutput(mesh: MeshConfig, proxy: Proxy): TypeOutput<NameTable> {
  let built: NameTable | undefined;
  return {
    names: () => [''],
    get: (name) => (name === '' ? (built ??= buildNameTable(mesh, proxy)) : undefined),
  };
}
