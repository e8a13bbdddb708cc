/**
 * @module server/http/configdump
 * `envoy.admin.v3.ConfigDump` of what a stream was last sent, as Envoy's admin API presents it
 * (dynamic_active_clusters, dynamic_listeners.active_state, dynamic_route_configs,
 * dynamic_endpoint_configs, each with version_info and last_updated; EcdsConfigDump.ecds_filters
 * for a stream subscribed to extension configs), rendered as proto3 JSON
 * so protojson — and so istioctl — can parse it. Built from the shared encoded bytes: the
 * resources are not re-translated. Works for SotW and Delta streams.
 */
import { encodeMessage, type EncodedResource } from '../../proto/encode.js';
import { toProto3Json, type JsonValue } from '../../proto/json.js';
import { CDS, ECDS, EDS, LDS, RDS, SDS, ENVOY_SHORT as SHORT, type XdsType } from '../../proto/typeurls.js';
import { messageType } from '../../proto/registry.js';
import { jsonToStruct } from '../../proto/struct.js';
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

/** What `types=` may name: the four xDS types, plus `sds` (secrets sent, keys redacted), `bootstrap` (the node as the proxy presented it) and `ecds` (extension configs). */
export type DumpType = 'cds' | 'lds' | 'rds' | 'eds' | 'sds' | 'bootstrap' | 'ecds';
export const DUMP_TYPES: readonly DumpType[] = ['cds', 'lds', 'rds', 'eds', 'sds', 'bootstrap', 'ecds'];

export interface DumpOptions {
  /** Which types to include (`types=` query); default cds, lds, rds (and eds with includeEds). */
  readonly types?: ReadonlySet<DumpType>;
  readonly includeEds?: boolean;
}

/** The `configs` of the dump, each an Any (`type_url`, encoded `value`) of an envoy.admin.v3.*ConfigDump, in Envoy's order. */
export function configDumpConfigs(
  s: StreamState,
  opts: DumpOptions = {},
  lookup?: ResourceLookup,
): { type_url: string; value: Uint8Array }[] {
  const want = (t: XdsType): boolean => (opts.types ? opts.types.has(SHORT[t]) : t !== EDS || opts.includeEds === true);
  const configs: { type_url: string; value: Uint8Array }[] = [];
  if (opts.types?.has('bootstrap')) {
    // tspilot never sees Envoy's bootstrap; what it knows of it is the node the proxy presented.
    const n = s.node;
    configs.push({
      type_url: ADMIN + 'BootstrapConfigDump',
      value: encodeMessage('envoy.admin.v3.BootstrapConfigDump', {
        bootstrap: {
          node: {
            id: n.id,
            cluster: n.cluster,
            metadata: jsonToStruct({ ...n.metadata }),
            user_agent_name: n.userAgentName,
            ...(n.userAgentVersion ? { user_agent_version: n.userAgentVersion } : {}),
            ...(n.locality ? { locality: n.locality } : {}),
          },
        },
        last_updated: ts(s.connectedAt),
      }),
    });
  }
  const state = (t: XdsType): TypeState | undefined => s.types.get(t);
  // Envoy shows, per resource, the version it holds: SotW the response's, Delta the resource's own.
  const vi = (t: TypeState, r: EncodedResource): string => (s.kind === 'delta' ? r.version : t.versionSent);
  if (want(CDS)) {
    const t = state(CDS);
    configs.push({
      type_url: ADMIN + 'ClustersConfigDump',
      value: encodeMessage('envoy.admin.v3.ClustersConfigDump', {
        version_info: t?.versionSent ?? '',
        dynamic_active_clusters: entries(CDS, t, lookup).map((r) => ({
          version_info: vi(t!, r),
          cluster: any(r),
          last_updated: ts(t!.sentAt),
        })),
      }),
    });
  }
  // Extension configs (ECDS) where Envoy puts them, after clusters; only for streams that subscribed.
  if (opts.types ? opts.types.has('ecds') : s.types.has(ECDS)) {
    const t = state(ECDS);
    configs.push({
      type_url: ADMIN + 'EcdsConfigDump',
      value: encodeMessage('envoy.admin.v3.EcdsConfigDump', {
        ecds_filters: entries(ECDS, t, lookup).map((r) => ({
          version_info: vi(t!, r),
          ecds_filter: any(r),
          last_updated: ts(t!.sentAt),
        })),
      }),
    });
  }
  if (want(LDS)) {
    const t = state(LDS);
    configs.push({
      type_url: ADMIN + 'ListenersConfigDump',
      value: encodeMessage('envoy.admin.v3.ListenersConfigDump', {
        version_info: t?.versionSent ?? '',
        dynamic_listeners: entries(LDS, t, lookup).map((r) => ({
          name: r.name,
          active_state: { version_info: vi(t!, r), listener: any(r), last_updated: ts(t!.sentAt) },
        })),
      }),
    });
  }
  if (want(RDS)) {
    const t = state(RDS);
    configs.push({
      type_url: ADMIN + 'RoutesConfigDump',
      value: encodeMessage('envoy.admin.v3.RoutesConfigDump', {
        dynamic_route_configs: entries(RDS, t, lookup).map((r) => ({
          version_info: vi(t!, r),
          route_config: any(r),
          last_updated: ts(t!.sentAt),
        })),
      }),
    });
  }
  if (want(EDS)) {
    const t = state(EDS);
    configs.push({
      type_url: ADMIN + 'EndpointsConfigDump',
      value: encodeMessage('envoy.admin.v3.EndpointsConfigDump', {
        dynamic_endpoint_configs: entries(EDS, t, lookup).map((r) => ({
          version_info: vi(t!, r),
          endpoint_config: any(r),
          last_updated: ts(t!.sentAt),
        })),
      }),
    });
  }
  if (opts.types?.has('sds')) {
    const t = s.types.get(SDS);
    configs.push({
      type_url: ADMIN + 'SecretsConfigDump',
      value: encodeMessage('envoy.admin.v3.SecretsConfigDump', {
        dynamic_active_secrets: (t?.sent ? [...t.sent.values()].sort(byName) : []).map((r) => ({
          name: r.name,
          version_info: r.version,
          last_updated: ts(t!.sentAt),
          secret: { type_url: r.typeUrl, value: redacted(r.bytes) },
        })),
      }),
    });
  }
  return configs;
}

/** A Secret with its private key replaced by "[redacted]", as Envoy's own admin config_dump shows it. */
function redacted(bytes: Uint8Array): Uint8Array {
  const type = messageType('envoy.extensions.transport_sockets.tls.v3.Secret');
  const obj = type.toObject(type.decode(bytes)) as { tls_certificate?: { private_key?: unknown } };
  if (obj.tls_certificate?.private_key) obj.tls_certificate.private_key = { inline_string: '[redacted]' };
  return type.encode(type.fromObject(obj)).finish();
}

export function configDump(s: StreamState, opts: DumpOptions = {}, lookup?: ResourceLookup): JsonValue {
  return toProto3Json(
    'envoy.admin.v3.ConfigDump',
    encodeMessage('envoy.admin.v3.ConfigDump', { configs: configDumpConfigs(s, opts, lookup) }),
  );
}
