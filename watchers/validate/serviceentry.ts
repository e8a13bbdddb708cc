/**
 * @module watchers/validate/serviceentry
 * Validates a ServiceEntry: hosts (no bare `*`), addresses (IPs or CIDRs), ports (unique numbers,
 * known protocols), location, resolution and what each resolution needs (STATIC needs endpoint
 * IPs or a workloadSelector; DNS endpoints may be names; NONE/STATIC with wildcard hosts is fine,
 * DNS with a wildcard host is not), inline endpoints (their port names must be declared), and
 * workloadSelector (not together with endpoints), exportTo.
 */
import type { ServiceEntry, ServiceEntryPort, WorkloadEntrySpec } from '../../model/istio.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';
import { readExportTo, validHost } from './common-istio.js';
import { isIp, readWorkloadSpec } from './workloadentry.js';

export const PROTOCOLS = ['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'MONGO', 'TCP', 'TLS', 'REDIS', 'MYSQL', 'UDP'];
const RESOLUTIONS = ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'];
const CIDR = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/;

export function readServiceEntry(r: Reader, raw: Raw, ns: string): ServiceEntry {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  r.known(spec, 'spec', [
    'hosts',
    'addresses',
    'ports',
    'location',
    'resolution',
    'endpoints',
    'workloadSelector',
    'exportTo',
    'subjectAltNames',
  ]);
  const hosts = r.stringList(spec['hosts'], 'spec.hosts') ?? [];
  if (!hosts.length) r.fail('spec.hosts', 'must list at least one host');
  hosts.forEach((h, i) => {
    if (h === '*' || !validHost(h)) r.fail(`spec.hosts[${i}]`, `"${h}" is not a valid ServiceEntry host (a DNS name or *.suffix)`);
  });
  const addresses = r.stringList(spec['addresses'], 'spec.addresses');
  addresses?.forEach((a, i) => {
    const m = CIDR.exec(a);
    if (!(isIp(a) || (m && isIp(m[1]!) && Number(m[2]) <= (m[1]!.includes(':') ? 128 : 32))))
      r.fail(`spec.addresses[${i}]`, `"${a}" is not an IP address or CIDR`);
  });
  const ports: ServiceEntryPort[] = [];
  const numbers = new Set<number>();
  const names = new Set<string>();
  (r.array(spec['ports'], 'spec.ports', true) ?? []).forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    const o = r.object(p, path, true);
    if (!o) return;
    r.known(o, path, ['number', 'protocol', 'name', 'targetPort']);
    const number = r.int(o['number'], `${path}.number`, { min: 1, max: 65535, required: true });
    const name = r.string(o['name'], `${path}.name`, true);
    const protocol = r.string(o['protocol'], `${path}.protocol`);
    if (protocol !== undefined && !PROTOCOLS.includes(protocol.toUpperCase()))
      r.fail(`${path}.protocol`, `"${protocol}" is not one of ${PROTOCOLS.join(', ')}`);
    const targetPort = r.int(o['targetPort'], `${path}.targetPort`, { min: 1, max: 65535 });
    if (number === undefined || !name) return;
    if (numbers.has(number)) r.fail(`${path}.number`, `duplicate port ${number}`);
    if (names.has(name)) r.fail(`${path}.name`, `duplicate port name "${name}"`);
    numbers.add(number);
    names.add(name);
    ports.push({ number, name, ...(protocol ? { protocol: protocol.toUpperCase() } : {}), ...(targetPort ? { targetPort } : {}) });
  });
  const location = r.string(spec['location'], 'spec.location') ?? 'MESH_EXTERNAL';
  if (location !== 'MESH_EXTERNAL' && location !== 'MESH_INTERNAL')
    r.fail('spec.location', `"${location}" is not MESH_EXTERNAL or MESH_INTERNAL`);
  const resolution = r.string(spec['resolution'], 'spec.resolution') ?? 'NONE';
  if (!RESOLUTIONS.includes(resolution)) r.fail('spec.resolution', `"${resolution}" is not one of ${RESOLUTIONS.join(', ')}`);
  const dnsOk = resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN';
  const endpoints: WorkloadEntrySpec[] = [];
  (r.array(spec['endpoints'], 'spec.endpoints') ?? []).forEach((e, i) => {
    const path = `spec.endpoints[${i}]`;
    const o = r.object(e, path, true);
    if (!o) return;
    const w = readWorkloadSpec(r, o, path, dnsOk);
    if (resolution === 'STATIC' && w.address && !isIp(w.address) && !w.address.startsWith('unix://'))
      r.fail(`${path}.address`, `resolution STATIC needs IP addresses, got "${w.address}"`);
    for (const k of Object.keys(w.ports ?? {})) if (!names.has(k)) r.fail(`${path}.ports.${k}`, `no port named "${k}" in spec.ports`);
    endpoints.push(w);
  });
  const sel = r.object(spec['workloadSelector'], 'spec.workloadSelector');
  let workloadSelector: { labels: Record<string, string> } | undefined;
  if (sel) {
    r.known(sel, 'spec.workloadSelector', ['labels']);
    workloadSelector = { labels: r.stringMap(sel['labels'], 'spec.workloadSelector.labels') ?? {} };
    if (endpoints.length) r.fail('spec.workloadSelector', 'set endpoints or workloadSelector, not both');
  }
  if (dnsOk && hosts.some((h) => h.startsWith('*')))
    r.fail('spec.resolution', `resolution ${resolution} cannot be used with wildcard hosts`);
  if (resolution === 'STATIC' && !endpoints.length && !workloadSelector)
    r.fail('spec.endpoints', 'resolution STATIC needs endpoints or a workloadSelector');
  if (resolution === 'NONE' && endpoints.length) r.fail('spec.endpoints', 'resolution NONE takes no endpoints');
  const exportTo = readExportTo(r, spec['exportTo'], 'spec.exportTo');
  const subjectAltNames = r.stringList(spec['subjectAltNames'], 'spec.subjectAltNames');
  return {
    kind: 'ServiceEntry',
    meta,
    spec: {
      hosts,
      ...(addresses?.length ? { addresses } : {}),
      ports,
      location: location as 'MESH_EXTERNAL',
      resolution: resolution as 'NONE',
      ...(endpoints.length ? { endpoints } : {}),
      ...(workloadSelector ? { workloadSelector } : {}),
      ...(exportTo ? { exportTo } : {}),
      ...(subjectAltNames ? { subjectAltNames } : {}),
    },
  };
}
