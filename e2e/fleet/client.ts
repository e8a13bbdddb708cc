/**
 * @module e2e/fleet/client
 * A lightweight simulated sidecar: one gRPC connection, one ADS stream (SotW or Delta), behaving
 * like Envoy's subscription flow — wildcard CDS, then EDS for every `outbound|…` cluster by name,
 * wildcard LDS, then RDS for every listener's route name (istiod's `0.0.0.0_<port>` → `<port>`) —
 * and ACKing everything at once. It records, per response, when it arrived (and was ACKed), its
 * type and size, so the bench can compute convergence. Responses are read at the envelope level
 * only (see wire.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { encodeDeltaRequest, encodeSotwRequest, type WireNode } from '../../proto/wire.js';
import { CDS, LDS } from '../../proto/typeurls.js';
import { followUp, namesField, readDelta, readSotw, withNames, type Envelope } from './wire.js';

export interface Arrival {
  readonly at: number;
  readonly typeUrl: string;
  readonly bytes: number;
  readonly resources: number;
  readonly removed: number;
}

export interface FleetClientOptions {
  readonly address: string;
  readonly node: WireNode;
  readonly delta: boolean;
  /** Keep the raw bytes of the first response of each type (the ceiling server replays them). */
  readonly keepFirst?: boolean;
  /**
   * Reject every response (as an Envoy would whose validation fails): the reply carries the
   * nonce, the last accepted version (none) and an error_detail; no follow-up subscriptions.
   */
  readonly nack?: boolean;
  /**
   * The HTTP/2 receive windows the client advertises, stream and connection (grpc-js's default is
   * HTTP/2's 64 KiB; an Envoy's is 256 MiB, Http2ProtocolOptions initial_stream_window_size).
   */
  readonly flowControlWindow?: number;
  /** TLS: channel credentials, channel options (the SAN to check) and call metadata (the bearer token). */
  readonly tls?: {
    readonly credentials: grpc.ChannelCredentials;
    readonly channelOptions: grpc.ChannelOptions;
    readonly metadata: Readonly<Record<string, string>>;
  };
}

const PATH = {
  sotw: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
  delta: '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
};

export class FleetClient {
  readonly arrivals: Arrival[] = [];
  readonly first = new Map<string, Uint8Array>();
  /** Distinct types that have arrived since connect. */
  readonly seen = new Set<string>();
  bytes = 0;
  /** When the client first held every type (performance.now()), 0 until then. */
  completeAt = 0;
  private client: grpc.Client | null = null;
  private call: grpc.ClientDuplexStream<Buffer, Buffer> | null = null;
  private readonly subs = new Map<string, Set<string>>();
  private readonly last = new Map<string, { version: string; nonce: string }>();
  /** Per type, the subscription's sorted names encoded once (SotW requests carry them all every time). */
  private readonly names = new Map<string, Uint8Array>();
  private nodeSent = false;
  error: string | null = null;

  constructor(private readonly opts: FleetClientOptions) {}

  /** Streams that failed and were retried. */
  retries = 0;
  private stopped = false;

