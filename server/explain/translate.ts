/**
 * @module server/explain/translate
 * What a proxy would receive, offline (`tspilot translate`; explain and diff render resources
 * with it too). The mesh is built by the serving pipeline (offline.ts) and each resource comes
 * from the same `SnapshotCache` the server pushes from, so the bytes are the ones a connected
 * proxy of that node gets; they are printed as proto3 JSON (the mapping protojson and istioctl
 * use), with each type's version as the server would compute it for a wildcard subscriber.
 */
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { toProto3Json, type JsonValue } from '../../proto/json.js';
import { CDS, EDS, LDS, RDS, SHORT, type XdsType } from '../../proto/typeurls.js';
import type { EncodedResource } from '../../proto/encode.js';
import { proxyClass } from '../../translators/index.js';
import { SnapshotCache, type ClassSnapshot } from '../cache/snapshot.js';
import { versionOf } from '../xds/sotw.js';

export type ShortType = 'cds' | 'eds' | 'lds' | 'rds';
export const TYPE_OF_SHORT: Readonly<Record<ShortType, XdsType>> = { cds: CDS, eds: EDS, lds: LDS, rds: RDS };

export interface TranslateOptions {
  readonly types?: readonly ShortType[];
  /** Only these resource names (any type); default: everything a wildcard subscriber gets. */
  readonly names?: readonly string[];
}

export interface Translated {
  readonly node: string;
  readonly proxyClass: string;
  readonly generation: number;
  /** Per type: version (as the server computes it) and resources as proto3 JSON with `@type`. */
  readonly types: Record<string, { version: string; resources: JsonValue[] }>;
  /** Requested names that exist in no requested type. */
  readonly missing: string[];
}

/** Encoded resources of one type for a proxy: wildcard names, or just `names` (found by lookup, like a named subscription). */
export function encodedFor(snap: ClassSnapshot, t: XdsType, names?: readonly string[]): EncodedResource[] {
  const want = names ?? snap.names(t);
  const out: EncodedResource[] = [];
  for (const n of [...new Set(want)].sort()) {
    const r = snap.get(t, n);
    if (r) out.push(r);
  }
  return out;
}

export function resourceJson(r: EncodedResource): JsonValue {
  const body = toProto3Json(r.typeUrl.slice(r.typeUrl.lastIndexOf('/') + 1), r.bytes) as { [k: string]: JsonValue };
  return { '@type': r.typeUrl, ...body };
}

export function translate(mesh: MeshConfig, proxy: Proxy, opts: TranslateOptions = {}): Translated {
  const snap = new SnapshotCache(mesh, ({ typeUrl, name, error }) => {
    throw new Error(`cannot encode ${SHORT[typeUrl as XdsType] ?? typeUrl} ${name}: ${error.message}`);
  }).forProxy(proxy);
  const types: Translated['types'] = {};
  const found = new Set<string>();
  for (const short of opts.types ?? (['cds', 'eds', 'lds', 'rds'] as const)) {
    const t = TYPE_OF_SHORT[short];
    const rs = encodedFor(snap, t, opts.names);
    for (const r of rs) found.add(r.name);
    if (opts.names && !rs.length) continue;
    types[short] = { version: versionOf(rs), resources: rs.map(resourceJson) };
  }
  return {
    node: proxy.id,
    proxyClass: proxyClass(proxy),
    generation: mesh.generation,
    types,
    missing: (opts.names ?? []).filter((n) => !found.has(n)),
  };
}
