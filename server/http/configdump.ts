/**
 * @module server/http/configdump
 * `envoy.admin.v3.ConfigDump` of what a stream was last sent, as Envoy's admin API presents it
 * (dynamic_active_clusters, dynamic_listeners.active_state, dynamic_route_configs,
 * dynamic_endpoint_configs, each with version_info and last_updated), rendered as proto3 JSON
 * so protojson — and so istioctl — can parse it. Built from the shared encoded bytes: the
 * resources are not re-translated. Works for SotW and Delta streams.
 */
import { encodeMessage, type EncodedResource } from '../../proto/encode.js';
import { toProto3Json, type JsonValue } from '../../proto/json.js';
import { CDS, EDS, LDS, RDS, ENVOY_SHORT as SHORT, type XdsType } from '../../proto/typeurls.js';
import type { StreamState, TypeState } from '../xds/state.js';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

function ts(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

function any(r: EncodedResource): { type_url: string; value: Uint8Array } {
  return { type_url: r.typeUrl, value: r.bytes };
}

const byName = (a: EncodedResource, b: EncodedResource): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Finds the encoded resource `name` of a type at `version` (the class snapshot the stream is served from). */
export type ResourceLookup = (typeUrl: XdsType, name: string, version: string) => EncodedResource | undefined;

/**
 * What the client holds of a type. SotW: the last response (it carries the whole state). Delta:
 * every name the client was sent and not told to remove (`known`), each found at the version it
 * was sent — a resource whose newer version is still waiting in the stream's queue is left out.
 */
function entries(typeUrl: XdsType, t: TypeState | undefined, lookup?: ResourceLookup): EncodedResource[] {
  if (!t) return [];
  if (t.own.kind !== 'delta') return t.sent ? [...t.sent.values()].sort(byName) : [];
  const out: EncodedResource[] = [];
  for (const [name, version] of t.own.known) {
    if (!version) continue;
    const held = t.sent?.get(name);
    const r = held?.version === version ? held : lookup?.(typeUrl, name, version);
    if (r) out.push(r);
  }
  return out.sort(byName);
}

export interface DumpOptions {
  /** Which types to include (`types=` query: cds,lds,rds,eds); default all but EDS unless includeEds. */
  readonly types?: ReadonlySet<'cds' | 'lds' | 'rds' | 'eds'>;
  readonly includeEds?: boolean;
}

export function configDump(s: StreamState, opts: DumpOptions = {}, lookup?: ResourceLookup): JsonValue {
  const want = (t: XdsType): boolean => (opts.types ? opts.types.has(SHORT[t]) : t !== EDS || opts.includeEds === true);
  const configs: object[] = [];
  const state = (t: XdsType): TypeState | undefined => s.types.get(t);
  // Envoy shows, per resource, the version it holds: SotW the response's, Delta the resource's own.
  const vi = (t: TypeState, r: EncodedResource): string => (s.kind === 'delta' ? r.version : t.versionSent);
  if (want(CDS)) {
    const t = state(CDS);
    configs.push({ type_url: ADMIN + 'ClustersConfigDump', value: encodeMessage('envoy.admin.v3.ClustersConfigDump', {
      version_info: t?.versionSent ?? '',
      dynamic_active_clusters: entries(CDS, t, lookup).map((r) => ({ version_info: vi(t!, r), cluster: any(r), last_updated: ts(t!.sentAt) })),
    }) });
  }
  if (want(LDS)) {
    const t = state(LDS);
    configs.push({ type_url: ADMIN + 'ListenersConfigDump', value: encodeMessage('envoy.admin.v3.ListenersConfigDump', {
      version_info: t?.versionSent ?? '',
      dynamic_listeners: entries(LDS, t, lookup).map((r) => ({ name: r.name, active_state: { version_info: vi(t!, r), listener: any(r), last_updated: ts(t!.sentAt) } })),
    }) });
  }
  if (want(RDS)) {
    const t = state(RDS);
    configs.push({ type_url: ADMIN + 'RoutesConfigDump', value: encodeMessage('envoy.admin.v3.RoutesConfigDump', {
      dynamic_route_configs: entries(RDS, t, lookup).map((r) => ({ version_info: vi(t!, r), route_config: any(r), last_updated: ts(t!.sentAt) })),
    }) });
  }
  if (want(EDS)) {
    const t = state(EDS);
    configs.push({ type_url: ADMIN + 'EndpointsConfigDump', value: encodeMessage('envoy.admin.v3.EndpointsConfigDump', {
      dynamic_endpoint_configs: entries(EDS, t, lookup).map((r) => ({ version_info: vi(t!, r), endpoint_config: any(r), last_updated: ts(t!.sentAt) })),
    }) });
  }
  return toProto3Json('envoy.admin.v3.ConfigDump', encodeMessage('envoy.admin.v3.ConfigDump', { configs }));
}
