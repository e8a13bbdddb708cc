/**
 * @module translators/share
 * Sharing below the proxy class (issue 18 item 2). A sidecar's output is three parts that depend on
 * different inputs (translators/sidecar.ts):
 * - **outbound** (clusters, EDS, outbound route configs): the generator, proxy type, namespace, the
 *   Sidecar that applies, the version gate bucket, and of the workload's labels only
 *   `outboundShareKey`: which VirtualService `sourceLabels` selectors match them (HTTP, TCP and TLS
 *   routes), the proxy's locality (locality load balancing of EDS and DNS clusters) and the values
 *   of the labels any DestinationRule's `failoverPriority` names — plus every class-key part not
 *   marked as affecting inbound, listeners or the class alone (index.ts `CLASS_KEY_PARTS`), so a key
 *   part added there without thought is shared conservatively, never wrongly;
 * - **outbound listeners**: the outbound key plus the values the HCMs carry per workload (tracing
 *   tags: canonical service and revision, mesh ID) and the class-key parts marked `listeners`;
 * - **inbound** (inbound clusters, virtualInbound, inbound route configs), and apart from it the
 *   name table and SDS (built on demand): keyed by the whole class key — per workload shape, as before.
 * Equal keys within one MeshConfig mean identical output, so the server computes and encodes each
 * part once per key: N pods with distinct labels in K namespaces cost K outbound translations
 * plus N small inbound ones. Proxyless gRPC, gateways and proxies some EnvoyFilter selects (patches
 * apply to the whole output) get one part keyed by their class: gateways and gRPC clients are few
 * per class and their output has no large label-independent half worth the split.
 */
import type { MeshConfig } from '../model/config.js';
import type { Proxy } from '../model/proxy.js';
import type { VirtualService, DestinationRule, Sidecar } from '../model/istio.js';
import { selectorMatches } from '../model/labels.js';
import { proxyLocality } from '../model/locality.js';
import { buildScope } from './scope.js';
import { tracingLiterals } from './hcm.js';
import { sidecarInbound, sidecarOutbound, sidecarOutboundListeners } from './sidecar.js';
import { EMPTY_OUTPUT, type Generated } from './generated.js';

/** One independently cached piece of a proxy's output. */
export interface OutputPart {
  /** Which part this is (`class`: a whole unshared output): for counting and debug views. */
  readonly kind: 'outbound' | 'listeners' | 'inbound' | 'extras' | 'class';
  /** Within one MeshConfig, parts with equal keys have identical output (names, messages, cluster keys). */
  readonly key: string;
  /**
   * The part lists every name it answers and answers no other (no aliases): the cache may encode it
   * whole at once and keep only the bytes.
   */
  readonly closed: boolean;
  /** Translates the part (pure: same mesh and key, same output). */
  make(): Generated;
}

type Labels = Readonly<Record<string, string>>;

/** Every value held under `field` anywhere in `obj` (a plain config object). */
function collect(obj: unknown, field: string, out: unknown[]): void {
  if (Array.isArray(obj)) for (const x of obj) collect(x, field, out);
  else if (obj && typeof obj === 'object')
    for (const [k, v] of Object.entries(obj)) {
      if (k === field) out.push(v);
      else collect(v, field, out);
    }
}

/** Per config object (the store keeps an unchanged object across meshes): its values of a field, walked once. */
const walked = new WeakMap<object, Map<string, readonly unknown[]>>();

function collected(obj: { readonly spec: unknown }, field: string): readonly unknown[] {
  let m = walked.get(obj);
  if (!m) walked.set(obj, (m = new Map()));
  let v = m.get(field);
  if (!v) {
    const out: unknown[] = [];
    collect(obj.spec, field, out);
    m.set(field, (v = out));
  }
  return v;
}

interface MeshFacts {
  /** The distinct `sourceLabels` selectors of all VirtualServices (canonical JSON → selector). */
  readonly sourceSelectors: readonly Labels[];
  /** The label names any DestinationRule's `failoverPriority` compares (sorted). */
  readonly failoverLabels: readonly string[];
}

/** Per MeshConfig (weakly, so it goes with the mesh): what of the labels outbound output can read. */
const facts = new WeakMap<MeshConfig, MeshFacts>();

function canonical(l: Labels): string {
  return JSON.stringify(
    Object.keys(l)
      .sort()
      .map((k) => [k, l[k]]),
  );
}

function meshFacts(mesh: MeshConfig): MeshFacts {
  let f = facts.get(mesh);
  if (f) return f;
  f = { sourceSelectors: sourceSelectors(mesh.virtualServices), failoverLabels: failoverLabels(mesh.destinationRules) };
  facts.set(mesh, f);
  return f;
}

