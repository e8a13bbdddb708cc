/**
 * @module watchers/gatewayapi/attach
 * Which listeners a route's Gateway parentRef attaches it to, and with which hostnames — or the
 * spec's reason it attaches nowhere: NoMatchingParent (no such Gateway, sectionName or port),
 * NotAllowedByListeners (allowedRoutes namespaces or kinds refuse it), NoMatchingListenerHostname
 * (no hostname in common). Namespace selectors see a namespace's labels when known, and always
 * its `kubernetes.io/metadata.name` label (which the API server sets on every namespace). Pure.
 */
import { GATEWAY_API_GROUP, type GwParentRef, type GwRoute } from '../../model/gatewayapi.js';
import { intersectHostnames, selectorMatches } from './conditions.js';
import type { ListenerInfo } from './listeners.js';

export type Attachment =
  | { readonly ok: true; readonly listeners: readonly { readonly info: ListenerInfo; readonly hostnames: readonly string[] }[] }
  | { readonly ok: false; readonly reason: string; readonly message: string };

function namespaceAllowed(info: ListenerInfo, routeNs: string, nsLabels: ReadonlyMap<string, Readonly<Record<string, string>>>): boolean {
  const ar = info.listener.allowedRoutes;
  if (ar.from === 'All') return true;
  if (ar.from === 'Same') return routeNs === info.gateway.meta.namespace;
  const labels = { ...(nsLabels.get(routeNs) ?? {}), 'kubernetes.io/metadata.name': routeNs };
  return !!ar.selector && selectorMatches(ar.selector, labels);
}

export function attach(
  route: GwRoute,
  ref: GwParentRef,
  listeners: readonly ListenerInfo[],
  nsLabels: ReadonlyMap<string, Readonly<Record<string, string>>>,
): Attachment {
  const ofGateway = listeners.filter((l) => l.gateway.meta.namespace === ref.namespace && l.gateway.meta.name === ref.name);
  if (!ofGateway.length)
    return {
      ok: false,
      reason: 'NoMatchingParent',
      message: `Gateway ${ref.namespace}/${ref.name} not found (or not of an Istio GatewayClass)`,
    };
  const named = ofGateway.filter(
    (l) =>
      (ref.sectionName === undefined || l.listener.name === ref.sectionName) && (ref.port === undefined || l.listener.port === ref.port),
  );
  if (!named.length) {
    const what = [ref.sectionName !== undefined ? `sectionName ${ref.sectionName}` : '', ref.port !== undefined ? `port ${ref.port}` : '']
      .filter(Boolean)
      .join(' and ');
    return { ok: false, reason: 'NoMatchingParent', message: `Gateway ${ref.namespace}/${ref.name} has no listener with ${what}` };
  }
  const usable = named.filter((l) => l.istioGateway !== null);
  const allowed = usable.filter(
    (l) =>
      namespaceAllowed(l, route.meta.namespace, nsLabels) && l.kinds.some((k) => k.group === GATEWAY_API_GROUP && k.kind === route.kind),
  );
  if (!allowed.length) {
    return {
      ok: false,
      reason: 'NotAllowedByListeners',
      message: usable.length
        ? `no listener of Gateway ${ref.namespace}/${ref.name}${ref.sectionName ? ` (${ref.sectionName})` : ''} allows ${route.kind}s from namespace ${route.meta.namespace}`
        : `the listeners of Gateway ${ref.namespace}/${ref.name} it names are not usable (see the Gateway's status)`,
    };
  }
  const out: { info: ListenerInfo; hostnames: string[] }[] = [];
  for (const info of allowed) {
    const hostnames = route.kind === 'TCPRoute' ? ['*'] : intersectHostnames(info.listener.hostname, route.hostnames);
    if (hostnames.length) out.push({ info, hostnames });
  }
  if (!out.length)
    return {
      ok: false,
      reason: 'NoMatchingListenerHostname',
      message: `none of the route's hostnames (${route.hostnames.join(', ')}) matches a listener hostname`,
    };
  return { ok: true, listeners: out };
}

export const isGatewayParent = (p: GwParentRef): boolean => p.group === GATEWAY_API_GROUP && p.kind === 'Gateway';
export const isServiceParent = (p: GwParentRef): boolean => p.group === '' && p.kind === 'Service';
