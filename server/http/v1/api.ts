/**
 * @module server/http/v1/api
 * Pilot's v1 REST discovery API on the HTTP port, for data planes that poll (nginmesh's NGINX
 * agent): GET /v1/listeners/{cluster}/{node}, /v1/routes/{route_config}/{cluster}/{node},
 * /v1/clusters/{cluster}/{node} and /v1/registration/{service_name}. The node is parsed like an
 * xDS node ID (namespace from it, labels from the registry's pod), its class's ClassSnapshot is
 * taken from the shared SnapshotCache, and the pre-rendered JSON of render.ts is sent as is.
 * What v1 cannot carry is named in `x-tspilot-omitted` (truncated; full list in
 * /debug/v1z?proxyID=…). Pollers are recorded for /debug/syncz and /debug/v1z.
 */
import type { Proxy } from '../../../model/proxy.js';
import { resolveProxy } from '../../../model/resolve-proxy.js';
import { parseClusterName } from '../../../translators/names.js';
import type { ClassSnapshot, SnapshotCache } from '../../cache/snapshot.js';
import { HttpError, type Reply, type Router } from '../router.js';
import { PollerRegistry, pollerSyncz, type PollKind, type PollRecord } from './pollers.js';
import { clustersOf, hostsOf, listenersOf, routesOf, type Rendered } from './render.js';
import { omissionText, type Omission } from './types.js';

export interface V1Sources {
  readonly cache: SnapshotCache;
  ready(): boolean;
  readonly now?: () => number;
}

/** Longest `x-tspilot-omitted` value; beyond it the list is cut and points at /debug/v1z. */
export const OMITTED_HEADER_MAX = 2000;

function segment(s: string, what: string): string {
  let v: string;
  try {
    v = decodeURIComponent(s);
  } catch {
    throw new HttpError(400, `${what}: malformed percent-encoding in "${s}"`);
  }
  if (!v) throw new HttpError(400, `${what} is empty`);
  return v;
}

const ascii = (s: string): string => s.replace(/[^\x20-\x7e]/g, '?');

/** Whole resources first (they change routing), then fields, each in rendering order. */
export function omittedHeaders(omitted: readonly Omission[], debugPath: string): Record<string, string> {
  if (!omitted.length) return {};
  let text = '';
  let shown = 0;
  for (const o of [...omitted.filter((x) => x.level !== 'field'), ...omitted.filter((x) => x.level === 'field')]) {
    const t = ascii(omissionText(o));
    if (text.length + t.length + 2 > OMITTED_HEADER_MAX) break;
    text += (text ? '; ' : '') + t;
    shown++;
  }
  if (shown < omitted.length) text += `${text ? '; ' : ''}... ${omitted.length - shown} more: see ${debugPath}`;
  return { 'x-tspilot-omitted-count': String(omitted.length), 'x-tspilot-omitted': text };
}

export class V1Api {
  readonly pollers: PollerRegistry;

  constructor(private readonly src: V1Sources) {
    this.pollers = new PollerRegistry(src.now ?? Date.now);
  }

  /** The proxy a v1 node names, resolved like an xDS node (v1 nodes carry no metadata or locality). */
  proxyOf(node: string): Proxy {
    const r = resolveProxy({ id: node, metadata: {} }, this.src.cache.mesh);
    if (!r.ok) throw new HttpError(400, `invalid node: ${r.reason}`);
    return r.proxy;
  }

  /** The proxy's class snapshot; 503 when its translation failed and there is no last good one. */
  private snapshotOf(p: Proxy): ClassSnapshot {
    const snap = this.src.cache.forProxy(p);
    if (snap.unavailable)
      throw new HttpError(
        503,
        `the configuration of this proxy's class (${snap.classKey}) could not be computed: ${snap.unavailable.message}`,
      );
    return snap;
  }

  private ensureReady(): void {
    if (!this.src.ready()) throw new HttpError(503, 'not ready: configuration sources have not synced');
  }

  private reply(r: Rendered, debugPath: string): Reply {
    return {
      text: r.text,
      headers: { 'content-type': 'application/json', 'x-tspilot-version': r.version, ...omittedHeaders(r.omitted, debugPath) },
    };
  }

  private forNode(
    clusterSeg: string,
    nodeSeg: string,
    peer: string,
    kind: PollKind,
    render: (p: Proxy) => Rendered | undefined,
    missing: () => string,
  ): Reply {
    this.ensureReady();
    const serviceCluster = segment(clusterSeg, 'service cluster');
    const proxy = this.proxyOf(segment(nodeSeg, 'node'));
    const r = render(proxy);
    if (!r) throw new HttpError(404, missing());
    this.pollers.record(proxy, serviceCluster, peer, kind, r.version);
    return this.reply(r, `/debug/v1z?proxyID=${encodeURIComponent(proxy.id)}`);
  }

