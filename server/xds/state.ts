/**
 * @module server/xds/state
 * Per-stream, per-type protocol state as plain data, read by the debug views (syncz, adsz,
 * config_dump) and proxy-status. A type's state is split by what it is about:
 * - `sub`: what the client asked for — one Subscription model for SotW and Delta (subscription.ts);
 * - the exchange (shared): what was sent, with which nonce and version, and what the client said
 *   about it (ACK / NACK);
 * - `own`: what only one protocol needs (`SotwPart`, `DeltaPart`), typed by the protocol's
 *   parameter so sotw.ts and delta.ts each see their own part without a cast.
 */
import type { EncodedResource } from '../../proto/encode.js';
import type { Proxy } from '../../model/proxy.js';
import type { WireNode } from '../../proto/wire.js';
import type { XdsType } from '../../proto/typeurls.js';
import type { CallerIdentity } from '../security/identity.js';
import { newSubscription, type Subscription } from './subscription.js';

export interface NackRecord {
  readonly version: string;
  readonly nonce: string;
  readonly message: string;
  readonly at: number;
}

/** SotW's own state of a type. */
export interface SotwPart {
  readonly kind: 'sotw';
  /** The names array the subscription was last built from (the engine reuses it for unchanged ACKs, see ackscan.ts). */
  namesFrom: readonly string[] | null;
  /** Names to resend even if unchanged (warming: the EDS of clusters a CDS response changed). */
  warm: Set<string> | null;
}

/** Delta's own state of a type. */
export interface DeltaPart {
  readonly kind: 'delta';
  /**
   * The versions returned to the client: name → version it holds ('' = told it does not exist).
   * Seeded from initial_resource_versions on a reconnect (rule 18). (SotW's equivalent is `sent`:
   * the whole state travels in each response.)
   */
  readonly known: Map<string, string>;
  /** Names to resend even if unchanged (rule 20; warming after CDS/LDS). */
  readonly forceNames: Set<string>;
}

export type ProtocolPart = SotwPart | DeltaPart;

export interface TypeState<P extends ProtocolPart = ProtocolPart> {
  /** What the client subscribes to. */
  readonly sub: Subscription;
  /**
   * name → resource the client holds from us (null: nothing sent yet on this stream). SotW: the
   * map is shared by the streams of a proxy class holding the same version — never mutate it.
   * Delta: the resources of the last response.
   */
  sent: ReadonlyMap<string, EncodedResource> | null;
  /** Nonce of the latest response sent; only a request echoing it is an ACK/NACK. */
  nonce: string;
  versionSent: string;
  sentAt: number;
  ackedVersion: string;
  ackedAt: number;
  /** Nonce the client last acknowledged (or rejected). */
  ackedNonce: string;
  nack: NackRecord | null;
  /** Resend even if unchanged (warming: EDS after CDS, RDS after LDS; a class that had no config yet). */
  force: boolean;
  /** Responses sent for this type on this stream. */
  responses: number;
  readonly own: P;
}

export function newTypeState<P extends ProtocolPart>(own: P): TypeState<P> {
  return {
    sub: newSubscription(),
    sent: null,
    nonce: '',
    versionSent: '',
    sentAt: 0,
    ackedVersion: '',
    ackedAt: 0,
    ackedNonce: '',
    nack: null,
    force: false,
    responses: 0,
    own,
  };
}

export const sotwPart = (): SotwPart => ({ kind: 'sotw', namesFrom: null, warm: null });
export const deltaPart = (): DeltaPart => ({ kind: 'delta', known: new Map(), forceNames: new Set() });

export interface StreamState<P extends ProtocolPart = ProtocolPart> {
  readonly id: string;
  readonly proxy: Proxy;
  readonly node: WireNode;
  readonly kind: P['kind'];
  readonly connectedAt: number;
  readonly peer: string;
  /** The authenticated caller (TLS port); null on the plaintext port, where streams carry no identity (as istiod). */
  readonly identity?: CallerIdentity | null;
  readonly types: Map<string, TypeState<P>>;
  /** The last nonce sent on the stream (as a number: nonces are base-36 sequence numbers). */
  nonceSeq: number;
  /**
   * The engine's SotW nonce sequence, shared by its streams (sotw.ts nonceFor: streams sent the
   * same response get the same nonce, so one encoding serves them all); absent: the process's.
   */
  readonly nonces?: NonceSequence;
}

/** A sequence SotW nonces are drawn from (one per engine). */
export interface NonceSequence {
  last: number;
}

/** A response ready to be serialized: resources are pre-encoded and shared. */
export interface SotwResponse {
  readonly typeUrl: XdsType;
  readonly versionInfo: string;
  readonly nonce: string;
  readonly resources: readonly EncodedResource[];
}

/** A delta response: changed resources plus names the client must drop (rules 17–23). */
export interface DeltaResponse extends SotwResponse {
  readonly removed: readonly string[];
}

export function nextNonce(s: { nonceSeq: number }): string {
  s.nonceSeq++;
  return s.nonceSeq.toString(36);
}
