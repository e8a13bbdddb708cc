/**
 * @module watchers/validate/gatewayapi
 * Validates the Gateway API's GatewayClass, Gateway (as kind KubernetesGateway) and
 * ReferenceGrant into the model, with the spec's defaults filled in (allowedRoutes from Same,
 * TLS mode Terminate) and its rules checked: unique listener names, a hostname only where the
 * protocol has one, certificateRefs on a terminating listener. Cross-object checks (does the class
 * exist, may the Secret be read) are the conversion's, reported as status, not rejections.
 */
import type { GatewayClass, GwListener, KubernetesGateway, ReferenceGrant } from '../../model/gatewayapi.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';
import { readCreated, readHostname, readLabelSelector } from './gatewayapi-common.js';

const PROTOCOLS = ['HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP'];

export function readGatewayClass(r: Reader, raw: Raw, ns: string): GatewayClass {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  r.known(spec, 'spec', ['controllerName', 'parametersRef', 'description']);
  const controllerName = r.string(spec['controllerName'], 'spec.controllerName', true) ?? '';
  // Cluster-scoped: the key carries no namespace.
  return { kind: 'GatewayClass', meta: { ...meta, namespace: '' }, controllerName };
}

function readListener(r: Reader, v: unknown, path: string): GwListener | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(o, path, ['name', 'hostname', 'port', 'protocol', 'tls', 'allowedRoutes']);
  const name = r.string(o['name'], `${path}.name`, true);
  const port = r.int(o['port'], `${path}.port`, { min: 1, max: 65535, required: true });
  const protocol = r.string(o['protocol'], `${path}.protocol`, true);
  const hostname = readHostname(r, o['hostname'], `${path}.hostname`);
  if (hostname && (protocol === 'TCP' || protocol === 'UDP')) r.fail(`${path}.hostname`, `a ${protocol} listener has no hostname`);
  let tls: GwListener['tls'];
  const t = r.object(o['tls'], `${path}.tls`);
  if (t) {
    r.known(t, `${path}.tls`, ['mode', 'certificateRefs', 'options', 'frontendValidation']);
    const mode = r.string(t['mode'], `${path}.tls.mode`) ?? 'Terminate';
    if (mode !== 'Terminate' && mode !== 'Passthrough') r.fail(`${path}.tls.mode`, `must be Terminate or Passthrough, got "${mode}"`);
    const certificateRefs = (r.array(t['certificateRefs'], `${path}.tls.certificateRefs`) ?? [])
      .map((c, i) => {
        const p = `${path}.tls.certificateRefs[${i}]`;
        const co = r.object(c, p, true);
        if (!co) return undefined;
        r.known(co, p, ['group', 'kind', 'name', 'namespace']);
        const cname = r.string(co['name'], `${p}.name`, true);
        return cname === undefined
          ? undefined
          : {
              group: r.string(co['group'], `${p}.group`) ?? '',
              kind: r.string(co['kind'], `${p}.kind`) ?? 'Secret',
              name: cname,
              namespace: r.string(co['namespace'], `${p}.namespace`) ?? '',
            };
      })
      .filter((c): c is NonNullable<typeof c> => !!c);
    if (mode === 'Terminate' && !certificateRefs.length)
      r.fail(`${path}.tls.certificateRefs`, 'a Terminate listener needs at least one certificateRef');
    tls = { mode: mode === 'Passthrough' ? 'Passthrough' : 'Terminate', certificateRefs };
  }
  if (protocol === 'HTTPS' && !tls) r.fail(`${path}.tls`, 'an HTTPS listener needs tls');
  if (protocol === 'HTTPS' && tls?.mode === 'Passthrough')
    r.fail(`${path}.tls.mode`, 'an HTTPS listener terminates TLS (use protocol TLS for Passthrough)');
  const ar = r.object(o['allowedRoutes'], `${path}.allowedRoutes`) ?? {};
  r.known(ar, `${path}.allowedRoutes`, ['namespaces', 'kinds']);
  const ns = r.object(ar['namespaces'], `${path}.allowedRoutes.namespaces`) ?? {};
  r.known(ns, `${path}.allowedRoutes.namespaces`, ['from', 'selector']);
  const from = r.string(ns['from'], `${path}.allowedRoutes.namespaces.from`) ?? 'Same';
  if (!['Same', 'All', 'Selector'].includes(from))
    r.fail(`${path}.allowedRoutes.namespaces.from`, `must be Same, All or Selector, got "${from}"`);
  const selector = readLabelSelector(r, ns['selector'], `${path}.allowedRoutes.namespaces.selector`);
  if (from === 'Selector' && !selector) r.fail(`${path}.allowedRoutes.namespaces.selector`, 'is required when from is Selector');
  const kinds = (r.array(ar['kinds'], `${path}.allowedRoutes.kinds`) ?? [])
    .map((k, i) => {
      const p = `${path}.allowedRoutes.kinds[${i}]`;
      const ko = r.object(k, p, true);
      const kind = ko ? r.string(ko['kind'], `${p}.kind`, true) : undefined;
      return kind === undefined ? undefined : { group: (ko && r.string(ko['group'], `${p}.group`)) ?? 'gateway.networking.k8s.io', kind };
    })
    .filter((k): k is NonNullable<typeof k> => !!k);
  if (name === undefined || port === undefined || protocol === undefined) return undefined;
  if (!PROTOCOLS.includes(protocol) && !protocol.includes('/'))
    r.fail(`${path}.protocol`, `"${protocol}" is not one of ${PROTOCOLS.join(', ')} (or a domain-prefixed protocol)`);
  return {
    name,
    port,
    protocol,
    ...(hostname ? { hostname } : {}),
    ...(tls ? { tls } : {}),
    allowedRoutes: { from: from as 'Same', ...(selector ? { selector } : {}), kinds },
  };
}

