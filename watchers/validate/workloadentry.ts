/**
 * @module watchers/validate/workloadentry
 * Validates a WorkloadEntry (a VM or other non-Kubernetes workload: address, ports by name,
 * labels, service account, network, locality, weight) and the same shape inline in a
 * ServiceEntry's `endpoints`.
 */
import type { WorkloadEntry, WorkloadEntrySpec } from '../../model/istio.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';

const IP4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DNS = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$/;

export function isIp(s: string): boolean {
  return IP4.test(s) || (s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s));
}

/** A workload spec at `path`; `needAddress` is false for ServiceEntry endpoints of resolution NONE? (never: all need one). */
export function readWorkloadSpec(r: Reader, o: Raw, path: string, allowUnixOrDns: boolean): WorkloadEntrySpec {
  r.known(o, path, ['address', 'ports', 'labels', 'network', 'locality', 'weight', 'serviceAccount']);
  const address = r.string(o['address'], `${path}.address`, !allowUnixOrDns) ?? '';
  if (address && !isIp(address) && !(allowUnixOrDns && (DNS.test(address) || address.startsWith('unix://')))) {
    r.fail(`${path}.address`, `"${address}" is not an IP address${allowUnixOrDns ? ', DNS name or unix:// path' : ''}`);
  }
  const portsRaw = r.object(o['ports'], `${path}.ports`);
  let ports: Record<string, number> | undefined;
  if (portsRaw) {
    ports = {};
    for (const k of Object.keys(portsRaw).sort()) {
      const n = r.int(portsRaw[k], `${path}.ports.${k}`, { min: 1, max: 65535 });
      if (n !== undefined) ports[k] = n;
    }
  }
  const labels = r.stringMap(o['labels'], `${path}.labels`);
  const network = r.string(o['network'], `${path}.network`);
  const locality = r.string(o['locality'], `${path}.locality`);
  const weight = r.int(o['weight'], `${path}.weight`, { min: 0, max: 4294967295 });
  const serviceAccount = r.string(o['serviceAccount'], `${path}.serviceAccount`);
  return {
    address,
    ...(ports ? { ports } : {}),
    ...(labels ? { labels } : {}),
    ...(network ? { network } : {}),
    ...(locality ? { locality } : {}),
    ...(weight !== undefined ? { weight } : {}),
    ...(serviceAccount ? { serviceAccount } : {}),
  };
}

export function readWorkloadEntry(r: Reader, raw: Raw, ns: string): WorkloadEntry {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  return { kind: 'WorkloadEntry', meta, spec: readWorkloadSpec(r, spec, 'spec', true) };
}