  register(router: Router): Router {
    const peer = (h: Record<string, string | string[] | undefined>): string => String(h['x-forwarded-for'] ?? '');
    router.on('GET', /^\/v1\/listeners\/[^/]+\/[^/]+$/, ({ url, headers }) => {
      const [, , , c, n] = url.pathname.split('/') as [string, string, string, string, string];
      return this.forNode(
        c,
        n,
        peer(headers),
        'lds',
        (p) => listenersOf(this.snapshotOf(p), p.ip),
        () => 'no listeners',
      );
    });
    router.on('GET', /^\/v1\/clusters\/[^/]+\/[^/]+$/, ({ url, headers }) => {
      const [, , , c, n] = url.pathname.split('/') as [string, string, string, string, string];
      return this.forNode(
        c,
        n,
        peer(headers),
        'cds',
        (p) => clustersOf(this.snapshotOf(p)),
        () => 'no clusters',
      );
    });
    router.on('GET', /^\/v1\/routes\/[^/]+\/[^/]+\/[^/]+$/, ({ url, headers }) => {
      const [, , , rc, c, n] = url.pathname.split('/') as [string, string, string, string, string, string];
      const name = segment(rc, 'route config name');
      return this.forNode(
        c,
        n,
        peer(headers),
        `rds:${name}`,
        (p) => routesOf(this.snapshotOf(p), name),
        () => `no route config "${name}" for this proxy (route config names come from the listeners' rds.route_config_name)`,
      );
    });
    router.on('GET', /^\/v1\/registration\/[^/]+$/, ({ url }) => {
      this.ensureReady();
      const name = segment(url.pathname.split('/')[3]!, 'service name');
      const r = this.registration(name);
      if (!r)
        throw new HttpError(
          404,
          `no service "${name}" (service names are the clusters' service_name, e.g. outbound|9080|v1|reviews.default.svc.cluster.local)`,
        );
      this.pollers.recordRegistration(name, r.version);
      return this.reply(r, `/debug/v1z?service=${encodeURIComponent(name)}`);
    });
    router.on('GET', '/debug/v1z', ({ url }) => ({ json: this.debug(url) }));
    return router;
  }

  /**
   * Registration requests carry no node: the hosts come from the snapshot of a sidecar in the
   * service's own namespace (endpoints do not depend on the asking proxy; such a sidecar always
   * sees its own namespace's services).
   */
  registration(serviceName: string): Rendered | undefined {
    const parsed = parseClusterName(serviceName);
    const svc = parsed && this.src.cache.mesh.serviceByHost.get(parsed.host);
    if (!svc) return undefined;
    const ns = svc.namespace;
    const probe = resolveProxy(
      { id: `sidecar~0.0.0.0~v1-registration.${ns}~${ns}.svc.${this.src.cache.mesh.domainSuffix}`, metadata: {} },
      this.src.cache.mesh,
    );
    if (!probe.ok) return undefined;
    return hostsOf(this.src.cache.forProxy(probe.proxy), serviceName);
  }

  /** /debug/syncz entries for the pollers. */
  syncz(): object[] {
    return this.pollers.list().map((p) => {
      let eds: (PollRecord | undefined)[] | undefined;
      try {
        const names = clustersOf(this.src.cache.forProxy(this.proxyOf(p.node))).serviceNames ?? [];
        eds = names.map((n) => this.pollers.registration(n));
      } catch {
        /* a node that no longer parses has no EDS view; its other entries still show */
      }
      return pollerSyncz(p, eds);
    });
  }

  private debug(url: URL): object {
    const id = url.searchParams.get('proxyID');
    const service = url.searchParams.get('service');
    if (service) {
      const r = this.registration(service);
      if (!r) throw new HttpError(404, `no service "${service}"`);
      return { service, version: r.version, omitted: r.omitted };
    }
    if (!id) return { pollers: this.syncz(), registrations: this.pollers.registrationPolls() };
    const p = this.pollers.get(id) ?? this.pollers.list().find((x) => `${x.proxy.workloadName}.${x.proxy.namespace}` === id);
    if (!p) throw new HttpError(404, `no v1 poller "${id}" (see /debug/v1z for the pollers)`);
    const proxy = this.proxyOf(p.node);
    const snap = this.src.cache.forProxy(proxy);
    const routeNames = [...p.polls.keys()]
      .filter((k) => k.startsWith('rds:'))
      .map((k) => k.slice(4))
      .sort();
    return {
      poller: pollerSyncz(
        p,
        (clustersOf(snap).serviceNames ?? []).map((n) => this.pollers.registration(n)),
      ),
      omitted: {
        listeners: listenersOf(snap, proxy.ip).omitted,
        clusters: clustersOf(snap).omitted,
        routes: Object.fromEntries(routeNames.map((n) => [n, routesOf(snap, n)?.omitted ?? []])),
      },
    };
  }
}
