/**
 * @module e2e/fleet/wire
 * Just enough protobuf reading for a fleet of simulated sidecars: the envelope of a SotW or Delta
 * response (version, type, nonce, resource names, removed names) without decoding the resources
 * themselves — the name is the first field of every Envoy resource we serve — so thousands of
 * clients can run in one process. Requests are built the same way in reverse: a SotW request's
 * resource names are encoded once per subscription (`namesField`) and appended to each ACK's
 * small head, as protobuf allows fields in any order — a client ACKing 600 EDS names costs the
 * same as one ACKing a few.
 */
import protobuf from 'protobufjs';
import { CDS, EDS, LDS, RDS } from '../../proto/typeurls.js';

export interface Envelope {
  readonly version: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly names: string[];
  readonly removed: string[];
}

/** The first length-delimited field number `field` of a message, read by `read`; `fallback` if absent. */
function lengthField<T>(buf: Uint8Array, field: number, read: (r: protobuf.Reader) => T, fallback: T): T {
  const r = protobuf.Reader.create(buf);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === field && (tag & 7) === 2) return read(r);
    r.skipType(tag & 7);
  }
  return fallback;
}

/** Field 1 (a string) of a message: Cluster.name, ClusterLoadAssignment.cluster_name, Listener.name, RouteConfiguration.name. */
const firstString = (buf: Uint8Array): string => lengthField(buf, 1, (r) => r.string(), '');

/** google.protobuf.Any → the packed message's name. */
const anyName = (buf: Uint8Array): string => lengthField(buf, 2, (r) => firstString(r.bytes()), '');

/** envoy.service.discovery.v3.Resource → its name (field 3). */
const resourceName = (buf: Uint8Array): string => lengthField(buf, 3, (r) => r.string(), '');

/**
 * The envelope fields SotW and Delta responses share (1 version, 2 resources, 4 type URL, 5 nonce),
 * plus Delta's removed names (6) when `withRemoved` — in a SotW response field 6 is the control plane.
 */
function readEnvelope(buf: Uint8Array, nameOf: (resource: Uint8Array) => string, withRemoved: boolean): Envelope {
  const r = protobuf.Reader.create(buf);
  let version = '',
    typeUrl = '',
    nonce = '';
  const names: string[] = [];
  const removed: string[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        version = r.string();
        break;
      case 2:
        names.push(nameOf(r.bytes()));
        break;
      case 4:
        typeUrl = r.string();
        break;
      case 5:
        nonce = r.string();
        break;
      case 6:
        if (withRemoved) removed.push(r.string());
        else r.skipType(tag & 7);
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return { version, typeUrl, nonce, names, removed };
}

/** A SotW DiscoveryResponse: resource names from the packed Anys. */
export const readSotw = (buf: Uint8Array): Envelope => readEnvelope(buf, anyName, false);

/** A DeltaDiscoveryResponse: resource names from each Resource, and the removed names. */
export const readDelta = (buf: Uint8Array): Envelope => readEnvelope(buf, resourceName, true);

/** DiscoveryRequest.resource_names (field 3, repeated string), encoded: append it to the rest of a request. */
export function namesField(names: readonly string[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const n of names) w.uint32((3 << 3) | 2).string(n);
  return w.finish();
}

/** `head` (a request encoded without names) followed by the names field: one DiscoveryRequest. */
export function withNames(head: Uint8Array, names: Uint8Array): Buffer {
  return Buffer.concat([head, names]);
}

/** RDS name of an istiod outbound listener (`0.0.0.0_9080` → `9080`). */
export const routeOf = (listener: string): string | null => /^0\.0\.0\.0_(\d+)$/.exec(listener)?.[1] ?? null;

/**
 * What a sidecar subscribes to next once a response arrives, as Envoy does: EDS for the
 * `outbound|…` clusters of a CDS response, RDS for the routes of an LDS response's listeners —
 * only names not yet subscribed (`subscribed`); null when there is nothing new.
 */
export function followUp(
  e: Envelope,
  subscribed: (typeUrl: string) => ReadonlySet<string> | undefined,
): { readonly typeUrl: string; readonly names: string[] } | null {
  if (e.typeUrl === CDS) {
    const names = e.names.filter((n) => n.startsWith('outbound|') && !subscribed(EDS)?.has(n));
    return names.length ? { typeUrl: EDS, names } : null;
  }
  if (e.typeUrl === LDS) {
    const names = e.names.map(routeOf).filter((n): n is string => n !== null && !subscribed(RDS)?.has(n));
    return names.length ? { typeUrl: RDS, names } : null;
  }
  return null;
}
