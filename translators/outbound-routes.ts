/**
 * @module translators/outbound-routes
 * A sidecar's outbound route config `"<port>"`: a virtual host per service on that port (sorted by
 * hostname, istiod's domains, its VirtualService's routes or the default route), then `allow_any`
 * (or `block_all`), each domain kept only by the first virtual host that has it.
 *
 * Built as pieces (pieces.ts): in a mesh of thousands of services one route config holds hundreds
 * of virtual hosts and a VirtualService edit changes one. The shape — which virtual hosts, their
 * names and de-duplicated domains — depends only on the port's services, the proxy's namespace
 * and version gate and the outbound policy, and is computed once per services list (the store
 * keeps the list across snapshots when no service changed, watchers/mesh.ts), so a route config
 * rebuilt for one edited host costs that host's routes, not a pass over every service. Each virtual
 * host's routes are built on their own, so the cache can re-translate only those whose
 * dependencies changed (server/cache/pieces.ts). Pure: memoized by identity of immutable inputs.
 */
import type { MeshService } from '../model/config.js';
import type { RouteConfiguration, VirtualHost } from '../proto/types.js';
import { legacyServiceDomains, serviceDomains } from './domains.js';
import { versionGates } from './versions.js';
import { outboundRouteName, vhostName } from './names.js';
import { hostRoutes, type RouteFlavor } from './route.js';
import type { Scope } from './scope.js';
import { assemble, type PieceList } from './pieces.js';

/** One virtual host of the shape: everything but its routes. */
interface VhostShape {
  readonly name: string;
  readonly domains: readonly string[];
  /** The service whose routes it holds; undefined for the trailing allow_any / block_all. */
  readonly host: string | undefined;
}

interface Shape {
  readonly vhosts: readonly VhostShape[];
  /** Per virtual host, a key naming its shape (name and domains): equal key and untouched deps ⇒ equal virtual host. */
  readonly keys: readonly string[];
}

/** The shapes built for a port's services list, by namespace, version gate and outbound policy. */
const shapes = new WeakMap<readonly MeshService[], Map<string, Shape>>();

/** `fallbackKey`: the trailing virtual host's content (its name and target), made part of its key. */
function shapeOf(services: readonly MeshService[], ns: string, port: number, legacy: boolean, fallbackKey: string): Shape {
  let byKey = shapes.get(services);
  if (!byKey) shapes.set(services, (byKey = new Map()));
  const k = `${ns}\u0000${port}\u0000${legacy}\u0000${fallbackKey}`;
  let s = byKey.get(k);
  if (!s) {
    const all: VhostShape[] = services.map((svc) => ({
      name: vhostName(svc.hostname, port),
      domains: legacy ? legacyServiceDomains(svc, ns, port) : serviceDomains(svc, ns, port, false),
      host: svc.hostname,
    }));
    all.push({ name: fallbackKey, domains: ['*'], host: undefined });
    const vhosts = dedupeDomains(all);
    s = { vhosts, keys: vhosts.map((v) => `${v.name}\u0000${v.domains.join('\u0001')}`) };
    byKey.set(k, s);
  }
  return s;
}

/** The trailing virtual host: every other destination blocked (REGISTRY_ONLY) or passed through. */
function fallbackVhost(scope: Scope): VirtualHost {
  return scope.outboundPolicy === 'REGISTRY_ONLY'
    ? {
        name: 'block_all',
        domains: ['*'],
        routes: [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }],
        include_request_attempt_count: true,
      }
    : {
        name: 'allow_any',
        domains: ['*'],
        routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: scope.passthroughCluster, timeout: { seconds: 0 } } }],
        include_request_attempt_count: true,
      };
}

/**
 * Route config `"<port>"` as pieces: the config without its virtual hosts, their keys, and a
 * builder per virtual host (reading only that host's VirtualService, through `s`).
 */
export function outboundRoutePieces(
  scope: Scope,
  port: number,
  services: readonly MeshService[],
  flavor: RouteFlavor,
): PieceList<RouteConfiguration, VirtualHost> {
  const legacy = versionGates(scope.proxy).hostPortDomains;
  const fallback = fallbackVhost(scope);
  // The fallback's content is in its key, so a key names everything a virtual host is built from but its routes' reads.
  const shape = shapeOf(services, scope.namespace, port, legacy, `${fallback.name}\u0000${scope.passthroughCluster}`);
  return {
    shell: {
      name: outboundRouteName(port),
      virtual_hosts: [],
      validate_clusters: { value: false },
      ...(legacy ? {} : { ignore_port_in_host_matching: true }),
    },
    field: 'virtual_hosts',
    keys: shape.keys,
    build: (s, i) => {
      const v = shape.vhosts[i]!;
      // Domains copied: the shape is shared by every route config built from it.
      if (v.host === undefined) return { ...fallbackVhost(s), domains: [...v.domains] };
      return { name: v.name, domains: [...v.domains], routes: hostRoutes(s, v.host, port, flavor), include_request_attempt_count: true };
    },
  };
}

/** Envoy NACKs a route config where two virtual hosts share a domain: the first keeps it (istiod drops duplicates too). */
export function dedupeDomains<V extends { readonly domains?: readonly string[] | null | undefined }>(
  vhosts: readonly V[],
): (V & { domains: string[] })[] {
  const seen = new Set<string>();
  return vhosts
    .map((v) => ({
      ...v,
      domains: (v.domains ?? []).filter((d) => (seen.has(d.toLowerCase()) ? false : (seen.add(d.toLowerCase()), true))),
    }))
    .filter((v) => v.domains.length > 0);
}

/** Route config `"<port>"` whole (what the pieces assemble to). */
export function outboundRouteConfig(scope: Scope, port: number, services: readonly MeshService[], flavor: RouteFlavor): RouteConfiguration {
  return assemble(outboundRoutePieces(scope, port, services, flavor), scope);
}
