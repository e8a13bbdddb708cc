/**
 * @module server/xds/state
 * Per-stream, per-type protocol state as plain data, shared by the SotW and Delta engines and
 * read by the debug views (syncz, adsz) and proxy-status.
 */
import type { EncodedResource } from '../../proto/encode.js';
import type { Proxy } from '../../model/proxy.js';
import type { WireNode } from '../../proto/wire.js';
import type { CallerIdentity } from '../security/identity.js';

export interface NackRecord {
  readonly version: string;
  readonly nonce: string;
  readonly message: string;
  readonly at: number;
}

export interface TypeState {
  /** Subscribed to everything of this type (LDS/CDS wildcard). */
  wildcard: boolean;
  /** Explicitly subscribed names. */
  names: Set<string>;
  /** The client named resources at least once (then an empty list is "none", not wildcard). */
  everNamed: boolean;
  /**
   * name → resource the client holds from us (null: nothing sent yet on this stream). SotW: the
   * map is shared by the streams of a proxy class holding the same version — never mutate it.
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
  /** Resend even if unchanged (warming: EDS after CDS, RDS after LDS). */
  force: boolean;
  /** Responses sent for this type on this stream. */
  responses: number;
  /**
   * Delta only: name → version the client holds ('' = told it does not exist). Seeded from
   * initial_resource_versions on a reconnect (rule 18).
   */
  known: Map<string, string>;
  /** SotW: the names array the subscription was last built from (the engine reuses it for unchanged ACKs). */
  namesFrom: readonly string[] | null;
  /** Delta only: names to resend even if unchanged (rule 20; warming after CDS/LDS). */
  forceNames: Set<string>;
}

export function newTypeState(): TypeState {
  return {
    wildcard: false, names: new Set(), everNamed: false, sent: null, nonce: '', versionSent: '', sentAt: 0,
    ackedVersion: '', ackedAt: 0, ackedNonce: '', nack: null, force: false, responses: 0, known: new Map(), forceNames: new Set(), namesFrom: null,
  };
}

export interface StreamState {
  readonly id: string;
  readonly proxy: Proxy;
  readonly node: WireNode;
  readonly kind: 'sotw' | 'delta';
  readonly connectedAt: number;
  readonly peer: string;
  /** The authenticated caller (TLS port); null on the plaintext port, where streams carry no identity (as istiod). */
  readonly identity?: CallerIdentity | null;
  readonly types: Map<string, TypeState>;
  nonceSeq: number;
}

/** A response ready to be serialized: resources are pre-encoded and shared. */
export interface SotwResponse {
  readonly typeUrl: string;
  readonly versionInfo: string;
  readonly nonce: string;
  readonly resources: readonly EncodedResource[];
}

/** A delta response: changed resources plus names the client must drop (rules 17–23). */
export interface DeltaResponse extends SotwResponse {
  readonly removed: readonly string[];
}

export function nextNonce(s: StreamState): string {
  s.nonceSeq++;
  return s.nonceSeq.toString(36);
}
