/**
 * @module translators/envoyfilter
 * The EnvoyFilter stage: applied by translators/index.ts `generate` to a proxy's generated output
 * before anything is encoded. For each listener, route configuration and cluster it applies the
 * patches of the EnvoyFilters selecting the proxy (select.ts, istiod's order) whose context and
 * proxy match, with istiod's semantics (listener.ts, route.ts, cluster.ts), and adds the listeners
 * and clusters patches ADD, and defines the extension configs EXTENSION_CONFIG ADDs name (served
 * over ECDS, extension.ts).
 *
 * Unlike istiod, which applies patches blindly, every patched or added resource must pass Envoy's
 * validate.rules: when the result fails, patches are re-applied one by one in order and each one
 * that makes the resource invalid is skipped for that resource only (a `PatchSkip` naming the
 * EnvoyFilter, its patch index and the resource). Listeners and clusters name the EnvoyFilters
 * that changed them in `metadata.filter_metadata.istio.envoyfilters` (provenance).
 *
 * A proxyless gRPC client gets no listener patch (istiod's grpc generator applies none): each is
 * reported as not applied instead (proxyless.ts); its routes and clusters are patched as above.
 *
 * Lazy like the generators: a type is patched on first use, once. With no EnvoyFilter selecting
 * the proxy the output is returned untouched.
 */
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { VALUE_TYPE } from '../../model/envoyfilter.js';
import type { Cluster, Listener, RouteConfiguration } from '../../proto/types.js';
import { jsonToStruct, structToJson, type Json } from '../../proto/struct.js';
import { CDS, ECDS, LDS, RDS } from '../../proto/typeurls.js';
import type { ClusterOutput, Generated, TypeOutput } from '../generated.js';
import type { ClusterKey } from '../names.js';
import { contextMatches, proxyMatches } from './match.js';
import { obj, unitsOf, type Obj, type PatchSkip, type ProtoOps, type ResourceContext, type Unit } from './ops.js';
import { addedListeners, patchListener } from './listener.js';
import { patchRouteConfiguration } from './route.js';
import { addedClusters, patchCluster } from './cluster.js';
import { envoyFiltersFor } from './select.js';
import { extensionConfigs } from './extension.js';
import { traceOf, type Patching, type PatchTrace } from './trace.js';
import { LISTENER_KINDS, proxylessSplit } from './proxyless.js';

export type { PatchSkip, ProtoOps } from './ops.js';
export type { PatchStep, PatchTrace } from './trace.js';
export { envoyFilterClassKey, envoyFiltersFor } from './select.js';

/** What the stage adds to a Generated: the filters that applied, and the patches skipped (computed on demand). */
export interface EnvoyFilterReport {
  readonly filters: readonly string[];
  skips(): readonly PatchSkip[];
  /** How the resource `name` of `typeUrl` went from generated to served, patch by patch; undefined when no patch applied to it or was skipped for it. */
  trace(typeUrl: string, name: string): PatchTrace | undefined;
}

/** The record of a resource an ADD created. */
const added = (u: Unit): Patching => ({ base: null, enabled: [u], apply: () => null });

const ROUTE_KINDS = new Set(['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE']);

type Apply = (units: readonly Unit[]) => Obj | null;
const same = (a: Obj | null, b: Obj | null): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

/** Applies `units` to one resource; on an invalid result, skips (and reports) each patch that makes it invalid. */
function guarded(
  typeName: string,
  typeUrl: string,
  name: string,
  base: Obj,
  units: readonly Unit[],
  apply: Apply,
  ops: ProtoOps,
  skips: PatchSkip[],
): { out: Obj | null; touched: string[]; enabled: readonly Unit[] } {
  if (!units.length) return { out: base, touched: [], enabled: [] };
  let enabled: readonly Unit[] = units;
  let out = apply(units);
  if (out && out !== base) {
    const bad = ops.violations(typeName, out);
    if (bad.length) {
      const ok: Unit[] = [];
      for (const u of units) {
        const r = apply([...ok, u]);
        const v = r && r !== base ? ops.violations(typeName, r) : [];
        if (v.length) skips.push({ filter: u.filter, patchIndex: u.index, typeUrl, resource: name, reason: v.slice(0, 3).join('; ') });
        else ok.push(u);
      }
      enabled = ok;
      out = apply(ok);
    }
  }
  if (out === base) return { out, touched: [], enabled };
  // Provenance: the filters without whose patches the result would differ.
  const touched = new Set<string>();
  if (enabled.length <= 16) {
    for (const u of enabled)
      if (!touched.has(u.filter) && !same(apply(enabled.filter((x) => x.filter !== u.filter)), out)) touched.add(u.filter);
  } else for (const u of enabled) touched.add(u.filter);
  return { out, touched: [...touched].sort(), enabled };
}

