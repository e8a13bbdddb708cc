/**
 * @module watchers/kube/source
 * The Kubernetes source: one supervised informer per entry of WATCHED_RESOURCES, turned into the
 * same ConfigEvent stream the folder source emits — an `upsert` (or `reject`, through the same
 * validateObject as the file source and the webhook) per added/changed object, a `delete` per
 * removed one, origin `kube:<resource>` — and one `synced` only after EVERY informer has listed
 * (or is known absent/forbidden), so the pipeline never builds a mesh from half the cluster.
 * Namespaces and the istio ConfigMap are not config objects: they drive scoping. With
 * discoverySelectors in the mesh config, objects of namespaces outside them are withheld, and a
 * namespace entering or leaving scope (relabelled, selectors edited) turns into upserts/deletes.
 * EndpointSlices fall back to core Endpoints when the server has no discovery.k8s.io API.
 * ConfigMaps are read only where a BackendTLSPolicy's caCertificateRefs names one: a list+watch
 * per referenced `<namespace>/<name>` (field selector on the name), started when the first policy
 * references it and stopped (its ConfigMap deleted from the store) when the last one stops, so no
 * other ConfigMap's data reaches tspilot. A ConfigMap that is missing or unreadable (403) stays
 * absent from the store: the policy reports InvalidCACertificateRef and its TLS fails closed.
 */
import { createHash } from 'node:crypto';
import { Observable } from 'rxjs';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { ConfigEvent, ConfigKey } from '../../model/config.js';
import type { BackendTLSPolicy } from '../../model/gatewayapi.js';
import { validateObject } from '../validate/index.js';
import { scrubSecret } from '../validate/secret.js';
import { KubeClient, type RawObject } from './client.js';
import { DEFAULT_BACKOFF, WatchLoop, type Backoff, type KubeLog } from './informer.js';
import { REFERENCED_CONFIGMAPS, resourceName, WATCHED_RESOURCES, type WatchedResource } from './resources.js';
import { discoverySelectorsOf, namespaceSelected, type LabelSelector } from './scope.js';

export interface KubeSourceOptions {
  readonly kubeConfig: KubeConfig;
  /** Namespace of the istio ConfigMap (istiod's own namespace). */
  readonly istioNamespace: string;
  /** Name of the mesh config ConfigMap (istiod: `istio`). */
  readonly meshConfigMap?: string;
  readonly log: KubeLog;
  readonly backoff?: Backoff;
  readonly discoveryPollMs?: number;
  /**
   * The `mesh` key of the istio ConfigMap whenever it changes (null when the ConfigMap is absent).
   * INTEGRATION POINT: discoverySelectors are applied here; the other mesh-wide settings are for
   * the caller to feed to the mesh builder (watchers/validate/meshconfig.ts reads them).
   */
  readonly onMeshConfig?: (meshText: string | null) => void;
  /** Counts relists (410 Gone, failed lists) and watch reconnects, per resource (`services`, `endpointslices.discovery.k8s.io`). */
  readonly onWatchStat?: (what: 'relist' | 'reconnect', resource: string) => void;
}

const labelsOf = (raw: RawObject): Record<string, string> => raw.metadata?.labels ?? {};

/** The `<namespace>/<name>` of each ConfigMap a policy's caCertificateRefs names (same namespace, per the spec). */
function caRefsOf(p: BackendTLSPolicy): string[] {
  return [
    ...new Set(p.caCertificateRefs.filter((c) => c.group === '' && c.kind === 'ConfigMap').map((c) => `${p.meta.namespace}/${c.name}`)),
  ];
}

/** Keeps only the `ca.crt` value of a referenced ConfigMap (other keys' names stay, for status messages). */
function scrubConfigMap(raw: KubernetesObject): void {
  const o = raw as { data?: Record<string, unknown>; binaryData?: Record<string, unknown> };
  for (const k of Object.keys(o.data ?? {})) if (k !== 'ca.crt' && o.data) o.data[k] = '';
  for (const k of Object.keys(o.binaryData ?? {})) if (o.binaryData) o.binaryData[k] = '';
}