  connect(): void {
    this.stopped = false;
    this.subs.clear();
    this.names.clear();
    this.last.clear();
    this.seen.clear();
    this.nodeSent = false;
    this.error = null;
    this.completeAt = 0;
    // A channel of its own (no shared subchannel), like separate Envoys.
    this.client = new grpc.Client(this.opts.address, this.opts.tls?.credentials ?? grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': -1,
      ...(this.opts.flowControlWindow ? { 'grpc-node.flow_control_window': this.opts.flowControlWindow } : {}),
      ...(this.opts.tls?.channelOptions ?? {}),
    });
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(this.opts.tls?.metadata ?? {})) md.set(k, v);
    const call = this.client.makeBidiStreamRequest(
      this.opts.delta ? PATH.delta : PATH.sotw,
      (b: Buffer) => b,
      (b: Buffer) => b,
      md,
    );
    this.call = call;
    call.on('data', (b: Buffer) => this.onData(b));
    call.on('error', (e: Error) => {
      if (this.call !== call) return;
      // Like Envoy, retry a failed stream (e.g. UNAVAILABLE while thousands reconnect at once).
      this.error = e.message;
      this.retries++;
      this.close();
      setTimeout(() => {
        if (!this.stopped) this.connect();
      }, 200);
    });
    this.request(CDS, ['*']);
    this.request(LDS, ['*']);
  }

  /** Ends the stream on purpose (no retry). */
  stop(): void {
    this.stopped = true;
    this.close();
  }

  close(): void {
    const call = this.call;
    this.call = null;
    call?.cancel();
    this.client?.close();
    this.client = null;
  }

  private request(typeUrl: string, add: string[]): void {
    const node = this.nodeSent ? {} : { node: this.opts.node };
    this.nodeSent = true;
    const cur = this.subs.get(typeUrl) ?? new Set<string>();
    const fresh = add.filter((n) => !cur.has(n));
    for (const n of fresh) cur.add(n);
    this.subs.set(typeUrl, cur);
    this.names.delete(typeUrl);
    const l = this.last.get(typeUrl);
    const bytes = this.opts.delta
      ? encodeDeltaRequest({ ...node, typeUrl, resourceNamesSubscribe: fresh, responseNonce: l?.nonce ?? '' })
      : withNames(
          encodeSotwRequest({ ...node, typeUrl, resourceNames: [], versionInfo: l?.version ?? '', responseNonce: l?.nonce ?? '' }),
          this.namesOf(typeUrl),
        );
    this.call?.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  /** The type's subscribed names, sorted and encoded (cached until the subscription changes). */
  private namesOf(typeUrl: string): Uint8Array {
    let b = this.names.get(typeUrl);
    if (!b) {
      b = namesField([...(this.subs.get(typeUrl) ?? [])].sort());
      this.names.set(typeUrl, b);
    }
    return b;
  }

  /** NACKs sent (with `nack`). */
  nacks = 0;

  private reject(e: Envelope): void {
    const version = this.last.get(e.typeUrl)?.version ?? '';
    this.last.set(e.typeUrl, { version, nonce: e.nonce });
    const errorDetail = { code: 3, message: `fleet client rejects ${e.typeUrl} version ${e.version}: simulated validation failure` };
    const bytes = this.opts.delta
      ? encodeDeltaRequest({ typeUrl: e.typeUrl, responseNonce: e.nonce, errorDetail })
      : withNames(
          encodeSotwRequest({ typeUrl: e.typeUrl, resourceNames: [], versionInfo: version, responseNonce: e.nonce, errorDetail }),
          this.namesOf(e.typeUrl),
        );
    this.nacks++;
    this.call?.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  private ack(e: Envelope): void {
    if (this.opts.nack) {
      this.reject(e);
      return;
    }
    this.last.set(e.typeUrl, { version: e.version, nonce: e.nonce });
    const bytes = this.opts.delta
      ? encodeDeltaRequest({ typeUrl: e.typeUrl, responseNonce: e.nonce })
      : withNames(
          encodeSotwRequest({ typeUrl: e.typeUrl, resourceNames: [], versionInfo: e.version, responseNonce: e.nonce }),
          this.namesOf(e.typeUrl),
        );
    this.call?.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  private onData(b: Buffer): void {
    const at = performance.now();
    const e = this.opts.delta ? readDelta(b) : readSotw(b);
    this.bytes += b.length;
    this.arrivals.push({ at, typeUrl: e.typeUrl, bytes: b.length, resources: e.names.length, removed: e.removed.length });
    this.seen.add(e.typeUrl);
    if (!this.completeAt && this.seen.size === 4) this.completeAt = at;
    if (this.opts.keepFirst && !this.first.has(e.typeUrl)) this.first.set(e.typeUrl, new Uint8Array(b));
    this.ack(e);
    if (this.opts.nack) return;
    // Follow-up subscriptions, as Envoy does once clusters/listeners arrive.
    const next = followUp(e, (t) => this.subs.get(t));
    if (next) this.request(next.typeUrl, next.names);
  }

  /** Has the full config: every type seen at least once. */
  complete(): boolean {
    return this.seen.size === 4;
  }
}
