/**
 * @module server/http/debug
 * istiod's debug surface, read-only: /ready, /debug/config_dump, /debug/syncz, /debug/adsz,
 * /debug/configz, /debug/registryz, /debug/endpointz, /debug/push_status, /debug/connections, and
 * beyond istiod /debug/explain (which configs produced a resource), POST /debug/diff (what a
 * change would push, computed on copies) and /debug/memory (where the process's memory is,
 * server/memory.ts). Nothing here can change served config. Every answer
 * names the replica that gave it (header `x-tspilot-replica`, server/replica); the web console
 * (server/ui) is served beside these views.
 * Proxies are found by full node ID or by `pod.namespace`, as istioctl passes them.
 */
import { SHORT, isXdsType, type XdsType } from '../../proto/typeurls.js';
import type { EncodedResource } from '../../proto/encode.js';
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { workloadLabels } from '../../model/resolve-proxy.js';
import type { ClassSnapshot } from '../cache/snapshot.js';
import { ReplicaFanout } from '../replica/fanout.js';
import { localReplica } from '../replica/identity.js';
import { replicaRoutes } from '../replica/routes.js';
import { consoleRoutes } from '../ui/routes.js';
import { explain } from '../explain/explain.js';
import type { DryRunResult } from '../explain/dryrun.js';
import type { AdsEngine } from '../xds/ads.js';
import type { DuplicateDefinition } from '../../watchers/store/reduce.js';
import type { IgnoredObject } from '../../model/config.js';
import type { StreamState } from '../xds/state.js';
import { configDump, DUMP_TYPES, type DumpType } from './configdump.js';
import { HttpError, Router } from './router.js';
import { secretView } from '../../watchers/validate/secret.js';
import { replicaId } from '../version.js';
import { memoryReport } from '../memory.js';

export interface DebugSources {
  readonly engine: AdsEngine;
  mesh(): MeshConfig;
  ready(): boolean;
  sourceErrors(): ReadonlyMap<string, string>;
  /** Objects defined in several files (which file is in force), for /debug/configz. */
  duplicates?(): readonly DuplicateDefinition[];
  /** Documents skipped because tspilot does not read their kind, with the reason, for /debug/configz. */
  ignored?(): readonly IgnoredObject[];
  /** EnvoyFilter patches skipped for a resource because the result was invalid, for /debug/configz. */
  envoyFilterSkips?(): readonly object[];
  /** The last pushes (server/observe.ts), for /debug/push_status. */
  pushStatus?(): object;
  /** Proxies polling the v1 REST API (server/http/v1), listed in /debug/syncz after the streams. */
  pollers?(): object[];
  /** The output of a proxy's class for the served mesh (read-only), for /debug/explain. */
  snapshot?(proxy: Proxy): ClassSnapshot;
  /** What applying `yaml` would push to the given streams (on copies), for POST /debug/diff. */
  dryRun?(yaml: string, streams: readonly StreamState[]): DryRunResult | Promise<DryRunResult>;
  /** Recent streams refused on the TLS xDS port, listed in /debug/adsz. */
  authRefusals?(): readonly object[];
  /** This replica and its peers (server/replica): the x-tspilot-replica header, /debug/replicas/*. Default: this replica alone. */
  readonly replicas?: ReplicaFanout;
}

/** Who the stream authenticated as (TLS port), or null (plaintext: no identity, as istiod). */
const identityOf = (s: StreamState): object | null =>
  s.identity ? { spiffe: s.identity.spiffe, method: s.identity.method, expiresAt: ms(s.identity.expiresAt ?? 0) } : null;

/** Query parameters shown after a path in the /debug index. */
const INDEX_QUERY: Readonly<Record<string, string>> = {
  '/debug/config_dump': '?proxyID=',
  '/debug/explain': '?proxyID=&resource=',
  '/debug/v1z': '?proxyID=',
};

const EXPLAIN_TYPES = ['cds', 'eds', 'lds', 'rds', 'vhost', 'ecds'] as const;

/** The streams of a proxy named by full node ID or by `pod.namespace`. */
export function findStreams(engine: AdsEngine, proxyID: string): StreamState[] {
  return engine.streams().filter((s) => s.proxy.id === proxyID || `${s.proxy.workloadName}.${s.proxy.namespace}` === proxyID);
}

function proxyParam(url: URL): string {
  const id = url.searchParams.get('proxyID');
  if (!id) throw new HttpError(400, 'query parameter proxyID is required (a node ID or pod.namespace)');
  if (id.length > 1024) throw new HttpError(400, 'proxyID is longer than 1024 characters');
  return id;
}

const ms = (t: number): string | null => (t ? new Date(t).toISOString() : null);