export function readKubernetesGateway(r: Reader, raw: Raw, ns: string): KubernetesGateway {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  r.known(spec, 'spec', ['gatewayClassName', 'listeners', 'addresses', 'infrastructure', 'backendTLS']);
  const gatewayClassName = r.string(spec['gatewayClassName'], 'spec.gatewayClassName', true) ?? '';
  const listeners = (r.array(spec['listeners'], 'spec.listeners', true) ?? [])
    .map((l, i) => readListener(r, l, `spec.listeners[${i}]`))
    .filter((l): l is GwListener => !!l);
  if (spec['listeners'] !== undefined && !listeners.length) r.fail('spec.listeners', 'must list at least one listener');
  const names = new Set<string>();
  listeners.forEach((l, i) => {
    if (names.has(l.name)) r.fail(`spec.listeners[${i}].name`, `"${l.name}" is used by another listener`);
    names.add(l.name);
  });
  const addresses = (r.array(spec['addresses'], 'spec.addresses') ?? [])
    .map((a, i) => {
      const ao = r.object(a, `spec.addresses[${i}]`, true);
      const value = ao ? r.string(ao['value'], `spec.addresses[${i}].value`, true) : undefined;
      return value === undefined ? undefined : { type: (ao && r.string(ao['type'], `spec.addresses[${i}].type`)) ?? 'IPAddress', value };
    })
    .filter((a): a is NonNullable<typeof a> => !!a);
  return { kind: 'KubernetesGateway', meta, created: readCreated(raw), gatewayClassName, listeners, addresses };
}

export function readReferenceGrant(r: Reader, raw: Raw, ns: string): ReferenceGrant {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  r.known(spec, 'spec', ['from', 'to']);
  const from = (r.array(spec['from'], 'spec.from', true) ?? [])
    .map((f, i) => {
      const o = r.object(f, `spec.from[${i}]`, true);
      if (!o) return undefined;
      r.known(o, `spec.from[${i}]`, ['group', 'kind', 'namespace']);
      const kind = r.string(o['kind'], `spec.from[${i}].kind`, true);
      const namespace = r.string(o['namespace'], `spec.from[${i}].namespace`, true);
      const group = r.string(o['group'], `spec.from[${i}].group`) ?? '';
      return kind === undefined || namespace === undefined ? undefined : { group, kind, namespace };
    })
    .filter((f): f is NonNullable<typeof f> => !!f);
  const to = (r.array(spec['to'], 'spec.to', true) ?? [])
    .map((t, i) => {
      const o = r.object(t, `spec.to[${i}]`, true);
      if (!o) return undefined;
      r.known(o, `spec.to[${i}]`, ['group', 'kind', 'name']);
      const kind = r.string(o['kind'], `spec.to[${i}].kind`, true);
      const name = r.string(o['name'], `spec.to[${i}].name`);
      return kind === undefined ? undefined : { group: r.string(o['group'], `spec.to[${i}].group`) ?? '', kind, ...(name ? { name } : {}) };
    })
    .filter((t): t is NonNullable<typeof t> => !!t);
  return { kind: 'ReferenceGrant', meta, from, to };
}