export function kubeSource(opts: KubeSourceOptions): Observable<ConfigEvent> {
  return new Observable<ConfigEvent>((sub) => {
    const client = new KubeClient(opts.kubeConfig);
    const cmName = opts.meshConfigMap ?? 'istio';
    let selectors: LabelSelector[] = [];
    let selectorsText = '[]';
    const nsLabels = new Map<string, Record<string, string>>();
    /** `<resource>|<namespace>|<name>` → the key the store holds for it (upserted or rejected). */
    const emitted = new Map<string, ConfigKey>();
    /** Hash of the last upserted object without its resourceVersion, to drop no-op updates. */
    const lastHash = new Map<string, string>();
    const pending = new Set<string>();
    const loops: WatchLoop[] = [];
    let synced = false;
    const ignoredKinds = new Set<string>();
    /** BackendTLSPolicy id → the `<namespace>/<name>` of the ConfigMaps its caCertificateRefs name. */
    const policyRefs = new Map<string, readonly string[]>();
    /** Referenced `<namespace>/<name>` → the loop watching that one ConfigMap. */
    const refLoops = new Map<string, WatchLoop>();

    const idOf = (r: WatchedResource, ns: string, name: string): string => `${resourceName(r)}|${ns}|${name}`;
    const inScope = (ns: string): boolean => namespaceSelected(selectors, nsLabels.get(ns));

    const emitDelete = (r: WatchedResource, ns: string, name: string): void => {
      const id = idOf(r, ns, name);
      if (r.kind === 'BackendTLSPolicy') setRefs(id, []);
      const key = emitted.get(id);
      if (key === undefined) return;
      emitted.delete(id);
      lastHash.delete(id);
      sub.next({ type: 'delete', key, origin: { source: `kube:${resourceName(r)}` } });
    };

    const emitUpsert = (r: WatchedResource, raw: RawObject): void => {
      const ns = raw.metadata?.namespace ?? '';
      const name = raw.metadata?.name ?? '';
      const source = `kube:${resourceName(r)}`;
      const v = validateObject(raw, ns || 'default', source);
      const id = idOf(r, ns, name);
      if (v.status === 'ignored') {
        // Secrets without TLS keys are ordinary (every cluster has them): not worth a warning, and not "all skipped".
        if (r.kind === 'Secret') opts.log.debug({ kind: r.kind, namespace: ns, name, reason: v.reason }, v.reason);
        else if (!ignoredKinds.has(r.kind)) {
          ignoredKinds.add(r.kind);
          opts.log.warn({ kind: r.kind, reason: v.reason }, `${v.reason}; ${resourceName(r)} objects are skipped`);
        }
        emitDelete(r, ns, name);
        return;
      }
      const key = v.status === 'ok' ? v.key : v.rejection.key;
      const prev = emitted.get(id);
      if (prev !== undefined && prev !== key) emitDelete(r, ns, name);
      if (r.kind === 'BackendTLSPolicy') setRefs(id, v.status === 'ok' && v.object.kind === 'BackendTLSPolicy' ? caRefsOf(v.object) : []);
      if (v.status === 'rejected') {
        emitted.set(id, key);
        lastHash.delete(id);
        sub.next({ type: 'reject', rejection: v.rejection });
        return;
      }
      // Most updates in a cluster change nothing tspilot reads (Pod conditions, managedFields): the
      // validated object differs only in resourceVersion. Those are not pushed anywhere.
      const hash = createHash('sha1')
        .update(JSON.stringify({ ...v.object, meta: { ...v.object.meta, resourceVersion: '' } }))
        .digest('base64');
      if (prev === key && lastHash.get(id) === hash) return;
      emitted.set(id, key);
      lastHash.set(id, hash);
      sub.next({ type: 'upsert', key: v.key, object: v.object, origin: { source } });
    };

    /** Starts or stops the ConfigMap loops so that exactly the referenced ConfigMaps are watched. */
    function setRefs(policyId: string, refs: readonly string[]): void {
      const before = policyRefs.get(policyId) ?? [];
      if (refs.length) policyRefs.set(policyId, refs);
      else policyRefs.delete(policyId);
      const wanted = (ref: string): boolean => [...policyRefs.values()].some((rs) => rs.includes(ref));
      for (const ref of refs) if (!refLoops.has(ref)) startLoop(REFERENCED_CONFIGMAPS, ref);
      for (const ref of before) {
        const loop = refLoops.get(ref);
        if (!loop || wanted(ref)) continue;
        refLoops.delete(ref);
        loops.splice(loops.indexOf(loop), 1);
        void loop.stop();
        const [ns = '', name = ''] = ref.split('/');
        emitDelete(REFERENCED_CONFIGMAPS, ns, name);
        settled(`${resourceName(REFERENCED_CONFIGMAPS)}/${ref}`);
      }
    }

    /** Config resources (not Namespaces or the mesh ConfigMap) with their watch loops. */
    const configLoops = (): { r: WatchedResource; loop: WatchLoop }[] =>
      loops
        .filter((l) => l.resource.kind !== 'Namespace' && l.resource.only !== 'meshConfigMap')
        .map((loop) => ({ r: loop.resource, loop }));

    /** Re-applies scope to every object of one namespace (read from the informers' caches). */
    const rescope = (ns: string): void => {
      const on = inScope(ns);
      for (const { r, loop } of configLoops()) {
        if (!r.namespaced) continue;
        const objs = loop.cached(ns).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
        for (const raw of objs) {
          const name = raw.metadata?.name ?? '';
          if (on) {
            if (!emitted.has(idOf(r, ns, name))) emitUpsert(r, raw);
          } else emitDelete(r, ns, name);
        }
      }
    };

    let meshText: string | null | undefined;
    const setMeshConfig = (text: string | null): void => {
      if (text === meshText) return;
      meshText = text;
      opts.onMeshConfig?.(text);
      // The mesh settings are read when the snapshot is built: an (empty) replace for the ConfigMap's
      // origin makes the store rebuild, so an edited mesh config applies now, not with the next change.
      sub.next({ type: 'replace', origin: { source: `kube:configmaps/${opts.istioNamespace}/${cmName}` }, objects: [], rejections: [] });
      const { selectors: next, problems } = text === null ? { selectors: [], problems: [] } : discoverySelectorsOf(text);
      if (problems.length) {
        opts.log.error(
          { configMap: `${opts.istioNamespace}/${cmName}`, problems },
          `ConfigMap ${opts.istioNamespace}/${cmName}: mesh: ${problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}; discoverySelectors ignored (every namespace in scope)`,
        );
      }
      const nextText = JSON.stringify(next);
      if (nextText === selectorsText) return;
      selectors = next;
      selectorsText = nextText;
      opts.log.info(
        { discoverySelectors: next },
        next.length
          ? `discoverySelectors: ${next.length} selector(s); only matching namespaces are read`
          : 'no discoverySelectors: every namespace is read',
      );
      const namespaces = new Set<string>();
      for (const { loop } of configLoops()) for (const o of loop.cached()) namespaces.add(o.metadata?.namespace ?? '');
      for (const ns of [...namespaces].sort()) rescope(ns);
    };

    const upsert = (r: WatchedResource, raw: RawObject): void => {
      const ns = raw.metadata?.namespace ?? '';
      const name = raw.metadata?.name ?? '';
      if (r.only === 'meshConfigMap') {
        if (name === cmName && ns === opts.istioNamespace) {
          const data = raw['data'] as Record<string, unknown> | undefined;
          setMeshConfig(typeof data?.['mesh'] === 'string' ? data['mesh'] : '');
        }
        return;
      }
      if (r.kind === 'Namespace') {
        const before = inScope(name);
        nsLabels.set(name, labelsOf(raw));
        if (inScope(name) !== before) rescope(name);
        return;
      }
      // Cluster-scoped kinds (GatewayClass) belong to no namespace: discoverySelectors do not apply.
      if (!r.namespaced || inScope(ns)) emitUpsert(r, raw);
      else emitDelete(r, ns, name);
    };

    const remove = (r: WatchedResource, raw: RawObject): void => {
      const ns = raw.metadata?.namespace ?? '';
      const name = raw.metadata?.name ?? '';
      if (r.only === 'meshConfigMap') {
        if (name === cmName && ns === opts.istioNamespace) setMeshConfig(null);
        return;
      }
      if (r.kind === 'Namespace') {
        const before = inScope(name);
        nsLabels.delete(name);
        if (inScope(name) !== before) rescope(name);
        return;
      }
      emitDelete(r, ns, name);
    };

    function settled(key: string): void {
      if (!pending.delete(key)) return;
      if (synced || pending.size) return;
      synced = true;
      opts.log.info({ resources: loops.map((l) => l.name) }, 'every Kubernetes informer has synced');
      sub.next({ type: 'synced' });
    }

    /** `ref` (`<namespace>/<name>`): the one ConfigMap a REFERENCED_CONFIGMAPS loop watches. */
    function startLoop(r: WatchedResource, ref?: string): void {
      const key = ref === undefined ? resourceName(r) : `${resourceName(r)}/${ref}`;
      if (!synced) pending.add(key);
      const cm = r.only === 'meshConfigMap';
      const [refNs = '', refName = ''] = ref?.split('/') ?? [];
      const loop = new WatchLoop({
        client,
        resource: r,
        log: opts.log,
        backoff: opts.backoff ?? DEFAULT_BACKOFF,
        discoveryPollMs: opts.discoveryPollMs,
        ...(r.fieldSelector ? { fieldSelector: r.fieldSelector } : {}),
        ...(cm ? { namespace: opts.istioNamespace, fieldSelector: `metadata.name=${cmName}` } : {}),
        ...(ref !== undefined ? { namespace: refNs, fieldSelector: `metadata.name=${refName}`, scrub: scrubConfigMap } : {}),
        ...(r.kind === 'Secret' ? { scrub: scrubSecret } : {}),
        upsert: (raw) => upsert(r, raw),
        remove: (raw) => remove(r, raw),
        settled: () => settled(key),
        // The API server answers again: the other loops waiting out a backoff retry now, not seconds later.
        recovered: () => {
          for (const l of loops) l.retryNow();
        },
        counted: (what) => opts.onWatchStat?.(what, resourceName(r)),
        absent: () => {
          const fallback = WATCHED_RESOURCES.find((x) => x.fallbackFor === r.resource);
          if (fallback && !pending.has(resourceName(fallback)) && !loops.some((l) => l.name === resourceName(fallback))) {
            opts.log.info({ resource: r.resource }, `no ${resourceName(r)} API: reading ${resourceName(fallback)} instead`);
            startLoop(fallback);
          }
        },
      });
      loops.push(loop);
      if (ref !== undefined) refLoops.set(ref, loop);
      loop.start();
    }

    opts.log.info({ server: client.server }, `watching the Kubernetes API at ${client.server}`);
    for (const r of WATCHED_RESOURCES) if (!r.fallbackFor) pending.add(resourceName(r));
    for (const r of WATCHED_RESOURCES) if (!r.fallbackFor) startLoop(r);
    return () => {
      for (const l of loops) void l.stop();
    };
  });
}
