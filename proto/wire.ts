/**
 * @module proto/wire
 * The xDS envelope on the wire. Requests are decoded with protobufjs into the generated
 * `__Output` shapes (node metadata Struct turned into plain JSON). Responses are assembled from
 * already-encoded Any bytes (SotW: envelope.ts; delta: a protobuf Writer) — resources are never
 * re-encoded per stream.
 */
import protobuf from 'protobufjs';
import { messageType } from './registry.js';
import { structToJson, type Json } from './struct.js';
import { allocFresh, writeSotwEnvelope, type Alloc } from './envelope.js';

const DECODE_OPTS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

/** The node as tspilot uses it: id, cluster and metadata as plain JSON. */
export interface WireNode {
  readonly id: string;
  readonly cluster: string;
  readonly metadata: { readonly [k: string]: Json };
  readonly userAgentName: string;
  /** `user_agent_version` (e.g. grpc-js's 1.14.1), when the client sends it. */
  readonly userAgentVersion?: string;
  readonly clientFeatures: readonly string[];
  readonly locality: Readonly<Record<string, string>> | null;
}

export interface WireStatus {
  readonly code: number;
  readonly message: string;
}

/** envoy.service.discovery.v3.DiscoveryRequest, decoded. */
export interface SotwRequest {
  readonly versionInfo: string;
  readonly node: WireNode | null;
  readonly resourceNames: readonly string[];
  readonly typeUrl: string;
  readonly responseNonce: string;
  readonly errorDetail: WireStatus | null;
}

/** envoy.service.discovery.v3.DeltaDiscoveryRequest, decoded. */
export interface DeltaRequest {
  readonly node: WireNode | null;
  readonly typeUrl: string;
  readonly resourceNamesSubscribe: readonly string[];
  readonly resourceNamesUnsubscribe: readonly string[];
  readonly initialResourceVersions: Readonly<Record<string, string>>;
  readonly responseNonce: string;
  readonly errorDetail: WireStatus | null;
}

interface RawNode {
  id: string;
  cluster: string;
  metadata: { fields?: Record<string, never> } | null;
  user_agent_name: string;
  client_features: string[];
  locality: Record<string, string> | null;
  user_agent_version?: string;
}

function node(raw: RawNode | null): WireNode | null {
  if (!raw) return null;
  return {
    id: raw.id,
    cluster: raw.cluster,
    metadata: structToJson(raw.metadata),
    userAgentName: raw.user_agent_name ?? '',
    clientFeatures: raw.client_features ?? [],
    locality: raw.locality ?? null,
    ...(raw.user_agent_version ? { userAgentVersion: raw.user_agent_version } : {}),
  };
}

function status(raw: { code: number; message: string } | null): WireStatus | null {
  return raw ? { code: raw.code, message: raw.message } : null;
}

let sotwType: protobuf.Type | undefined;
let deltaType: protobuf.Type | undefined;

/** Decodes a DiscoveryRequest; throws on bytes that are not one. */
export function decodeSotwRequest(buf: Uint8Array): SotwRequest {
  sotwType ??= messageType('envoy.service.discovery.v3.DiscoveryRequest');
  // toObject returns a loosely typed object; its shape is fixed by DECODE_OPTS and the proto.
  const o = sotwType.toObject(sotwType.decode(buf), DECODE_OPTS) as {
    version_info: string;
    node: RawNode | null;
    resource_names: string[];
    type_url: string;
    response_nonce: string;
    error_detail: { code: number; message: string } | null;
  };
  return {
    versionInfo: o.version_info,
    node: node(o.node),
    resourceNames: o.resource_names,
    typeUrl: o.type_url,
    responseNonce: o.response_nonce,
    errorDetail: status(o.error_detail),
  };
}

/** Decodes a DeltaDiscoveryRequest; throws on bytes that are not one. */
export function decodeDeltaRequest(buf: Uint8Array): DeltaRequest {
  deltaType ??= messageType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
  const o = deltaType.toObject(deltaType.decode(buf), DECODE_OPTS) as {
    node: RawNode | null;
    type_url: string;
    resource_names_subscribe: string[];
    resource_names_unsubscribe: string[];
    initial_resource_versions: Record<string, string>;
    response_nonce: string;
    error_detail: { code: number; message: string } | null;
  };
  return {
    node: node(o.node),
    typeUrl: o.type_url,
    resourceNamesSubscribe: o.resource_names_subscribe,
    resourceNamesUnsubscribe: o.resource_names_unsubscribe,
    initialResourceVersions: o.initial_resource_versions ?? {},
    responseNonce: o.response_nonce,
    errorDetail: status(o.error_detail),
  };
}

