/**
 * @module server/xds/grpc
 * With grpc-tls.ts (the TLS port) and grpc-reads.ts (what grpc-js keeps of requests), the only xDS
 * files that touch grpc-js: serves ADS (and the per-type CDS/EDS/LDS/RDS services Envoy can use
 * instead), state of the world and delta, with hand-written service definitions whose serializers
 * pass bytes through — requests are decoded by the engine (so garbage gets a clear status),
 * responses are already-assembled bytes. Each call is adapted to the engine's StreamIO. The TLS
 * port (grpc-tls.ts) builds the same server and feeds it its own TLS connections.
 */
import * as grpc from '@grpc/grpc-js';
import { CDS, EDS, LDS, RDS } from '../../proto/typeurls.js';
import type { AdsEngine, OpenOptions, StreamIO } from './ads.js';
import { delta } from './delta.js';
import type { ProtocolFactory } from './protocol.js';
import { sotw } from './sotw.js';
import { ResponseScratch } from './scratch.js';
import { releaseRequestReads } from './grpc-reads.js';

const raw = (b: Buffer): Buffer => b;

/** Every stream of every xDS server in the process encodes into this one buffer (scratch.ts). */
const scratch = new ResponseScratch();

/** The pass-through response serializer; grpc-js copies what it returns before write() returns. */
const sendRaw = (b: Buffer): Buffer => {
  scratch.copied(b);
  return b;
};

/** A bidirectional-streaming method of raw bytes both ways (also the bench's ceiling server and tests). */
export function rawBidiMethod(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path,
    requestStream: true,
    responseStream: true,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  };
}

const bidi = (path: string): grpc.MethodDefinition<Buffer, Buffer> => ({ ...rawBidiMethod(path), responseSerialize: sendRaw });

/** Service → (method and the protocol it speaks, the type its requests default to when type_url is empty). */
const SERVICES: readonly { service: string; methods: readonly { name: string; protocol: ProtocolFactory }[]; type?: string }[] = [
  {
    service: 'envoy.service.discovery.v3.AggregatedDiscoveryService',
    methods: [
      { name: 'StreamAggregatedResources', protocol: sotw },
      { name: 'DeltaAggregatedResources', protocol: delta },
    ],
  },
  {
    service: 'envoy.service.cluster.v3.ClusterDiscoveryService',
    methods: [
      { name: 'StreamClusters', protocol: sotw },
      { name: 'DeltaClusters', protocol: delta },
    ],
    type: CDS,
  },
  {
    service: 'envoy.service.endpoint.v3.EndpointDiscoveryService',
    methods: [
      { name: 'StreamEndpoints', protocol: sotw },
      { name: 'DeltaEndpoints', protocol: delta },
    ],
    type: EDS,
  },
  {
    service: 'envoy.service.listener.v3.ListenerDiscoveryService',
    methods: [
      { name: 'StreamListeners', protocol: sotw },
      { name: 'DeltaListeners', protocol: delta },
    ],
    type: LDS,
  },
  {
    service: 'envoy.service.route.v3.RouteDiscoveryService',
    methods: [
      { name: 'StreamRoutes', protocol: sotw },
      { name: 'DeltaRoutes', protocol: delta },
    ],
    type: RDS,
  },
];

/** Frames made by the engine (frames.ts): the calls' serializers pass them through as they are. */
const FRAMES = new WeakSet<object>();

/**
 * A writer of whole gRPC frames for `call`, or undefined when this grpc-js does not allow one.
 * grpc-js frames every response into a fresh copy of its own (the call's `serializeMessage`:
 * allocate length + 5, copy); a frame the engine already made — possibly shared by several
 * streams — is passed through instead, so a response sent to ten streams is one buffer, not ten.
 * This reaches into grpc-js's server call (`call.call.serializeMessage`, grpc-js 1.10–1.14 without
 * server interceptors): where it is not there, every response goes through the plain `write`.
 * grpc.test.ts checks that the pass-through is in force with the grpc-js installed.
 */
export function framedWriter(
  call: grpc.ServerDuplexStream<Buffer, Buffer>,
): ((frame: Uint8Array, done?: () => void) => boolean) | undefined {
  // grpc-js's own call behind the stream (not in its typings: internal).
  const inner = (call as unknown as { call?: { serializeMessage?: (m: unknown) => Buffer } }).call;
  const serialize = inner?.serializeMessage;
  if (!inner || typeof serialize !== 'function') return undefined;
  inner.serializeMessage = (m: unknown): Buffer =>
    typeof m === 'object' && m !== null && FRAMES.has(m) ? (m as Buffer) : serialize.call(inner, m);
  return (frame, done) => {
    const b = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    FRAMES.add(b);
    return call.write(b, done);
  };
}