export function syncStatus(s: StreamState): object {
  const types: Record<string, object> = {};
  for (const [t, ts] of [...s.types.entries()].sort()) {
    types[isXdsType(t) ? SHORT[t] : t] = {
      subscribed: ts.sub.wildcard ? ['*', ...ts.sub.names] : [...ts.sub.names].sort(),
      sent: ts.versionSent,
      nonce: ts.nonce,
      acked: ts.ackedVersion,
      ackedNonce: ts.ackedNonce,
      lastSent: ms(ts.sentAt),
      lastAck: ms(ts.ackedAt),
      resources: ts.sent?.size ?? 0,
      responses: ts.responses,
      nack: ts.nack ? { version: ts.nack.version, nonce: ts.nack.nonce, error: ts.nack.message, at: ms(ts.nack.at) } : null,
    };
  }
  const v = (short: string, f: 'sent' | 'acked'): string => {
    const e = types[short] as { sent?: string; acked?: string } | undefined;
    return (f === 'sent' ? e?.sent : e?.acked) ?? '';
  };
  return {
    proxy: s.proxy.id,
    proxy_type: s.proxy.type,
    generator: s.proxy.generator,
    stream: s.id,
    transport: s.kind,
    identity: identityOf(s),
    istio_version: typeof s.node.metadata['ISTIO_VERSION'] === 'string' ? s.node.metadata['ISTIO_VERSION'] : '',
    // istiod's SyncStatus fields istioctl's CLUSTER and VERSION columns read (proxy_version: the client's user agent version).
    cluster_id: typeof s.node.metadata['CLUSTER_ID'] === 'string' ? s.node.metadata['CLUSTER_ID'] : '',
    proxy_version: s.node.userAgentVersion ?? '',
    istiod: replicaId(),
    cluster_sent: v('cds', 'sent'),
    cluster_acked: v('cds', 'acked'),
    listener_sent: v('lds', 'sent'),
    listener_acked: v('lds', 'acked'),
    route_sent: v('rds', 'sent'),
    route_acked: v('rds', 'acked'),
    endpoint_sent: v('eds', 'sent'),
    endpoint_acked: v('eds', 'acked'),
    types,
  };
}

/** /debug/syncz's list: the streams, then the REST pollers. */
export const synczEntries = (src: Pick<DebugSources, 'engine' | 'pollers'>): object[] => [
  ...src.engine.streams().map(syncStatus),
  ...(src.pollers?.() ?? []),
];

