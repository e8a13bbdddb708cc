/**
 * @module watchers/gatewayapi/convert
 * The Gateway API front end, as istiod's gateway controller (pilot/pkg/config/kube/gateway): the
 * Gateway API objects of the store → the Istio Gateways and VirtualServices the existing
 * translators already serve, plus the status of every object. Runs once per store snapshot (from
 * watchers/mesh.ts), so sidecar, gateway and proxyless generators need no Gateway API code.
 *
 * - Gateways of a class whose controllerName is `istio.io/gateway-controller` (or, with no
 *   GatewayClass object, of tspilot's own class name: `istio` as istiod's built-in, or
 *   `--gateway-class-name`) → one Istio Gateway per listener (listeners.ts).
 * - HTTPRoute/GRPCRoute with Gateway parents → one VirtualService per (listener, hostname), all
 *   routes' matches sorted by the spec's precedence (precedence.ts); a concrete hostname also gets
 *   the matches of wildcard hostnames covering it (the spec merges across routes per request).
 * - HTTPRoute/GRPCRoute with a Service parent (GAMMA) → a mesh VirtualService for that host:
 *   producer routes (the Service's namespace) for every namespace, consumer routes (another
 *   namespace) for clients in that namespace only, ahead of the producer's.
 * - TLSRoute on a Passthrough listener → SNI `tls` routes; TCPRoute on a TCP listener or a
 *   TLS Terminate listener → a `tcp` route with the weighted backends (none left → no backend:
 *   the gateway closes the connection, as the spec asks and istiod does).
 * - BackendTLSPolicy → DestinationRules with upstream TLS (backendtls.ts).
 * Nothing bad spreads: a route that attaches nowhere, or a backend that cannot be resolved, is
 * reported in its status and changes nothing else. Pure; output order is deterministic.
 */
import type { MeshService } from '../../model/config.js';
import {
  ISTIO_GATEWAY_CONTROLLER,
  type GatewayApiObject,
  type BackendTLSPolicy,
  type GatewayClass,
  type GwObjectStatus,
  type GwRoute,
  type GwRouteParentStatus,
  type KubernetesGateway,
  type ReferenceGrant,
} from '../../model/gatewayapi.js';
import type { DestinationRule, Gateway, HTTPRoute, RouteDestination, VirtualService } from '../../model/istio.js';
import type { ConfigMap } from '../../model/k8s.js';
import { convertBackendTls } from './backendtls.js';
import { attach, isGatewayParent, isServiceParent } from './attach.js';
import { percentWeights, resolveBackend } from './backends.js';
import { cond, generatedMeta, hostnameWithin } from './conditions.js';
import { grpcRouteEntries, httpRouteEntries, routePath, type Entry, type HttpContext, type RuleResult } from './http.js';
import { convertGateway, type ListenerInfo } from './listeners.js';
import { comparePrecedence } from './precedence.js';

export interface GatewayApiInput {
  readonly objects: readonly GatewayApiObject[];
  readonly services: readonly MeshService[];
  readonly serviceByHost: ReadonlyMap<string, MeshService>;
  /** `namespace/name` of the Secrets holding TLS keys. */
  readonly secrets: ReadonlySet<string>;
  readonly domainSuffix: string;
  readonly namespaceLabels?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** tspilot's own class name (default `istio`, istiod's built-in class). */
  readonly className?: string;
  /** ConfigMaps by `namespace/name` (BackendTLSPolicy CA bundles). */
  readonly configMaps?: ReadonlyMap<string, ConfigMap>;
}

export interface GatewayApiOutput {
  readonly gateways: readonly Gateway[];
  readonly virtualServices: readonly VirtualService[];
  /** Upstream TLS from BackendTLSPolicies (backendtls.ts). */
  readonly destinationRules: readonly DestinationRule[];
  readonly status: readonly GwObjectStatus[];
}

const byKey = <T extends { meta: { namespace: string; name: string } }>(a: T, b: T): number =>
  a.meta.namespace.localeCompare(b.meta.namespace) || a.meta.name.localeCompare(b.meta.name);