function adapt(call: grpc.ServerDuplexStream<Buffer, Buffer>): StreamIO {
  const writeFramed = framedWriter(call);
  return {
    peer: call.getPeer(),
    ...(writeFramed ? { writeFramed } : {}),
    write: (bytes, done) => scratch.write(bytes, () => call.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), done)),
    alloc: (n) => scratch.alloc(n),
    onDrain: (cb) => {
      call.on('drain', cb);
    },
    fail: (code, message) => {
      call.emit('error', { code, details: message });
    },
  };
}

export interface XdsGrpcServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Another gRPC service served next to xDS (the CA's CreateCertificate on the TLS port). */
export interface ExtraService {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

export interface XdsServerOptions {
  readonly maxSendBytes?: number;
  /**
   * Connections get a GOAWAY after about this long (±10 % jitter, by grpc-js), so proxies
   * reconnect — and spread over the replicas behind the Service after a scale-up; 0 = never.
   * istiod: 30 min (--keepaliveMaxServerConnectionAge).
   */
  readonly maxConnectionAgeMs?: number;
  /** Streams still open this long after the GOAWAY are closed (istiod: 10 s). */
  readonly maxConnectionAgeGraceMs?: number;
  /** Keepalive ping interval and ack wait (defaults 30 s / 30 s); tests shorten them. */
  readonly keepaliveTimeMs?: number;
  readonly keepaliveTimeoutMs?: number;
  /** Per-call stream options (the TLS port's authorization); undefined = none. */
  readonly streamOptions?: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => OpenOptions | undefined;
  readonly extraServices?: readonly ExtraService[];
}

export const DEFAULT_MAX_CONNECTION_AGE_MS = 30 * 60_000;
export const DEFAULT_MAX_CONNECTION_AGE_GRACE_MS = 10_000;
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 30_000;

/** A grpc-js server with every xDS service (and `extraServices`) registered, not bound yet. */
export function buildXdsGrpcServer(engine: AdsEngine, opts: XdsServerOptions = {}): grpc.Server {
  const age = opts.maxConnectionAgeMs ?? DEFAULT_MAX_CONNECTION_AGE_MS;
  const server = new grpc.Server({
    ...(age > 0
      ? {
          'grpc.max_connection_age_ms': age,
          'grpc.max_connection_age_grace_ms': opts.maxConnectionAgeGraceMs ?? DEFAULT_MAX_CONNECTION_AGE_GRACE_MS,
        }
      : {}),
    'grpc.max_send_message_length': opts.maxSendBytes ?? -1,
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    // Pings every 30 s find dead peers. The ack wait is 30 s, not istiod's 10 s: grpc-js times it
    // with a timer, and after an event-loop stall Node runs expired timers before it reads the
    // socket, so a stall longer than the wait closed healthy connections whose ack was already there.
    'grpc.keepalive_time_ms': opts.keepaliveTimeMs ?? 30_000,
    'grpc.keepalive_timeout_ms': opts.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    // No channelz bookkeeping: tspilot serves no channelz service, so the per-connection trackers
    // and registry entries grpc-js keeps for it were never read — ~1 KB of heap per connection
    // (2,000 proxies: ~2 MB, twice that while a reconnect storm overlaps closing and new sessions).
    'grpc.enable_channelz': 0,
  });
  for (const s of SERVICES) {
    const def: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const impl: grpc.UntypedServiceImplementation = {};
    for (const m of s.methods) {
      def[m.name] = bidi(`/${s.service}/${m.name}`);
      const handler = (call: grpc.ServerDuplexStream<Buffer, Buffer>): void => {
        // grpc-js would keep the socket reads of each stream's last request (grpc-reads.ts).
        releaseRequestReads(call);
        const h = engine.open(adapt(call), s.type, m.protocol, opts.streamOptions?.(call));
        call.on('data', (b: Buffer) => h.onMessage(b));
        call.on('end', () => {
          h.onEnd();
          call.end();
        });
        call.on('cancelled', () => h.onEnd());
        call.on('error', () => h.onEnd());
        call.on('close', () => h.onEnd());
      };
      impl[m.name] = handler as grpc.UntypedHandleCall;
    }
    server.addService(def as grpc.ServiceDefinition, impl);
  }
  for (const x of opts.extraServices ?? []) server.addService(x.definition, x.implementation);
  return server;
}

/** Stops a grpc-js server: gracefully, then forcefully after 2 s. */
export function shutdown(server: grpc.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 2000);
    server.tryShutdown(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** The plaintext xDS port (15010). */
export async function startXdsServer(engine: AdsEngine, host: string, port: number, opts: XdsServerOptions = {}): Promise<XdsGrpcServer> {
  const server = buildXdsGrpcServer(engine, opts);
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  return { port: bound, close: () => shutdown(server) };
}