/**
 * Per list (a VirtualService edit keeps the mesh's DestinationRule list, an endpoint change both):
 * the facts of a list are worked out once, not once per mesh (issue 18: a change costs what it
 * touches).
 */
const selectorsOf = new WeakMap<readonly VirtualService[], readonly Labels[]>();
const failoverOf = new WeakMap<readonly DestinationRule[], readonly string[]>();

/**
 * The last list worked out and each of its VirtualServices' `sourceLabels` values: a VirtualService
 * edit makes a list of the same length with the edited element replaced, whose other elements are
 * then matched by identity instead of looked up one by one.
 */
let lastSelectors: { readonly vss: readonly VirtualService[]; readonly found: readonly (readonly unknown[])[] } | null = null;

function sourceSelectors(vss: readonly VirtualService[]): readonly Labels[] {
  let r = selectorsOf.get(vss);
  if (r) return r;
  const prev = lastSelectors?.vss.length === vss.length ? lastSelectors : null;
  // A generic walk rather than a list of fields: a route kind that gains sourceLabels is covered.
  const found = vss.map((vs, i) => (prev && prev.vss[i] === vs ? prev.found[i]! : collected(vs, 'sourceLabels')));
  lastSelectors = { vss, found };
  const sels = new Map<string, Labels>();
  for (const f of found) for (const s of f) if (s && typeof s === 'object') sels.set(canonical(s as Labels), s as Labels);
  r = [...sels.keys()].sort().map((k) => sels.get(k)!);
  selectorsOf.set(vss, r);
  return r;
}

function failoverLabels(drs: readonly DestinationRule[]): readonly string[] {
  let r = failoverOf.get(drs);
  if (r) return r;
  const names = new Set<string>();
  for (const dr of drs)
    for (const list of collected(dr, 'failoverPriority'))
      if (Array.isArray(list)) for (const l of list) if (typeof l === 'string') names.add(l.split('=')[0]!);
  r = [...names].sort();
  failoverOf.set(drs, r);
  return r;
}

/**
 * What of the workload's labels the outbound part depends on: the indexes of the mesh's
 * `sourceLabels` selectors they match (route.ts, tcp.ts), the locality they give
 * (locality.ts, for EDS and DNS clusters' load assignments), and — when a DestinationRule uses
 * `failoverPriority` — whether there are labels at all and the values of the compared ones.
 */
export function outboundShareKey(mesh: MeshConfig, labels: Labels): string {
  const f = meshFacts(mesh);
  const src = f.sourceSelectors.flatMap((s, i) => (selectorMatches(s, labels) ? [i] : [])).join('.');
  const loc = proxyLocality(labels);
  const fp = f.failoverLabels.length
    ? `|fp:${Object.keys(labels).length ? 1 : 0}:${JSON.stringify(f.failoverLabels.map((n) => labels[n] ?? null))}`
    : '';
  return `|src:${src}|loc:${loc.region}/${loc.zone}/${loc.subzone}${fp}`;
}

/** The parts of a shareable Envoy sidecar. `outKey` and `lisKey` come from index.ts (the class-key parts they must include). */
export function sidecarParts(
  mesh: MeshConfig,
  proxy: Proxy,
  labels: Labels,
  sidecar: Sidecar | undefined,
  keys: { readonly outbound: string; readonly listeners: string; readonly classKey: string },
  extras: () => Pick<Generated, 'secrets' | 'nameTable'>,
  /** Applied to each translated part: the network telemetry (translators/telemetry/network.ts), per listener and cluster, so parts compose to what `generate` serves. */
  decorate: (g: Generated) => Generated = (g) => g,
): OutputPart[] {
  const sc = sidecar ? `${sidecar.meta.namespace}/${sidecar.meta.name}` : '-';
  const out = `${proxy.generator}/${proxy.type}/${proxy.namespace}|sc:${sc}${outboundShareKey(mesh, labels)}${keys.outbound}`;
  const t = tracingLiterals(mesh, proxy, labels);
  const lis = `${out}|trace:${JSON.stringify([t.service, t.revision, t.meshId])}${keys.listeners}`;
  return [
    { kind: 'outbound', key: `outbound:${out}`, closed: true, make: () => decorate(sidecarOutbound(buildScope(mesh, proxy))) },
    { kind: 'listeners', key: `listeners:${lis}`, closed: true, make: () => decorate(sidecarOutboundListeners(buildScope(mesh, proxy))) },
    { kind: 'inbound', key: `inbound:${keys.classKey}`, closed: true, make: () => decorate(sidecarInbound(buildScope(mesh, proxy))) },
    // The name table is built on demand (few proxies ask for it) and SDS answers names it does not list: not closed.
    { kind: 'extras', key: `extras:${keys.classKey}`, closed: false, make: () => ({ ...EMPTY_OUTPUT, ...extras() }) },
  ];
}
