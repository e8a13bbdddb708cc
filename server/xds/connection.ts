/**
 * @module server/xds/connection
 * One stream as the ADS engine (ads.ts) and its sender (sender.ts) hold it: its transport and
 * protocol, its state once the first request is valid, its latest-wins pending responses per type,
 * and its bookkeeping for the engine's bounds (names, held requests, authorization).
 */
import type { Proxy } from '../../model/proxy.js';
import type { XdsType } from '../../proto/typeurls.js';
import type { ClassLease } from '../cache/api.js';
import type { Protocol, XdsRequest } from './protocol.js';
import type { ProtocolPart, SotwResponse, StreamState } from './state.js';
import type { AuthResult, CallerIdentity } from '../security/identity.js';
import type { StreamIO, Subscriber } from './engine-api.js';

/**
 * One stream. Typed by its protocol's request, response and state types; the engine's sets hold
 * them with the defaults (any protocol), and each connection only ever meets its own protocol's values.
 */
export interface Connection<
  Req extends XdsRequest = XdsRequest,
  Resp extends SotwResponse = SotwResponse,
  P extends ProtocolPart = ProtocolPart,
> {
  readonly io: StreamIO;
  readonly proto: Protocol<Req, Resp, P>;
  state: StreamState<P> | null;
  /** Pins the stream's proxy class in the cache while the stream lives. */
  lease: ClassLease | null;
  readonly pending: Map<XdsType, Resp>;
  /** A response is written and not yet taken by the transport. */
  busy: boolean;
  queued: boolean;
  closed: boolean;
  readonly defaultType: string | undefined;
  /** Names this stream subscribes to (counted in the engine's server-wide total). */
  names: number;
  /** Set while the first request waits for `authorize`: requests received meanwhile, replayed in order. */
  held: Uint8Array[] | null;
  /** Bytes in `held` (counted in the engine's server-wide total while authorization is pending). */
  heldBytes: number;
  /** undefined: no authorization on this stream; null: not decided yet. */
  identity?: CallerIdentity | null;
  readonly authorize?: ((proxy: Proxy) => Promise<AuthResult>) | undefined;
  /** The SDS names last refused, so a client repeating them in every ACK is logged once. */
  deniedSecrets: string;
  /** How the push runner reaches this stream (see Subscriber). */
  readonly subscriber: Subscriber;
}
