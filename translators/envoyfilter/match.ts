/**
 * @module translators/envoyfilter/match
 * istiod's EnvoyFilter match predicates (pilot/pkg/networking/core/envoyfilter): context and proxy
 * (version regex against metadata ISTIO_VERSION, metadata equality), listener (port, name),
 * filter chain (name, sni, transport protocol, application protocols, destination port, a filter
 * by name and an HTTP sub-filter by name), listener filter, route configuration (port, port name
 * and gateway from the RDS name, name), virtual host and route (name, action), cluster (name, or
 * port / service / subset from its key). An absent field matches anything.
 */
import type { ConfigPatch } from '../../model/envoyfilter.js';
import type { Proxy } from '../../model/proxy.js';
import type { ClusterKey } from '../names.js';
import { list, obj, type Obj, type ResourceContext, type Unit } from './ops.js';

export const HCM = 'envoy.filters.network.http_connection_manager';

export function proxyMatches(p: ConfigPatch, proxy: Proxy): boolean {
  const m = p.match.proxy;
  if (!m) return true;
  if (m.proxyVersion) {
    const v = proxy.metadata['ISTIO_VERSION'];
    if (typeof v !== 'string' || !v || !new RegExp(m.proxyVersion).test(v)) return false;
  }
  for (const k of Object.keys(m.metadata ?? {})) if (proxy.metadata[k] !== m.metadata![k]) return false;
  return true;
}

export const contextMatches = (p: ConfigPatch, ctx: ResourceContext): boolean => p.match.context === 'ANY' || p.match.context === ctx;

const portOf = (l: Obj): number | undefined => {
  const sa = obj(obj(l['address'])?.['socket_address']);
  return typeof sa?.['port_value'] === 'number' ? sa['port_value'] : undefined;
};

export const VIRTUAL_INBOUND = 'virtualInbound';

export const VIRTUAL_OUTBOUND = 'virtualOutbound';
const isVirtual = (l: Obj): boolean => l['name'] === VIRTUAL_INBOUND || l['name'] === VIRTUAL_OUTBOUND;

/** Listener-level: name and port (below LISTENER, virtual listeners match the port per filter chain, as istiod). */
export function listenerMatches(u: Unit, l: Obj): boolean {
  const m = u.patch.match.listener;
  if (!m) return true;
  if (m.name && m.name !== l['name']) return false;
  if (u.patch.applyTo !== 'LISTENER' && isVirtual(l)) return true;
  if (m.portNumber && portOf(l) !== m.portNumber) return false;
  return true;
}

export const hasFilterMatch = (p: ConfigPatch): boolean => p.match.listener?.filterChain?.filter !== undefined;
export const hasSubFilterMatch = (p: ConfigPatch): boolean => p.match.listener?.filterChain?.filter?.subFilter !== undefined;
export const hasListenerFilterMatch = (p: ConfigPatch): boolean => !!p.match.listener?.listenerFilter;

export function httpFilters(f: Obj): Obj[] {
  return list(obj(f['typed_config'])?.['http_filters']);
}

export function filterMatches(p: ConfigPatch, f: Obj): boolean {
  const m = p.match.listener?.filterChain?.filter;
  if (!m) return true;
  return !m.name || m.name === f['name'];
}

export function filterChainMatches(p: ConfigPatch, l: Obj, fc: Obj): boolean {
  const lm = p.match.listener;
  const m = lm?.filterChain;
  const fcm = obj(fc['filter_chain_match']) ?? {};
  const dport = obj(fcm['destination_port'])?.['value'];
  if (lm?.portNumber && isVirtual(l) && dport !== lm.portNumber) return false;
  if (!m) return true;
  if (m.name && m.name !== fc['name']) return false;
  if (m.sni && !((fcm['server_names'] as string[] | undefined) ?? []).includes(m.sni)) return false;
  if (m.transportProtocol && m.transportProtocol !== (fcm['transport_protocol'] ?? '')) return false;
  if (m.applicationProtocols) {
    const have = (fcm['application_protocols'] as string[] | undefined) ?? [];
    if (!m.applicationProtocols.split(',').every((a) => have.includes(a.trim()))) return false;
  }
  if (m.destinationPort && dport !== m.destinationPort) return false;
  return true;
}

export function subFilterMatches(p: ConfigPatch, h: Obj): boolean {
  const n = p.match.listener?.filterChain?.filter?.subFilter?.name;
  return !n || n === h['name'];
}

export function listenerFilterMatches(p: ConfigPatch, lf: Obj): boolean {
  const n = p.match.listener?.listenerFilter;
  return !n || n === lf['name'];
}

/** `http.8080` → port; `https.443.<portName>.<gateway>.<namespace>` → port, port name, `namespace/gateway`. */
function gatewayRouteName(name: string): { port: number; portName: string; gateway: string } {
  const parts = name.split('.');
  if (parts[0] === 'http') return { port: Number(parts[1]), portName: '', gateway: '' };
  if (parts[0] === 'https' && parts.length >= 5)
    return { port: Number(parts[1]), portName: parts[2]!, gateway: `${parts[parts.length - 1]}/${parts.slice(3, -1).join('.')}` };
  return { port: 0, portName: '', gateway: '' };
}

export function routeConfigMatches(p: ConfigPatch, rc: Obj, ctx: ResourceContext): boolean {
  const m = p.match.routeConfiguration;
  if (!m) return true;
  const name = String(rc['name'] ?? '');
  if (m.name && m.name !== name) return false;
  if (ctx !== 'GATEWAY') {
    // Sidecars name outbound route configurations by port, inbound ones (and proxyless gRPC's) by cluster name.
    const port = name.includes('|') ? Number(name.split('|')[1]) : Number(name);
    return !m.portNumber || m.portNumber === port;
  }
  const g = gatewayRouteName(name);
  if (m.portNumber && m.portNumber !== g.port) return false;
  if (m.portName && m.portName !== g.portName) return false;
  if (m.gateway && m.gateway !== g.gateway) return false;
  return true;
}

export function vhostMatches(p: ConfigPatch, vh: Obj): boolean {
  const n = p.match.routeConfiguration?.vhost?.name;
  return !n || n === vh['name'];
}

export function routeMatches(p: ConfigPatch, r: Obj): boolean {
  const m = p.match.routeConfiguration?.vhost?.route;
  if (!m) return true;
  if (m.name && m.name !== r['name']) return false;
  switch (m.action) {
    case 'ROUTE':
      return r['route'] !== undefined;
    case 'REDIRECT':
      return r['redirect'] !== undefined;
    case 'DIRECT_RESPONSE':
      return r['direct_response'] !== undefined;
    default:
      return true;
  }
}

export function clusterMatches(p: ConfigPatch, name: string, key: ClusterKey | undefined): boolean {
  const m = p.match.cluster;
  if (!m) return true;
  if (m.name) return m.name === name;
  if (m.subset && m.subset !== key?.subset) return false;
  if (m.service && m.service !== key?.host) return false;
  if (m.portNumber && m.portNumber !== key?.port) return false;
  return true;
}
