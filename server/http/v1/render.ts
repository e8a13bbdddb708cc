/**
 * @module server/http/v1/render
 * The v1 answers of one proxy class, rendered from its ClassSnapshot (the same v3 output ADS
 * serves) once and kept until the snapshot is replaced: a WeakMap keyed by the ClassSnapshot
 * object, so a new mesh (new snapshots) drops every rendering with no bookkeeping. Each answer
 * is kept as the JSON text sent on the wire, with a version (hash of that text) and the list of
 * what v1 could not carry. Only resources that encode as v3 are rendered, so v1 pollers never
 * get something ADS clients would not.
 */
import { contentHash } from '../../../proto/encode.js';
import { CDS, EDS, LDS, RDS } from '../../../proto/typeurls.js';
import type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration } from '../../../proto/types.js';
import type { ClassSnapshot } from '../../cache/snapshot.js';
import { renderCluster } from './clusters.js';
import { inboundListener, renderListener, splitInbound, type InboundPort } from './listeners.js';
import { renderHosts } from './registration.js';
import { renderRouteConfig } from './routes.js';
import type { Omission, V1Cluster, V1Listener } from './types.js';

export interface Rendered {
  /** The response body. */
  readonly text: string;
  /** Hash of `text`: what syncz reports as the version served. */
  readonly version: string;
  readonly omitted: readonly Omission[];
  /** For clusters: the `service_name`s the agent will ask /v1/registration for, in order. */
  readonly serviceNames?: readonly string[];
}

interface ClassRenderings {
  /** Listeners rendered once; inbound ports wait for the proxy IP. */
  listenerParts?: {
    readonly parts: readonly (V1Listener | readonly InboundPort[])[];
    readonly omitted: Omission[];
    readonly shared?: Rendered;
  };
  /** Per proxy IP, when the class has inbound ports (bounded by the class's pollers). */
  readonly listenersByIp: Map<string, Rendered>;
  clusters?: Rendered;
  readonly routes: Map<string, Rendered | null>;
  readonly hosts: Map<string, Rendered | null>;
}

const cache = new WeakMap<ClassSnapshot, ClassRenderings>();

/** Most renderings kept per class and kind: the keys (IPs, route and service names) come from clients. */
const PER_CLASS_MAX = 1024;

function setBounded<V>(m: Map<string, V>, k: string, v: V): void {
  if (m.size >= PER_CLASS_MAX) m.delete(m.keys().next().value as string);
  m.set(k, v);
}

function of(snap: ClassSnapshot): ClassRenderings {
  let r = cache.get(snap);
  if (!r) {
    r = { routes: new Map(), hosts: new Map(), listenersByIp: new Map() };
    cache.set(snap, r);
  }
  return r;
}

function done(body: object, omitted: Omission[]): Rendered {
  const text = JSON.stringify(body);
  return { text, version: contentHash(text), omitted };
}

const notEncoded = (level: Omission['level'], name: string): Omission => ({
  level,
  where: name,
  reason: 'does not encode as v3 either (see the server log); left out of ADS too',
});

/**
 * The listeners for a proxy of the class at `ip`: rendered once per class; when the class has
 * inbound ports (virtualInbound split into `ip:port` listeners) the final text is kept per IP.
 */
export function listenersOf(snap: ClassSnapshot, ip: string): Rendered {
  const r = of(snap);
  if (!r.listenerParts) {
    const omitted: Omission[] = [];
    const parts: (V1Listener | readonly InboundPort[])[] = [];
    for (const name of snap.names(LDS)) {
      if (!snap.get(LDS, name)) {
        omitted.push(notEncoded('listener', name));
        continue;
      }
      const msg = snap.message(LDS, name) as Listener;
      const inbound = splitInbound(msg, omitted);
      const l = inbound ?? renderListener(msg, omitted);
      if (l) parts.push(l);
    }
    const perIp = parts.some((p) => Array.isArray(p));
    r.listenerParts = { parts, omitted, ...(perIp ? {} : { shared: done({ listeners: parts }, omitted) }) };
  }
  const { parts, omitted, shared } = r.listenerParts;
  if (shared) return shared;
  let hit = r.listenersByIp.get(ip);
  if (!hit) {
    const listeners = parts.flatMap((p) =>
      Array.isArray(p) ? (p as readonly InboundPort[]).map((x) => inboundListener(ip, x)) : [p as V1Listener],
    );
    hit = done({ listeners }, omitted);
    setBounded(r.listenersByIp, ip, hit);
  }
  return hit;
}

/** The route config `name`, or undefined when the class has none by that name. */
export function routesOf(snap: ClassSnapshot, name: string): Rendered | undefined {
  const r = of(snap);
  const hit = r.routes.get(name);
  if (hit !== undefined) return hit ?? undefined;
  let out: Rendered | null = null;
  if (snap.get(RDS, name)) {
    const { config, omitted } = renderRouteConfig(snap.message(RDS, name) as RouteConfiguration);
    out = done(config, omitted);
  }
  setBounded(r.routes, name, out);
  return out ?? undefined;
}

export function clustersOf(snap: ClassSnapshot): Rendered {
  const r = of(snap);
  if (r.clusters) return r.clusters;
  const omitted: Omission[] = [];
  const clusters: V1Cluster[] = [];
  for (const name of snap.names(CDS)) {
    if (!snap.get(CDS, name)) {
      omitted.push(notEncoded('cluster', name));
      continue;
    }
    const c = renderCluster(snap.message(CDS, name) as Cluster, omitted);
    if (c) clusters.push(c);
  }
  const serviceNames = clusters.flatMap((c) => (c.service_name ? [c.service_name] : []));
  return (r.clusters = { ...done({ clusters }, omitted), serviceNames });
}

/** The SDS hosts of EDS service `name`, or undefined when the class has no such assignment. */
export function hostsOf(snap: ClassSnapshot, name: string): Rendered | undefined {
  const r = of(snap);
  const hit = r.hosts.get(name);
  if (hit !== undefined) return hit ?? undefined;
  let out: Rendered | null = null;
  if (snap.get(EDS, name)) {
    const omitted: Omission[] = [];
    const hosts = renderHosts(snap.message(EDS, name) as ClusterLoadAssignment, omitted);
    out = done({ hosts }, omitted);
  }
  setBounded(r.hosts, name, out);
  return out ?? undefined;
}