function withProvenance(r: Obj, filters: readonly string[]): Obj {
  if (!filters.length) return r;
  const md = obj(r['metadata']) ?? {};
  const fm = obj(md['filter_metadata']) ?? {};
  const istio = structToJson(obj(fm['istio']) as Parameters<typeof structToJson>[0]);
  const fields: { [k: string]: Json } = { ...istio, envoyfilters: [...filters] };
  return { ...r, metadata: { ...md, filter_metadata: { ...fm, istio: jsonToStruct(fields) } } };
}

function lazy<T>(f: () => T): () => T {
  let v: { x: T } | undefined;
  return () => (v ??= { x: f() }).x;
}

interface Patched<T> {
  readonly names: readonly string[];
  readonly byName: ReadonlyMap<string, T>;
}

export function applyEnvoyFilters(
  mesh: MeshConfig,
  proxy: Proxy,
  labels: Readonly<Record<string, string>>,
  g: Generated,
  ops: ProtoOps,
): Generated & { envoyFilters?: EnvoyFilterReport } {
  const filters = envoyFiltersFor(mesh, proxy, labels);
  // Listener patches never reach a proxyless gRPC client (as in istiod): reported, not applied.
  const { applied: units, notApplied } = proxylessSplit(
    proxy,
    unitsOf(filters).filter((u) => proxyMatches(u.patch, proxy)),
  );
  if (!units.length && !notApplied.length) return g;
  const proxyless = proxy.generator === 'grpc';
  const gateway = proxy.type === 'router';
  const skips: { lds: PatchSkip[]; rds: PatchSkip[]; cds: PatchSkip[]; ecds: PatchSkip[] } = { lds: [], rds: [], cds: [], ecds: [] };
  // How each resource a patch applied to was patched, for `trace` (explain).
  const patching = new Map<string, Patching>();
  const record = (typeUrl: string, name: string, p: Patching): void => void patching.set(`${typeUrl}\u0000${name}`, p);
  const inCtx = (kinds: ReadonlySet<string>, ctx: ResourceContext): Unit[] =>
    units.filter((u) => kinds.has(u.patch.applyTo) && contextMatches(u.patch, ctx));

  const listeners = lazy((): Patched<Listener> => {
    const byName = new Map<string, Listener>();
    for (const name of g.listeners.names()) {
      const base = g.listeners.get(name) as unknown as Obj | undefined;
      if (!base) continue;
      // Inbound: virtualInbound and the listeners bound for Sidecar ingress ports (translators/inbound-bind.ts), as istiod.
      const inbound = name === 'virtualInbound' || base['traffic_direction'] === 'INBOUND';
      const ctx: ResourceContext = gateway ? 'GATEWAY' : inbound ? 'SIDECAR_INBOUND' : 'SIDECAR_OUTBOUND';
      const apply: Apply = (us) => patchListener(base, us, ops);
      const { out, touched, enabled } = guarded(VALUE_TYPE.LISTENER, LDS, name, base, inCtx(LISTENER_KINDS, ctx), apply, ops, skips.lds);
      record(LDS, name, { base, enabled, apply });
      if (out) byName.set(name, withProvenance(out, touched) as Listener);
    }
    const ctx: ResourceContext = gateway ? 'GATEWAY' : 'SIDECAR_OUTBOUND';
    for (const { unit, value } of addedListeners(
      inCtx(LISTENER_KINDS, ctx).concat(
        gateway ? [] : inCtx(LISTENER_KINDS, 'SIDECAR_INBOUND').filter((u) => u.patch.match.context !== 'ANY'),
      ),
    )) {
      if (addChecked(VALUE_TYPE.LISTENER, LDS, unit, value, byName, skips.lds, ops)) record(LDS, String(value['name']), added(unit));
    }
    return { names: [...byName.keys()].sort(), byName };
  });

  // RDS names only the original listeners referenced (a patch removed the listener or its HCM) are not served.
  const droppedRds = lazy((): Set<string> => {
    if (proxyless) return new Set();
    const before = new Set<string>(),
      after = new Set<string>();
    for (const n of g.listeners.names()) rdsNames(g.listeners.get(n), before);
    for (const l of listeners().byName.values()) rdsNames(l, after);
    return new Set([...before].filter((n) => !after.has(n)));
  });

  const routes = lazy((): Patched<RouteConfiguration> => {
    const byName = new Map<string, RouteConfiguration>();
    for (const name of g.routes.names()) {
      if (droppedRds().has(name)) continue;
      const base = g.routes.get(name) as unknown as Obj | undefined;
      if (!base) continue;
      const ctx: ResourceContext = gateway ? 'GATEWAY' : name.startsWith('inbound|') ? 'SIDECAR_INBOUND' : 'SIDECAR_OUTBOUND';
      const apply: Apply = (us) => patchRouteConfiguration(base, ctx, us, ops);
      const { out, enabled } = guarded(VALUE_TYPE.ROUTE_CONFIGURATION, RDS, name, base, inCtx(ROUTE_KINDS, ctx), apply, ops, skips.rds);
      record(RDS, name, { base, enabled, apply });
      if (out) byName.set(name, out as RouteConfiguration);
    }
    return { names: [...byName.keys()].sort(), byName };
  });

  const clusters = lazy((): Patched<Cluster> & { keys: ReadonlyMap<string, ClusterKey> } => {
    const byName = new Map<string, Cluster>();
    const keys = new Map<string, ClusterKey>();
    const CL = new Set(['CLUSTER']);
    for (const name of g.clusters.names()) {
      const base = g.clusters.get(name) as unknown as Obj | undefined;
      if (!base) continue;
      const key = g.clusters.key(name);
      const ctx: ResourceContext = gateway ? 'GATEWAY' : key?.direction === 'inbound' ? 'SIDECAR_INBOUND' : 'SIDECAR_OUTBOUND';
      const apply: Apply = (us) => patchCluster(base, key, us, ops);
      const { out, touched, enabled } = guarded(VALUE_TYPE.CLUSTER, CDS, name, base, inCtx(CL, ctx), apply, ops, skips.cds);
      record(CDS, name, { base, enabled, apply });
      if (out) {
        byName.set(name, withProvenance(out, touched) as Cluster);
        if (key) keys.set(name, key);
      }
    }
    for (const { unit, value } of addedClusters(inCtx(CL, gateway ? 'GATEWAY' : 'SIDECAR_OUTBOUND')))
      if (addChecked(VALUE_TYPE.CLUSTER, CDS, unit, value, byName, skips.cds, ops)) record(CDS, String(value['name']), added(unit));
    return { names: [...byName.keys()].sort(), byName, keys };
  });

  // The EDS names the patched clusters still reference (a REMOVE or a REPLACE by a STATIC cluster drops one).
  const edsNames = lazy(
    (): Set<string> =>
      new Set(
        [...clusters().byName.values()]
          .filter((c) => c.type === 'EDS' || (c.type === undefined && c.cluster_discovery_type === undefined && !!c.eds_cluster_config))
          .map((c) => c.eds_cluster_config?.service_name || c.name || ''),
      ),
  );
  const out = <T>(p: () => Patched<T>, base: TypeOutput<T>): TypeOutput<T> => {
    const baseNames = lazy(() => new Set(base.names()));
    return {
      names: () => p().names,
      // A name the generator listed and a patch removed is gone; a name only a named subscription
      // asks for is served as generated (proxyless clusters/routes are asked for by their listed names).
      get: (name) => (p().byName.has(name) ? p().byName.get(name) : baseNames().has(name) ? undefined : base.get(name)),
    };
  };
  const clusterOut: ClusterOutput<Cluster> = {
    ...out(clusters, g.clusters),
    key: (name) => clusters().keys.get(name) ?? (clusters().byName.has(name) ? undefined : g.clusters.key(name)),
  };
  const endpoints: ClusterOutput<typeof g.endpoints extends ClusterOutput<infer E> ? E : never> = {
    // EDS of a cluster a patch removed is not served (the snapshot stays consistent).
    names: () => g.endpoints.names().filter((n) => !g.clusters.names().includes(n) || edsNames().has(n)),
    get: (name) => g.endpoints.get(name),
    key: (name) => g.endpoints.key(name),
  };
  // ECDS: the configs EXTENSION_CONFIG ADDs define (whatever the context: istiod matches them by proxy only).
  const extensions = lazy((): Patched<Obj> => {
    const byName = extensionConfigs(units, ops, skips.ecds, (name, u) => record(ECDS, name, added(u)));
    return { names: [...byName.keys()].sort(), byName };
  });
  const report: EnvoyFilterReport = {
    filters: filters.map((f) => `${f.meta.namespace}/${f.meta.name}`),
    skips: () => {
      listeners();
      routes();
      clusters();
      extensions();
      return [...skips.cds, ...skips.lds, ...notApplied, ...skips.rds, ...skips.ecds];
    },
    trace: (typeUrl, name) => {
      if (proxyless && typeUrl === LDS) {
        // Served as generated: the trace is the listener patches not applied to it.
        const base = g.listeners.get(name) as unknown as Obj | undefined;
        if (!base || !notApplied.length) return undefined;
        return { typeUrl, name, generated: base, steps: [], skipped: notApplied.map((s) => ({ ...s, resource: name })) };
      }
      const served: Record<string, () => Patched<unknown>> = { [LDS]: listeners, [RDS]: routes, [CDS]: clusters, [ECDS]: extensions };
      const of = served[typeUrl];
      if (!of) return undefined;
      const now = of().byName.get(name) as Obj | undefined;
      const p = patching.get(`${typeUrl}\u0000${name}`);
      return p ? traceOf(typeUrl, name, p, now ?? null, report.skips(), typeUrl === RDS ? (r) => r : withProvenance) : undefined;
    },
  };
  return {
    ...g,
    clusters: clusterOut,
    endpoints,
    // Proxyless listeners (every name a client may ask for) are served as generated.
    listeners: proxyless ? g.listeners : out(listeners, g.listeners),
    routes: out(routes, g.routes),
    extensionConfigs: { names: () => extensions().names, get: (name) => extensions().byName.get(name) },
    envoyFilters: report,
  };
}

/** Every `route_config_name` inside a listener (HCMs with RDS). */
function rdsNames(v: unknown, out: Set<string>): void {
  if (Array.isArray(v)) {
    for (const x of v) rdsNames(x, out);
    return;
  }
  const o = obj(v);
  if (!o) return;
  for (const [k, x] of Object.entries(o)) {
    if (k === 'route_config_name' && typeof x === 'string') out.add(x);
    else if (x && typeof x === 'object') rdsNames(x, out);
  }
}

function addChecked<T>(
  typeName: string,
  typeUrl: string,
  unit: Unit,
  value: Obj,
  byName: Map<string, T>,
  skips: PatchSkip[],
  ops: ProtoOps,
): boolean {
  const name = String(value['name'] ?? '');
  const bad = ops.violations(typeName, value);
  const reason = !name
    ? 'an added resource needs a name'
    : byName.has(name)
      ? `a resource named ${name} already exists; xDS cannot serve two`
      : bad.slice(0, 3).join('; ');
  if (reason) {
    skips.push({ filter: unit.filter, patchIndex: unit.index, typeUrl, resource: name || '<unnamed>', reason });
    return false;
  }
  byName.set(name, withProvenance(value, [unit.filter]) as T);
  return true;
}
