/**
 * @module watchers/validate/envoyfilter
 * Validates an EnvoyFilter (networking.istio.io/v1alpha3) as istiod's ValidateEnvoyFilter does,
 * and decodes each patch's `value` as proto3 JSON into the Envoy message its `applyTo` names
 * (proto/patch.ts), so a typo'd field or an `@type` tspilot cannot resolve rejects the object here,
 * naming the patch and the JSON path, instead of failing at push time. BOOTSTRAP patches are kept
 * aside, unapplied: the bootstrap is written by pilot-agent at start-up, never served over xDS
 * (the mesh lists each as a configz notice; the filter's other patches apply).
 */
import {
  APPLY_TO,
  CONTEXTS,
  FILTER_CLASSES,
  OPERATIONS,
  VALUE_TYPE,
  type ApplyTo,
  type ConfigPatch,
  type EnvoyFilter,
  type FilterClass,
  type ObjectMatch,
  type PatchContext,
  type PatchOperation,
  type TargetRef,
} from '../../model/envoyfilter.js';
import { objectFromProto3Json } from '../../proto/patch.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';

const LISTENER_KINDS: readonly ApplyTo[] = ['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER', 'LISTENER_FILTER'];
const ROUTE_KINDS: readonly ApplyTo[] = ['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE'];

function oneOf<T extends string>(r: Reader, v: unknown, path: string, values: readonly T[], dflt?: T): T | undefined {
  const s = r.string(v, path, dflt === undefined);
  if (s === undefined) return dflt;
  if (!(values as readonly string[]).includes(s)) {
    r.fail(path, `"${s}" is not one of ${values.join(', ')}`);
    return undefined;
  }
  return s as T;
}