const slug = (h: string): string => h.replace(/^\*/, 'wildcard');

export const DEFAULT_GATEWAY_CLASS = 'istio';

/** A Gateway's class is ours when its GatewayClass names our controller, or — with no GatewayClass object — it is our own class name. */
function ours(className: string, classes: ReadonlyMap<string, GatewayClass>, own: string): boolean {
  const c = classes.get(className);
  return c ? c.controllerName === ISTIO_GATEWAY_CONTROLLER : className === own;
}

function sorted(entries: readonly Entry[]): HTTPRoute[] {
  return [...entries].sort((a, b) => comparePrecedence(a.key, b.key)).map((e) => e.route);
}

export function convertGatewayApi(input: GatewayApiInput): GatewayApiOutput {
  const classes = new Map<string, GatewayClass>();
  const gws: KubernetesGateway[] = [];
  const routes: GwRoute[] = [];
  const grants: ReferenceGrant[] = [];
  const policies: BackendTLSPolicy[] = [];
  for (const o of input.objects) {
    if (o.kind === 'GatewayClass') classes.set(o.meta.name, o);
    else if (o.kind === 'KubernetesGateway') gws.push(o);
    else if (o.kind === 'ReferenceGrant') grants.push(o);
    else if (o.kind === 'BackendTLSPolicy') policies.push(o);
    else routes.push(o);
  }
  const status: GwObjectStatus[] = [];
  for (const c of [...classes.values()].sort((a, b) => a.meta.name.localeCompare(b.meta.name))) {
    if (c.controllerName === ISTIO_GATEWAY_CONTROLLER)
      status.push({
        kind: 'GatewayClass',
        namespace: '',
        name: c.meta.name,
        generation: c.meta.generation,
        conditions: [cond('Accepted', true, 'Accepted', 'Handled by tspilot')],
      });
  }
  const gateways: Gateway[] = [];
  const listeners: ListenerInfo[] = [];
  const gwStatus = new Map<string, { gw: KubernetesGateway; conv: ReturnType<typeof convertGateway> }>();
  const foreignGateways = new Set<string>();
  for (const gw of gws.sort(byKey)) {
    if (!ours(gw.gatewayClassName, classes, input.className ?? DEFAULT_GATEWAY_CLASS)) {
      foreignGateways.add(`${gw.meta.namespace}/${gw.meta.name}`);
      continue;
    }
    const conv = convertGateway(gw, input.services, input.secrets, grants, input.domainSuffix);
    gateways.push(...conv.istio);
    listeners.push(...conv.listeners);
    gwStatus.set(`${gw.meta.namespace}/${gw.meta.name}`, { gw, conv });
  }
  const attached = new Map<string, number>();
  const ctx: HttpContext = { services: input.serviceByHost, grants, suffix: input.domainSuffix };
  const ingress = new Map<string, { gateway: string; host: string; entries: Entry[] }>();
  const mesh = new Map<string, { ns: string; host: string; consumer: boolean; entries: Entry[] }>();
  const tlsVs: VirtualService[] = [];
  // TCPRoutes sharing a listener compete (a tcp route has no match): the oldest wins, then namespace/name (the spec's conflict order).
  const tcpVs: { created: string; vs: VirtualService }[] = [];
  for (const route of routes.sort((a, b) => a.kind.localeCompare(b.kind) || byKey(a, b))) {
    const rules: RuleResult | null =
      route.kind === 'HTTPRoute' ? httpRouteEntries(route, ctx) : route.kind === 'GRPCRoute' ? grpcRouteEntries(route, ctx) : null;
    const l4 = rules ? null : l4Destinations(route, ctx);
    const refProblem = rules ? rules.refProblem : l4!.problem;
    const resolved = refProblem
      ? cond('ResolvedRefs', false, refProblem.reason, refProblem.message)
      : cond('ResolvedRefs', true, 'ResolvedRefs');
    const parents: GwRouteParentStatus[] = [];
    for (const ref of route.parentRefs) {
      const parent = (accepted: ReturnType<typeof cond>): void => {
        parents.push({ parentRef: ref, controllerName: ISTIO_GATEWAY_CONTROLLER, conditions: [accepted, resolved] });
      };
      if (isGatewayParent(ref)) {
        if (foreignGateways.has(`${ref.namespace}/${ref.name}`)) continue;
        const a = attach(route, ref, listeners, input.namespaceLabels ?? new Map());
        if (!a.ok) {
          parent(cond('Accepted', false, a.reason, a.message));
          continue;
        }
        parent(cond('Accepted', true, 'Accepted'));
        for (const { info, hostnames } of a.listeners) {
          const lk = `${info.gateway.meta.namespace}/${info.gateway.meta.name}/${info.listener.name}`;
          attached.set(lk, (attached.get(lk) ?? 0) + 1);
          if (rules) {
            for (const host of hostnames) {
              const k = `${info.istioGateway!}|${host}`;
              const g = ingress.get(k) ?? { gateway: info.istioGateway!, host, entries: [] };
              g.entries.push(...rules.entries);
              ingress.set(k, g);
            }
          } else if (route.kind === 'TLSRoute' && l4!.dests.length) {
            tlsVs.push(tlsVirtualService(route, info, hostnames, l4!.dests));
          } else if (route.kind === 'TCPRoute') {
            tcpVs.push({ created: route.created, vs: tcpVirtualService(route, info, l4!.dests) });
          }
        }
      } else if (isServiceParent(ref) && rules) {
        const host = `${ref.name}.${ref.namespace}.svc.${input.domainSuffix}`;
        if (!input.serviceByHost.has(host)) {
          parent(cond('Accepted', false, 'NoMatchingParent', `Service ${ref.namespace}/${ref.name} not found`));
          continue;
        }
        parent(cond('Accepted', true, 'Accepted'));
        const consumer = route.meta.namespace !== ref.namespace;
        const k = `${consumer ? 0 : 1}|${route.meta.namespace}|${host}`;
        const g = mesh.get(k) ?? { ns: route.meta.namespace, host, consumer, entries: [] };
        g.entries.push(
          ...(ref.port
            ? rules.entries.map((e) => ({
                key: e.key,
                route: { ...e.route, match: e.route.match?.map((m) => ({ ...m, port: ref.port! })) },
              }))
            : rules.entries),
        );
        mesh.set(k, g);
      } else {
        parent(
          cond(
            'Accepted',
            false,
            'NoMatchingParent',
            `parentRef kind ${ref.group ? `${ref.group}/` : ''}${ref.kind} is not supported for ${route.kind} (Gateway${rules ? ', or Service for mesh routing' : ''})`,
          ),
        );
      }
    }
    if (parents.length)
      status.push({ kind: route.kind, namespace: route.meta.namespace, name: route.meta.name, generation: route.meta.generation, parents });
  }
  for (const { gw, conv } of [...gwStatus.values()]) {
    status.push({
      kind: 'KubernetesGateway',
      namespace: gw.meta.namespace,
      name: gw.meta.name,
      generation: gw.meta.generation,
      conditions: conv.status.conditions,
      listeners: conv.status.listeners.map((l) => ({
        ...l,
        attachedRoutes: attached.get(`${gw.meta.namespace}/${gw.meta.name}/${l.name}`) ?? 0,
      })),
    });
  }
  const virtualServices: VirtualService[] = [];
  const groups = [...ingress.values()].sort((a, b) => a.gateway.localeCompare(b.gateway) || a.host.localeCompare(b.host));
  for (const g of groups) {
    // The matches of every hostname on this listener that covers g.host (`*`, `*.example.com`) compete with its own.
    const entries = groups.filter((o) => o.gateway === g.gateway && (o === g || hostnameWithin(o.host, g.host))).flatMap((o) => o.entries);
    const [ns, name] = g.gateway.split('/') as [string, string];
    virtualServices.push({
      kind: 'VirtualService',
      meta: generatedMeta(ns, `${name}-${slug(g.host)}`),
      spec: { hosts: [g.host], gateways: [g.gateway], http: sorted(entries) },
    });
  }
  virtualServices.push(...tlsVs);
  const older = (a: string, b: string): number => (a === b ? 0 : !a ? 1 : !b ? -1 : a < b ? -1 : 1);
  virtualServices.push(...tcpVs.sort((a, b) => older(a.created, b.created)).map((t) => t.vs));
  // Consumer routes first: a sidecar takes the first VirtualService for a host, so a namespace's own routes beat the producer's.
  for (const g of [...mesh.values()].sort(
    (a, b) => Number(b.consumer) - Number(a.consumer) || a.ns.localeCompare(b.ns) || a.host.localeCompare(b.host),
  )) {
    virtualServices.push({
      kind: 'VirtualService',
      meta: generatedMeta(g.ns, `${g.host.split('.')[0]}-${g.consumer ? 'consumer' : 'producer'}-gateway-api`),
      spec: { hosts: [g.host], http: sorted(g.entries), exportTo: g.consumer ? ['.'] : ['*'] },
    });
  }
  const backendTls = convertBackendTls(policies, input.serviceByHost, input.configMaps ?? new Map(), input.domainSuffix);
  status.push(...backendTls.status);
  return { gateways, virtualServices, destinationRules: backendTls.destinationRules, status };
}