/** Encodes a request (used by tests, the bench fleet and REST-JSON). */
export function encodeSotwRequest(r: Partial<SotwRequest> & { typeUrl: string }): Uint8Array {
  sotwType ??= messageType('envoy.service.discovery.v3.DiscoveryRequest');
  const n = r.node;
  const obj = {
    version_info: r.versionInfo ?? '',
    resource_names: [...(r.resourceNames ?? [])],
    type_url: r.typeUrl,
    response_nonce: r.responseNonce ?? '',
    ...(r.errorDetail ? { error_detail: r.errorDetail } : {}),
    ...(n ? { node: nodeObject(n) } : {}),
  };
  return sotwType.encode(sotwType.fromObject(obj)).finish();
}

/** Encodes a delta request (tests and the bench fleet). */
export function encodeDeltaRequest(r: Partial<DeltaRequest> & { typeUrl: string }): Uint8Array {
  deltaType ??= messageType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
  const obj = {
    type_url: r.typeUrl,
    resource_names_subscribe: [...(r.resourceNamesSubscribe ?? [])],
    resource_names_unsubscribe: [...(r.resourceNamesUnsubscribe ?? [])],
    initial_resource_versions: { ...(r.initialResourceVersions ?? {}) },
    response_nonce: r.responseNonce ?? '',
    ...(r.errorDetail ? { error_detail: r.errorDetail } : {}),
    ...(r.node ? { node: nodeObject(r.node) } : {}),
  };
  return deltaType.encode(deltaType.fromObject(obj)).finish();
}

function nodeObject(n: WireNode): object {
  const fields: Record<string, unknown> = {};
  const toValue = (j: Json): unknown => {
    if (j === null) return { nullValue: 0 };
    if (typeof j === 'string') return { stringValue: j };
    if (typeof j === 'number') return { numberValue: j };
    if (typeof j === 'boolean') return { boolValue: j };
    if (Array.isArray(j)) return { listValue: { values: j.map(toValue) } };
    const f: Record<string, unknown> = {};
    for (const k of Object.keys(j)) f[k] = toValue(j[k] as Json);
    return { structValue: { fields: f } };
  };
  for (const k of Object.keys(n.metadata)) fields[k] = toValue(n.metadata[k] as Json);
  return {
    id: n.id,
    cluster: n.cluster,
    metadata: { fields },
    user_agent_name: n.userAgentName,
    client_features: [...n.clientFeatures],
    ...(n.locality ? { locality: n.locality } : {}),
  };
}

export const CONTROL_PLANE_ID = 'tspilot';

/**
 * Assembles DiscoveryResponse bytes around pre-encoded Any resources (pass-through serializer),
 * into a buffer from `alloc` (envelope.ts; default: a fresh one).
 */
export function sotwResponseBytes(
  versionInfo: string,
  typeUrl: string,
  nonce: string,
  anys: readonly Uint8Array[],
  alloc: Alloc = allocFresh,
): Uint8Array {
  return writeSotwEnvelope(versionInfo, typeUrl, nonce, anys, CONTROL_PLANE_ID, alloc);
}

/** One resource in a delta response: name, version and pre-encoded Any bytes. */
export interface DeltaResource {
  readonly name: string;
  readonly version: string;
  readonly any: Uint8Array;
}

/** Assembles DeltaDiscoveryResponse bytes (envoy.service.discovery.v3.Resource wraps each Any). */
export function deltaResponseBytes(
  systemVersion: string,
  typeUrl: string,
  nonce: string,
  resources: readonly DeltaResource[],
  removed: readonly string[],
): Uint8Array {
  const w = protobuf.Writer.create();
  if (systemVersion) w.uint32(10).string(systemVersion);
  for (const r of resources) {
    w.uint32(18).fork();
    w.uint32(10).string(r.version);
    w.uint32(18).bytes(r.any);
    w.uint32(26).string(r.name);
    w.ldelim();
  }
  w.uint32(34).string(typeUrl);
  w.uint32(42).string(nonce);
  for (const n of removed) w.uint32(50).string(n);
  w.uint32(58).fork().uint32(10).string(CONTROL_PLANE_ID).ldelim();
  return w.finish();
}