function readMatch(r: Reader, raw: unknown, path: string, applyTo: ApplyTo | undefined): ObjectMatch {
  const m = r.object(raw, path);
  if (!m) return { context: 'ANY' };
  r.known(m, path, ['context', 'proxy', 'listener', 'routeConfiguration', 'cluster']);
  const context = oneOf<PatchContext>(r, m['context'], `${path}.context`, CONTEXTS, 'ANY') ?? 'ANY';
  const out: { -readonly [K in keyof ObjectMatch]: ObjectMatch[K] } = { context };
  const px = r.object(m['proxy'], `${path}.proxy`);
  if (px) {
    r.known(px, `${path}.proxy`, ['proxyVersion', 'metadata']);
    const proxyVersion = r.string(px['proxyVersion'], `${path}.proxy.proxyVersion`);
    if (proxyVersion) {
      try {
        new RegExp(proxyVersion);
      } catch (e) {
        r.fail(`${path}.proxy.proxyVersion`, `not a valid regular expression: ${(e as Error).message}`);
      }
    }
    const metadata = r.stringMap(px['metadata'], `${path}.proxy.metadata`);
    out.proxy = { ...(proxyVersion ? { proxyVersion } : {}), ...(metadata ? { metadata } : {}) };
  }
  const set = ['listener', 'routeConfiguration', 'cluster'].filter((k) => m[k] !== undefined && m[k] !== null);
  if (set.length > 1) r.fail(path, `only one of listener, routeConfiguration, cluster may be set (got ${set.join(', ')})`);
  const want =
    applyTo === undefined
      ? undefined
      : LISTENER_KINDS.includes(applyTo)
        ? 'listener'
        : ROUTE_KINDS.includes(applyTo)
          ? 'routeConfiguration'
          : applyTo === 'CLUSTER'
            ? 'cluster'
            : undefined;
  for (const k of set)
    if (want !== k)
      r.fail(
        `${path}.${k}`,
        `applyTo ${applyTo} cannot be matched by ${k} (${want ? `use ${want}` : 'no object match applies'}), as istiod`,
      );
  const l = r.object(m['listener'], `${path}.listener`);
  if (l) {
    const lp = `${path}.listener`;
    r.known(l, lp, ['portNumber', 'portName', 'name', 'filterChain', 'listenerFilter']);
    const portNumber = r.int(l['portNumber'], `${lp}.portNumber`, { min: 0, max: 65535 });
    const name = r.string(l['name'], `${lp}.name`);
    const listenerFilter = r.string(l['listenerFilter'], `${lp}.listenerFilter`);
    const fc = r.object(l['filterChain'], `${lp}.filterChain`);
    let filterChain: NonNullable<ObjectMatch['listener']>['filterChain'];
    if (fc) {
      const fp = `${lp}.filterChain`;
      r.known(fc, fp, ['name', 'sni', 'transportProtocol', 'applicationProtocols', 'filter', 'destinationPort']);
      const f = r.object(fc['filter'], `${fp}.filter`);
      let filter: { name?: string; subFilter?: { name?: string } } | undefined;
      if (f) {
        r.known(f, `${fp}.filter`, ['name', 'subFilter']);
        const sf = r.object(f['subFilter'], `${fp}.filter.subFilter`);
        if (sf) r.known(sf, `${fp}.filter.subFilter`, ['name']);
        const fname = r.string(f['name'], `${fp}.filter.name`);
        const sname = sf ? r.string(sf['name'], `${fp}.filter.subFilter.name`) : undefined;
        filter = { ...(fname ? { name: fname } : {}), ...(sname ? { subFilter: { name: sname } } : {}) };
      }
      const strs = Object.fromEntries(
        (['name', 'sni', 'transportProtocol', 'applicationProtocols'] as const)
          .map((k) => [k, r.string(fc[k], `${fp}.${k}`)])
          .filter(([, v]) => v),
      );
      const destinationPort = r.int(fc['destinationPort'], `${fp}.destinationPort`, { min: 0, max: 65535 });
      filterChain = { ...strs, ...(filter ? { filter } : {}), ...(destinationPort ? { destinationPort } : {}) };
    }
    out.listener = {
      ...(portNumber ? { portNumber } : {}),
      ...(name ? { name } : {}),
      ...(listenerFilter ? { listenerFilter } : {}),
      ...(filterChain ? { filterChain } : {}),
    };
  }
  const rc = r.object(m['routeConfiguration'], `${path}.routeConfiguration`);
  if (rc) {
    const rp = `${path}.routeConfiguration`;
    r.known(rc, rp, ['portNumber', 'portName', 'gateway', 'vhost', 'name']);
    const portNumber = r.int(rc['portNumber'], `${rp}.portNumber`, { min: 0, max: 65535 });
    const strs = Object.fromEntries(
      (['portName', 'gateway', 'name'] as const).map((k) => [k, r.string(rc[k], `${rp}.${k}`)]).filter(([, v]) => v),
    );
    const vh = r.object(rc['vhost'], `${rp}.vhost`);
    let vhost: NonNullable<ObjectMatch['routeConfiguration']>['vhost'];
    if (vh) {
      r.known(vh, `${rp}.vhost`, ['name', 'route']);
      const vname = r.string(vh['name'], `${rp}.vhost.name`);
      const rt = r.object(vh['route'], `${rp}.vhost.route`);
      let route: { name?: string; action?: 'ANY' | 'ROUTE' | 'REDIRECT' | 'DIRECT_RESPONSE' } | undefined;
      if (rt) {
        r.known(rt, `${rp}.vhost.route`, ['name', 'action']);
        const rname = r.string(rt['name'], `${rp}.vhost.route.name`);
        const action = oneOf(r, rt['action'], `${rp}.vhost.route.action`, ['ANY', 'ROUTE', 'REDIRECT', 'DIRECT_RESPONSE'] as const, 'ANY');
        route = { ...(rname ? { name: rname } : {}), ...(action && action !== 'ANY' ? { action } : {}) };
      }
      vhost = { ...(vname ? { name: vname } : {}), ...(route ? { route } : {}) };
    }
    out.routeConfiguration = { ...(portNumber ? { portNumber } : {}), ...strs, ...(vhost ? { vhost } : {}) };
  }
  const c = r.object(m['cluster'], `${path}.cluster`);
  if (c) {
    const cp = `${path}.cluster`;
    r.known(c, cp, ['portNumber', 'service', 'subset', 'name']);
    const portNumber = r.int(c['portNumber'], `${cp}.portNumber`, { min: 0, max: 65535 });
    const strs = Object.fromEntries(
      (['service', 'subset', 'name'] as const).map((k) => [k, r.string(c[k], `${cp}.${k}`)]).filter(([, v]) => v),
    );
    out.cluster = { ...(portNumber ? { portNumber } : {}), ...strs };
  }
  return out;
}

