/**
 * @module server/xds/protocol
 * The seam between the engine (ads.ts: stream lifecycle, limits, authorization, send queue) and
 * an xDS protocol variant. sotw.ts and delta.ts each export one `ProtocolFactory`; the engine
 * makes one Protocol per connection (a protocol may keep per-connection decoder state, e.g.
 * SotW's ACK shortcut) and never asks which variant it holds.
 */
import type { SotwRequest, WireNode, WireStatus } from '../../proto/wire.js';
import type { XdsType } from '../../proto/typeurls.js';
import type { ResourceSnapshot } from '../cache/api.js';
import type { AdsEvents } from './engine-api.js';
import type { ProtocolPart, SotwResponse, StreamState } from './state.js';
import type { RequestKind } from './subscription.js';

/** What the engine reads of any decoded request. */
export interface XdsRequest {
  readonly typeUrl: string;
  readonly node: WireNode | null;
  readonly responseNonce: string;
  readonly errorDetail: WireStatus | null;
}

/** A request's classification and the response it is owed, if any. */
export interface Outcome<Resp extends SotwResponse> {
  readonly kind: RequestKind;
  readonly typeUrl: string;
  /** The subscription grew (names added, or wildcard turned on), or this was the type's first request. */
  readonly resubscribed: boolean;
  readonly response: Resp | null;
}

export interface Protocol<Req extends XdsRequest, Resp extends SotwResponse, P extends ProtocolPart> {
  readonly kind: P['kind'];
  /** The request message's name, for error statuses. */
  readonly requestName: string;
  /** Every request states the whole subscription (SotW) rather than a change to it (Delta). */
  readonly replacesNames: boolean;
  /** Decodes one request (throws on malformed bytes); `started`: the stream has had a valid first request. */
  decode(bytes: Uint8Array, started: boolean): Req;
  /** The request with `typeUrl` set (per-type services send none). */
  withType(req: Req, typeUrl: string): Req;
  /** Names the request carries (the per-request limit). */
  nameCount(req: Req): number;
  /** Names the request asks to subscribe to, and the request with only `names` of them (SDS authorization). */
  requested(req: Req): readonly string[];
  withRequested(req: Req, names: readonly string[]): Req;
  /** The stream's subscribed-name count after `req` (see limits.ts). */
  namesAfter(st: StreamState<P>, req: Req, current: number, limit: number): number;
  /** Applies a request for `typeUrl` (its type_url, a served type); returns its classification and the response owed. */
  onRequest(st: StreamState<P>, typeUrl: XdsType, req: Req, snap: ResourceSnapshot, now: number): Outcome<Resp>;
  /** Responses a new snapshot owes the stream, CDS → EDS → LDS → RDS; `only`: just these names (endpoint-only pushes). */
  onPush(st: StreamState<P>, snap: ResourceSnapshot, types?: ReadonlySet<XdsType>, only?: ReadonlySet<string>): Resp[];
  /**
   * The response's wire bytes, in a buffer from `alloc` when given and the protocol can use it
   * (SotW; the transport's scratch, see StreamIO.alloc), else a fresh one.
   */
  encode(r: Resp, alloc?: (n: number) => Uint8Array): Uint8Array;
  /**
   * Optional (SotW): the response's bytes as a gRPC frame (proto/envelope.ts grpcFramed) in a fresh
   * buffer that is never changed, so streams sent the same response can share it (frames.ts) — or,
   * given `allocFrame`, in the buffer it returns (a pooled block, framepool.ts).
   */
  encodeFramed?(r: Resp, allocFrame?: (n: number) => Buffer): Uint8Array;
  /** The request as istiod's debug types (istio.io/debug/*, istioctl) read it: SotW requests; null for Delta, which istioctl never uses. */
  debugRequest(req: Req): SotwRequest | null;
  /** Reports a request and its outcome to the engine's hooks. */
  report(events: AdsEvents, st: StreamState<P>, req: Req, outcome: Outcome<Resp>): void;
}

/** Makes a connection's Protocol. */
export type ProtocolFactory<
  Req extends XdsRequest = XdsRequest,
  Resp extends SotwResponse = SotwResponse,
  P extends ProtocolPart = ProtocolPart,
> = () => Protocol<Req, Resp, P>;
