/**
 * @module watchers/validate/k8s
 * Validates the Kubernetes kinds tspilot reads (Service, EndpointSlice, Endpoints, Pod) into the
 * model's shapes. Only the fields tspilot uses are checked; other fields are the API server's
 * business and are ignored (they are not ours to reject).
 */
import type { EndpointAddress, EndpointPort, EndpointSlice, Endpoints, Pod, Service, ServicePort } from '../../model/k8s.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';

export function readService(r: Reader, raw: Raw, ns: string): Service {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  const ports: ServicePort[] = [];
  // The API server requires (port, protocol) to be unique, not the port number: kube-dns serves 53
  // over UDP and TCP in every cluster. UDP ports are kept here and ignored by the mesh (watchers/mesh.ts).
  const seen = new Set<string>();
  (r.array(spec['ports'], 'spec.ports') ?? []).forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    const o = r.object(p, path, true);
    if (!o) return;
    const port = r.int(o['port'], `${path}.port`, { min: 1, max: 65535, required: true });
    if (port === undefined) return;
    const tp = o['targetPort'];
    const targetPort = typeof tp === 'number' || (typeof tp === 'string' && tp !== '') ? tp : port;
    const proto = r.string(o['protocol'], `${path}.protocol`) ?? 'TCP';
    if (proto !== 'TCP' && proto !== 'UDP' && proto !== 'SCTP') r.fail(`${path}.protocol`, `must be TCP, UDP or SCTP, got "${proto}"`);
    if (seen.has(`${port}/${proto}`)) r.fail(`${path}.port`, `duplicate port ${port}/${proto}`);
    seen.add(`${port}/${proto}`);
    ports.push({
      name: r.string(o['name'], `${path}.name`) ?? '',
      port,
      targetPort,
      protocol: proto as ServicePort['protocol'],
      appProtocol: r.string(o['appProtocol'], `${path}.appProtocol`) ?? '',
    });
  });
  return {
    kind: 'Service',
    meta,
    ports,
    clusterIP: r.string(spec['clusterIP'], 'spec.clusterIP') ?? '',
    selector: r.stringMap(spec['selector'], 'spec.selector') ?? null,
    type: r.string(spec['type'], 'spec.type') ?? 'ClusterIP',
    externalName: r.string(spec['externalName'], 'spec.externalName') ?? '',
  };
}

function targetPod(r: Reader, v: unknown, path: string, ns: string): string | null {
  const o = r.object(v, path);
  if (!o || o['kind'] !== 'Pod') return null;
  const name = r.string(o['name'], `${path}.name`, true);
  return name ? `${r.string(o['namespace'], `${path}.namespace`) || ns}/${name}` : null;
}

function readPorts(r: Reader, v: unknown, path: string): EndpointPort[] {
  const out: EndpointPort[] = [];
  (r.array(v, path) ?? []).forEach((p, i) => {
    const o = r.object(p, `${path}[${i}]`, true);
    if (!o) return;
    const port = r.int(o['port'], `${path}[${i}].port`, { min: 1, max: 65535, required: true });
    if (port !== undefined)
      out.push({
        name: r.string(o['name'], `${path}[${i}].name`) ?? '',
        port,
        protocol: r.string(o['protocol'], `${path}[${i}].protocol`) ?? 'TCP',
      });
  });
  return out;
}

export function readEndpointSlice(r: Reader, raw: Raw, ns: string): EndpointSlice {
  const meta = readMeta(r, raw, ns);
  const serviceName = meta.labels['kubernetes.io/service-name'] ?? '';
  // The API server accepts a slice without this label (other controllers manage such slices); it
  // belongs to no Service, so the mesh ignores it and says so (watchers/mesh.ts notices).
  const addressType = r.string(raw['addressType'], 'addressType') ?? 'IPv4';
  const endpoints: EndpointAddress[] = [];
  (r.array(raw['endpoints'], 'endpoints') ?? []).forEach((e, i) => {
    const path = `endpoints[${i}]`;
    const o = r.object(e, path, true);
    if (!o) return;
    const cond = r.object(o['conditions'], `${path}.conditions`) ?? {};
    const ready = r.bool(cond['ready'], `${path}.conditions.ready`) ?? true;
    const pod = targetPod(r, o['targetRef'], `${path}.targetRef`, meta.namespace);
    const addrs = r.stringList(o['addresses'], `${path}.addresses`) ?? [];
    if (!addrs.length) r.fail(`${path}.addresses`, 'must list at least one address');
    for (const ip of addrs) {
      endpoints.push({
        ip,
        ready,
        targetPod: pod,
        nodeName: r.string(o['nodeName'], `${path}.nodeName`) ?? '',
        zone: r.string(o['zone'], `${path}.zone`) ?? '',
      });
    }
  });
  return { kind: 'EndpointSlice', meta, serviceName, addressType, endpoints, ports: readPorts(r, raw['ports'], 'ports') };
}

