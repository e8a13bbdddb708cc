/**
 * @module server/xds/engine-api
 * What the ADS engine (ads.ts) offers and expects, apart from how it works: the transport
 * adapter it writes through (StreamIO), the events it reports, its options and limits, how the
 * push runner reaches a stream (Subscriber), and the gRPC status codes it answers with (kept here
 * so the engine needs no grpc-js).
 */
import os from 'node:os';
import type { Proxy } from '../../model/proxy.js';
import type { DeltaRequest, SotwRequest } from '../../proto/wire.js';
import type { XdsType } from '../../proto/typeurls.js';
import type { ResourceSnapshot } from '../cache/api.js';
import type { RequestOutcome } from './sotw.js';
import type { DeltaOutcome } from './delta.js';
import type { SotwResponse, StreamState } from './state.js';
import type { AuthResult, CallerIdentity } from '../security/identity.js';
import type { DebugTypes } from './debugtypes.js';

/** gRPC status codes used here (kept local so the engine does not import grpc-js). */
export const Status = {
  INVALID_ARGUMENT: 3,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Per-stream options: the TLS port authorizes the proxy its first request names before anything is served. */
export interface OpenOptions {
  authorize?(proxy: Proxy): Promise<AuthResult>;
  /**
   * An identity already established by the transport (in-memory tests, other transports); ignored
   * when `authorize` is given. Streams without an identity never receive secrets.
   */
  readonly identity?: CallerIdentity | null;
}

export interface StreamIO {
  readonly peer: string;
  /**
   * Writes one serialized response and calls `done` once the transport has taken it (the client
   * is reading). The return value is advisory (false: the transport's buffer is full).
   */
  write(bytes: Uint8Array, done?: () => void): boolean;
  /**
   * Optional: a buffer of `n` bytes to encode the next response into. Such bytes are valid only
   * until the next `alloc` or `write`, so only a transport whose `write` copies them (grpc.ts,
   * scratch.ts) offers this; without it every response gets a fresh buffer.
   */
  readonly alloc?: (n: number) => Uint8Array;
  /**
   * Optional: writes a whole gRPC frame (5-byte prefix, then the message) as it is, without copying
   * it; the same frame may be written to several streams (frames.ts) and is never changed.
   * Without it every response goes through `write`.
   */
  readonly writeFramed?: (frame: Uint8Array, done?: () => void) => boolean;
  onDrain(cb: () => void): void;
  /** Ends the stream with an error status. */
  fail(code: number, message: string): void;
}

export interface AdsEvents {
  connected?(s: StreamState): void;
  disconnected?(s: StreamState): void;
  /** A SotW request (kept SotW-typed for compatibility; delta requests go to `deltaRequest`). */
  request?(s: StreamState, req: SotwRequest, outcome: RequestOutcome): void;
  deltaRequest?(s: StreamState, req: DeltaRequest, outcome: DeltaOutcome): void;
  /** A response handed to the transport (delta responses are DeltaResponse, a SotwResponse plus `removed`). */
  sent?(s: StreamState, r: SotwResponse, bytes: number): void;
  rejected?(peer: string, reason: string): void;
  /** A response above `largeResponseBytes` (sent anyway) or above `maxResponseBytes` (dropped). */
  largeResponse?(s: StreamState, r: SotwResponse, bytes: number, dropped: boolean): void;
  /** SDS names a stream asked for and may not have (no identity, another namespace, not a gateway): left out, never an error. */
  secretsDenied?(s: StreamState, denied: readonly { readonly name: string; readonly reason: string }[]): void;
  /** Computing a stream's response failed unexpectedly (the stream is skipped for this push, or failed with INTERNAL on a request). */
  streamError?(s: StreamState, error: Error, during: 'request' | 'push'): void;
}

export interface StreamHandle {
  onMessage(bytes: Uint8Array): void;
  onEnd(): void;
}

/** A connected stream as the push runner (server/push/runner.ts) sees it. */
export interface Subscriber {
  /** The stream's protocol state (what it subscribes to, what it was sent). */
  readonly state: StreamState;
  /** Its proxy class's snapshot for the current mesh (translated on first use, shared by the class). */
  snapshot(): ResourceSnapshot;
  /**
   * Queues what `snap` owes the stream for `types` (default: every type; `only`: just these
   * names); returns the responses queued. A failure is the stream's alone: reported as
   * `streamError(…, 'push')`, and -1 (nothing queued; the stream is still owed this push).
   */
  push(snap: ResourceSnapshot, types?: ReadonlySet<XdsType>, only?: ReadonlySet<string>): number;
}

export interface EngineOptions {
  /** Streams written at once (istiod's throttle: min(15 + 5·cores, 100)). */
  readonly sendConcurrency?: number;
  /**
   * Beyond `sendConcurrency`, more streams are written while the bytes of the writes in flight stay
   * under this (default 1 MiB): an EDS push's small responses to hundreds of streams go out at once
   * instead of in rounds of `sendConcurrency`, each waiting for the previous round's writes to
   * complete; large responses (whole CDS/LDS) are still throttled by count. 0: count only.
   */
  readonly sendBudgetBytes?: number;
  /** A stream that has not taken a response after this long gives its send slot back. */
  readonly sendTimeoutMs?: number;
  /** Responses above this are logged and counted (gRPC clients' default receive limit: 4 MB). */
  readonly largeResponseBytes?: number;
  /** Responses above this are not sent (counted, logged); 0 = no limit. */
  readonly maxResponseBytes?: number;
  /** Most resource names one request may carry. */
  readonly maxNames?: number;
  /**
   * Most names one stream may subscribe to, over all types (Delta adds names request after
   * request). A real sidecar subscribes about one EDS name per cluster it sees plus its route
   * configs: 200,000 is twice the per-request limit and far above any mesh's cluster count.
   */
  readonly maxStreamNames?: number;
  /**
   * Most names all streams together may subscribe to. Names cost ~150–200 bytes each; 5,000,000
   * is twice what 2,000 sidecars of a 1,000-service mesh subscribe (the bench: 2.4 M).
   */
  readonly maxServerNames?: number;
  /**
   * Request bytes all streams together may hold while their authorization (TLS port) is pending;
   * a stream past it is refused with RESOURCE_EXHAUSTED. Default 64 MiB: a first request is a few
   * KB, so tens of thousands of proxies may authenticate at once, but not thousands of 5 MB ones.
   */
  readonly maxPendingAuthBytes?: number;
  /** Answers istioctl's `istio.io/debug/*` requests (debugtypes.ts); null/absent: they are ignored like any unknown type. */
  readonly debugTypes?: DebugTypes | null;
}

export const defaultSendConcurrency = (): number => Math.min(15 + 5 * os.availableParallelism(), 100);

/** Counters of what the engine refused or dropped (exposed for metrics and tests). */
export interface EngineCounters {
  rejectedStreams: number;
  unknownTypes: number;
  largeResponses: number;
  droppedResponses: number;
  sendTimeouts: number;
  /** Response bytes handed to the transport, and the ms spent encoding and writing them (the transport's synchronous part: grpc-js frames each response into a copy of its own). */
  bytesWritten: number;
  writeMs: number;
}