export function debugRoutes(src: DebugSources, router: Router = new Router()): Router {
  router.on('GET', '/ready', () =>
    src.ready() ? { text: 'ready\n' } : { status: 503, text: 'not ready: configuration sources have not synced\n' },
  );
  // The index lists what this port serves (read when asked: /debug/v1z is added on the HTTP port only).
  router.on('GET', '/debug', () => ({
    json: router
      .paths()
      .filter((p) => /^(POST )?\/debug\/./.test(p))
      .map((p) => p + (INDEX_QUERY[p] ?? '')),
  }));
  router.on('GET', '/debug/config_dump', ({ url }) => {
    const id = proxyParam(url);
    const streams = findStreams(src.engine, id);
    if (!streams.length) throw new HttpError(404, `no connected proxy "${id}" (see /debug/adsz for connected proxies)`);
    const typesParam = url.searchParams.get('types');
    let types: Set<DumpType> | undefined;
    if (typesParam) {
      const parts = typesParam.split(',').map((t) => t.trim().toLowerCase());
      const bad = parts.filter((t) => !(DUMP_TYPES as readonly string[]).includes(t));
      if (bad.length) throw new HttpError(400, `types: unknown type(s) ${bad.join(', ')}; use ${DUMP_TYPES.join(', ')}`);
      types = new Set(parts as DumpType[]);
    }
    const inc = url.searchParams.get('include_eds');
    const s = streams[streams.length - 1]!;
    const lookup = (t: XdsType, name: string, version: string): EncodedResource | undefined => {
      const r = src.snapshot?.(s.proxy).get(t, name);
      return r?.version === version ? r : undefined;
    };
    return { json: configDump(s, { ...(types ? { types } : {}), includeEds: inc === 'true' || inc === '1' }, lookup) };
  });
  router.on('GET', '/debug/syncz', () => ({ json: synczEntries(src) }));
  router.on('GET', '/debug/adsz', () => {
    const mesh = src.mesh();
    return {
      json: {
        totalClients: src.engine.streams().length,
        clients: src.engine.streams().map((s) => ({
          connectionId: s.id,
          connectedAt: ms(s.connectedAt),
          address: s.peer,
          proxy: s.proxy.id,
          generator: s.proxy.generator,
          namespace: s.proxy.namespace,
          // The workload's labels now (its Pod's as the registry has them), not as they were at connect.
          labels: workloadLabels(s.proxy, mesh),
          metadata: s.node.metadata,
          userAgent: s.node.userAgentName,
          identity: identityOf(s),
          watches: Object.fromEntries(
            [...s.types.entries()].map(([t, ts]) => [t, ts.sub.wildcard ? ['*', ...ts.sub.names] : [...ts.sub.names].sort()]),
          ),
        })),
        ...(src.authRefusals ? { refused: src.authRefusals() } : {}),
      },
    };
  });
  router.on('GET', '/debug/configz', () => {
    const mesh = src.mesh();
    return {
      json: {
        generation: mesh.generation,
        configs: [...mesh.objects.entries()].map(([key, e]) => ({
          key,
          source: e.origin.source,
          object: e.object.kind === 'Secret' ? secretView(e.object) : e.object,
        })),
        rejected: mesh.rejected,
        // Hosts claimed by several VirtualServices: which one is in force and which are ignored.
        conflicts: mesh.conflicts,
        // Accepted policies that apply to nothing (a selector picking no workload).
        policyNotices: mesh.policyNotices,
        // Parts of accepted objects that are ignored (a Service's UDP ports), with the reason.
        notices: mesh.notices ?? [],
        // Objects defined in more than one file: the file in force (path sorting first) and the others.
        duplicates: src.duplicates?.() ?? [],
        // Documents of kinds tspilot does not read: misspelled (with a suggestion), or not translated yet.
        ignored: src.ignored?.() ?? [],
        // EnvoyFilter patches not applied to a resource because the result would fail Envoy's validation,
        // or (notApplicable) to a kind of proxy they cannot reach (a proxyless client's listeners).
        envoyFilterSkips: src.envoyFilterSkips?.() ?? [],
        sourceErrors: Object.fromEntries(src.sourceErrors()),
        // Gateway API objects: the conditions tspilot computed (Kubernetes mode also writes them to their status).
        gatewayApiStatus: mesh.gatewayApiStatus ?? [],
      },
    };
  });
  // tspilot's own bodies also name the replica in a field (istiod-shaped ones only in the header).
  router.on('GET', '/debug/push_status', () => ({ json: { replica: replicas.label, ...(src.pushStatus?.() ?? { pushes: [] }) } }));
  router.on('GET', '/debug/connections', () => ({
    json: src.engine.streams().map((s) => ({
      connectionId: s.id,
      proxy: s.proxy.id,
      address: s.peer,
      transport: s.kind,
      connectedAt: ms(s.connectedAt),
      types: [...s.types.keys()].map((t) => (isXdsType(t) ? SHORT[t] : t)).sort(),
    })),
  }));
  router.on('GET', '/debug/explain', ({ url }) => {
    const id = proxyParam(url);
    const resource = url.searchParams.get('resource');
    if (!resource)
      throw new HttpError(400, 'query parameter resource is required (a cluster, listener, route configuration or virtual host name)');
    if (resource.length > 1024) throw new HttpError(400, 'resource is longer than 1024 characters');
    const type = url.searchParams.get('type');
    if (type !== null && !(EXPLAIN_TYPES as readonly string[]).includes(type))
      throw new HttpError(400, `type: "${type}" is not one of ${EXPLAIN_TYPES.join(', ')}`);
    const streams = findStreams(src.engine, id);
    if (!streams.length) throw new HttpError(404, `no connected proxy "${id}" (see /debug/adsz for connected proxies)`);
    if (!src.snapshot) throw new HttpError(501, 'explain is not available on this server');
    const s = streams[streams.length - 1]!;
    const found = explain(
      src.mesh(),
      src.snapshot(s.proxy),
      resource,
      (type ?? undefined) as (typeof EXPLAIN_TYPES)[number] | undefined,
      s.proxy,
    );
    if (!found.length)
      throw new HttpError(
        404,
        `proxy "${s.proxy.id}" has no ${type ?? 'cluster, endpoint assignment, listener, route configuration, virtual host or extension config'} named "${resource}"`,
      );
    return { json: { proxy: s.proxy.id, replica: replicas.label, resource, explanations: found } };
  });
  router.on('POST', '/debug/diff', async ({ url, body }) => {
    if (!src.dryRun) throw new HttpError(501, 'dry-run diff is not available on this server');
    if (!body.trim()) throw new HttpError(400, 'the request body must be the YAML (or JSON) of the change, as for kubectl apply -f');
    const id = url.searchParams.get('proxyID');
    const streams = id ? findStreams(src.engine, id) : src.engine.streams();
    if (id && !streams.length) throw new HttpError(404, `no connected proxy "${id}" (see /debug/adsz for connected proxies)`);
    const r = await src.dryRun(body, streams);
    if (!r.ok) throw new HttpError(r.busy ? 503 : 400, r.error);
    return { json: r.report };
  });
  router.on('GET', '/debug/registryz', () => ({ json: src.mesh().services }));
  router.on('GET', '/debug/endpointz', () => {
    const mesh = src.mesh();
    return {
      json: mesh.services.map((s) => ({
        hostname: s.hostname,
        ports: Object.fromEntries([...(mesh.endpoints.get(s.hostname) ?? new Map()).entries()]),
      })),
    };
  });
  router.on('GET', '/debug/memory', async () => ({ json: await memoryReport() }));
  // Which replica answers (header on every answer, /debug/replicas/*), and the web console.
  const replicas = src.replicas ?? new ReplicaFanout(localReplica(), undefined, () => synczEntries(src));
  replicaRoutes(router, replicas);
  consoleRoutes(router, src);
  return router;
}