function readPatch(r: Reader, raw: unknown, path: string): ConfigPatch | undefined {
  const o = r.object(raw, path, true);
  if (!o) return undefined;
  r.known(o, path, ['applyTo', 'match', 'patch']);
  const applyTo = oneOf<ApplyTo>(r, o['applyTo'], `${path}.applyTo`, APPLY_TO);
  if (applyTo === 'BOOTSTRAP') {
    // Kept, undecoded and never applied, so the filter's other patches still apply (and keep
    // their indices); watchers/mesh.ts names it in configz notices as not applicable.
    const p = r.object(o['patch'], `${path}.patch`, true);
    const operation = p ? oneOf<PatchOperation>(r, p['operation'], `${path}.patch.operation`, OPERATIONS) : undefined;
    return operation ? { applyTo, match: { context: 'ANY' }, operation, filterClass: 'UNSPECIFIED' } : undefined;
  }
  const match = readMatch(r, o['match'], `${path}.match`, applyTo);
  const p = r.object(o['patch'], `${path}.patch`, true);
  if (!p || !applyTo) return undefined;
  r.known(p, `${path}.patch`, ['operation', 'value', 'filterClass']);
  const operation = oneOf<PatchOperation>(r, p['operation'], `${path}.patch.operation`, OPERATIONS);
  const filterClass = oneOf<FilterClass>(r, p['filterClass'], `${path}.patch.filterClass`, FILTER_CLASSES, 'UNSPECIFIED') ?? 'UNSPECIFIED';
  if (!operation) return undefined;
  if (filterClass !== 'UNSPECIFIED' && applyTo !== 'HTTP_FILTER')
    r.fail(`${path}.patch.filterClass`, 'filterClass applies only to HTTP_FILTER');
  let value: Record<string, unknown> | undefined;
  if (p['value'] !== undefined && p['value'] !== null) {
    try {
      value = objectFromProto3Json(VALUE_TYPE[applyTo], p['value']);
    } catch (e) {
      r.fail(`${path}.patch.value`, `not a valid ${VALUE_TYPE[applyTo]}: ${(e as Error).message}`);
      return undefined;
    }
  } else if (operation !== 'REMOVE') {
    r.fail(`${path}.patch.value`, `is required for ${operation}`);
    return undefined;
  }
  return { applyTo, match, operation, filterClass, ...(value ? { value } : {}) };
}

export function readEnvoyFilter(r: Reader, raw: Raw, ns: string): EnvoyFilter {
  const meta = readMeta(r, raw, ns);
  const m = r.isObject(raw['metadata']) ? raw['metadata'] : {};
  const creationTimestamp = typeof m['creationTimestamp'] === 'string' ? m['creationTimestamp'] : '';
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  r.known(spec, 'spec', ['workloadSelector', 'targetRefs', 'configPatches', 'priority']);
  const sel = r.object(spec['workloadSelector'], 'spec.workloadSelector');
  let labels: Record<string, string> | undefined;
  if (sel) {
    r.known(sel, 'spec.workloadSelector', ['labels']);
    labels = r.stringMap(sel['labels'], 'spec.workloadSelector.labels') ?? {};
  }
  const targetRefs: TargetRef[] = [];
  (r.array(spec['targetRefs'], 'spec.targetRefs') ?? []).forEach((t, i) => {
    const tp = `spec.targetRefs[${i}]`;
    const o = r.object(t, tp, true);
    if (!o) return;
    r.known(o, tp, ['group', 'kind', 'name', 'namespace']);
    const kind = r.string(o['kind'], `${tp}.kind`, true) ?? '';
    const name = r.string(o['name'], `${tp}.name`, true) ?? '';
    const group = r.string(o['group'], `${tp}.group`) ?? '';
    if (kind && kind !== 'Service' && kind !== 'Gateway' && kind !== 'ServiceEntry')
      r.fail(`${tp}.kind`, `"${kind}" is not a kind EnvoyFilter can target (Service, Gateway, ServiceEntry)`);
    if (o['namespace'] !== undefined && o['namespace'] !== meta.namespace)
      r.fail(`${tp}.namespace`, "must be the EnvoyFilter's own namespace");
    targetRefs.push({ kind, name, ...(group ? { group } : {}) });
  });
  if (sel && targetRefs.length) r.fail('spec', 'only one of targetRefs or workloadSelector can be set, as istiod');
  const priority = r.int(spec['priority'], 'spec.priority', { min: -2147483648, max: 2147483647 }) ?? 0;
  const configPatches: ConfigPatch[] = [];
  (r.array(spec['configPatches'], 'spec.configPatches') ?? []).forEach((c, i) => {
    const cp = readPatch(r, c, `spec.configPatches[${i}]`);
    if (cp) configPatches.push(cp);
  });
  return {
    kind: 'EnvoyFilter',
    meta,
    creationTimestamp,
    spec: { ...(labels ? { workloadSelector: { labels } } : {}), ...(targetRefs.length ? { targetRefs } : {}), priority, configPatches },
  };
}