export function readEndpoints(r: Reader, raw: Raw, ns: string): Endpoints {
  const meta = readMeta(r, raw, ns);
  const slices: EndpointSlice[] = [];
  (r.array(raw['subsets'], 'subsets') ?? []).forEach((s, i) => {
    const path = `subsets[${i}]`;
    const o = r.object(s, path, true);
    if (!o) return;
    const endpoints: EndpointAddress[] = [];
    for (const [field, ready] of [
      ['addresses', true],
      ['notReadyAddresses', false],
    ] as const) {
      (r.array(o[field], `${path}.${field}`) ?? []).forEach((a, j) => {
        const ao = r.object(a, `${path}.${field}[${j}]`, true);
        if (!ao) return;
        const ip = r.string(ao['ip'], `${path}.${field}[${j}].ip`, true);
        if (ip)
          endpoints.push({
            ip,
            ready,
            targetPod: targetPod(r, ao['targetRef'], `${path}.${field}[${j}].targetRef`, meta.namespace),
            nodeName: r.string(ao['nodeName'], `${path}.${field}[${j}].nodeName`) ?? '',
            zone: '',
          });
      });
    }
    slices.push({
      kind: 'EndpointSlice',
      meta: { ...meta, name: `${meta.name}-${i}` },
      serviceName: meta.name,
      addressType: 'IPv4',
      endpoints,
      ports: readPorts(r, o['ports'], `${path}.ports`),
    });
  });
  return { kind: 'Endpoints', meta, slices };
}

export function readPod(r: Reader, raw: Raw, ns: string): Pod {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec') ?? {};
  const status = r.object(raw['status'], 'status') ?? {};
  const podIP = r.string(status['podIP'], 'status.podIP') ?? '';
  const podIPs = (r.array(status['podIPs'], 'status.podIPs') ?? [])
    .map((p, i) => r.string(r.object(p, `status.podIPs[${i}]`)?.['ip'], `status.podIPs[${i}].ip`) ?? '')
    .filter(Boolean);
  const containerPorts: Pod['containerPorts'][number][] = [];
  (r.array(spec['containers'], 'spec.containers') ?? []).forEach((c, i) => {
    const co = r.object(c, `spec.containers[${i}]`) ?? {};
    (r.array(co['ports'], `spec.containers[${i}].ports`) ?? []).forEach((p, j) => {
      const path = `spec.containers[${i}].ports[${j}]`;
      const po = r.object(p, path) ?? {};
      const containerPort = r.int(po['containerPort'], `${path}.containerPort`, { min: 1, max: 65535, required: true });
      if (containerPort !== undefined)
        containerPorts.push({
          name: r.string(po['name'], `${path}.name`) ?? '',
          containerPort,
          protocol: r.string(po['protocol'], `${path}.protocol`) ?? 'TCP',
        });
    });
  });
  return {
    kind: 'Pod',
    meta,
    podIP,
    podIPs: podIPs.length ? podIPs : podIP ? [podIP] : [],
    serviceAccount:
      r.string(spec['serviceAccountName'], 'spec.serviceAccountName') ??
      r.string(spec['serviceAccount'], 'spec.serviceAccount') ??
      'default',
    nodeName: r.string(spec['nodeName'], 'spec.nodeName') ?? '',
    containerPorts,
    phase: r.string(status['phase'], 'status.phase') ?? '',
    hostname: r.string(spec['hostname'], 'spec.hostname') ?? '',
    subdomain: r.string(spec['subdomain'], 'spec.subdomain') ?? '',
  };
}