function l4Destinations(route: GwRoute, ctx: HttpContext): { dests: RouteDestination[]; problem?: { reason: string; message: string } } {
  const dests: RouteDestination[] = [];
  let problem: { reason: string; message: string } | undefined;
  for (const rule of route.kind === 'TCPRoute' || route.kind === 'TLSRoute' ? route.rules : []) {
    for (const ref of rule.backendRefs) {
      const r = resolveBackend(ref, route.kind, route.meta.namespace, ctx.services, ctx.grants, ctx.suffix);
      if (!r.ok) {
        problem ??= { reason: r.reason, message: r.message };
        continue;
      }
      if (r.weight > 0)
        dests.push({ destination: { host: r.host, ...(r.port !== undefined ? { port: { number: r.port } } : {}) }, weight: r.weight });
    }
  }
  const pct = percentWeights(dests.map((d) => d.weight ?? 0));
  return { dests: dests.map((d, i) => ({ ...d, weight: pct[i]! })).filter((d) => d.weight > 0), ...(problem ? { problem } : {}) };
}

function tlsVirtualService(route: GwRoute, info: ListenerInfo, hostnames: readonly string[], dests: RouteDestination[]): VirtualService {
  const [ns, name] = info.istioGateway!.split('/') as [string, string];
  return {
    kind: 'VirtualService',
    meta: generatedMeta(ns, `${name}-tls-${route.meta.namespace}-${route.meta.name}`),
    spec: {
      hosts: [...hostnames],
      gateways: [info.istioGateway!],
      tls: [
        { match: [{ sniHosts: [...hostnames] }], route: dests, provenance: routePath(route.kind, route.meta.namespace, route.meta.name) },
      ],
    },
  };
}

/** A TCPRoute on one listener: one `tcp` route bound to the listener's Istio Gateway; no destination → the gateway closes connections. */
function tcpVirtualService(route: GwRoute, info: ListenerInfo, dests: RouteDestination[]): VirtualService {
  const [ns, name] = info.istioGateway!.split('/') as [string, string];
  return {
    kind: 'VirtualService',
    meta: generatedMeta(ns, `${name}-tcp-${route.meta.namespace}-${route.meta.name}`),
    spec: {
      hosts: ['*'],
      gateways: [info.istioGateway!],
      tcp: [
        {
          match: [{ port: info.listener.port, gateways: [info.istioGateway!] }],
          route: dests,
          provenance: routePath(route.kind, route.meta.namespace, route.meta.name),
        },
      ],
    },
  };
}
