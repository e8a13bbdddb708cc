/**
 * @module e2e/fleet/wire
 * Just enough protobuf reading for a fleet of simulated sidecars: the envelope of a SotW or Delta
 * response (version, type, nonce, resource names, removed names) without decoding the resources
 * themselves — the name is the first field of every Envoy resource we serve — so thousands of
 * clients can run in one process.
 */
import protobuf from 'protobufjs';

export interface Envelope {
  readonly version: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly names: string[];
  readonly removed: string[];
}

/** Field 1 (a string) of a message: Cluster.name, ClusterLoadAssignment.cluster_name, Listener.name, RouteConfiguration.name. */
function firstString(buf: Uint8Array): string {
  const r = protobuf.Reader.create(buf);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) return r.string();
    r.skipType(tag & 7);
  }
  return '';
}

/** google.protobuf.Any → the packed message's name. */
function anyName(buf: Uint8Array): string {
  const r = protobuf.Reader.create(buf);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === 2) return firstString(r.bytes());
    r.skipType(tag & 7);
  }
  return '';
}

/** envoy.service.discovery.v3.Resource → its name (field 3). */
function resourceName(buf: Uint8Array): string {
  const r = protobuf.Reader.create(buf);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 3 && (tag & 7) === 2) return r.string();
    r.skipType(tag & 7);
  }
  return '';
}

export function readSotw(buf: Uint8Array): Envelope {
  const r = protobuf.Reader.create(buf);
  let version = '',
    typeUrl = '',
    nonce = '';
  const names: string[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        version = r.string();
        break;
      case 2:
        names.push(anyName(r.bytes()));
        break;
      case 4:
        typeUrl = r.string();
        break;
      case 5:
        nonce = r.string();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return { version, typeUrl, nonce, names, removed: [] };
}

export function readDelta(buf: Uint8Array): Envelope {
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
        names.push(resourceName(r.bytes()));
        break;
      case 4:
        typeUrl = r.string();
        break;
      case 5:
        nonce = r.string();
        break;
      case 6:
        removed.push(r.string());
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return { version, typeUrl, nonce, names, removed };
}
