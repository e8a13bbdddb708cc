/**
 * @module server/xds/conformance/harness
 * Test harness for the xDS conformance suite: a real AdsEngine over a real SnapshotCache, with
 * the real push runner in front (`engine.push(mesh, scope)` pushes as the server does), driven
 * through one of two transports — an in-memory StreamIO (`memory`) or real gRPC (`grpc`, the
 * engine behind startXdsServer and a grpc-js client) — so the same cases run on both. Clients
 * speak SotW or Delta; responses are decoded into one shape (names, versions, removed).
 */
import * as grpc from '@grpc/grpc-js';
import type { MeshConfig } from '../../../model/config.js';
import { FULL_PUSH, fullPush, type PushScope } from '../../../model/push.js';
import { messageType } from '../../../proto/registry.js';
import { MESSAGE_OF, isXdsType } from '../../../proto/typeurls.js';
import { encodeDeltaRequest, encodeSotwRequest, type DeltaRequest, type SotwRequest, type WireNode } from '../../../proto/wire.js';
import { parseConfigText } from '../../../watchers/file/parse.js';
import { buildMesh } from '../../../watchers/mesh.js';
import { emptyState, reduce } from '../../../watchers/store/reduce.js';
import { SnapshotCache, type SnapshotCacheOptions } from '../../cache/snapshot.js';
import { AdsEngine, type AdsEvents, type EngineOptions, type OpenOptions, type StreamIO } from '../ads.js';
import { startXdsServer, type XdsGrpcServer } from '../grpc.js';
import { delta } from '../delta.js';
import { sotw } from '../sotw.js';
import type { ProtocolFactory } from '../protocol.js';
import { PushRunner, type RunnerEvents } from '../../push/runner.js';

export type Transport = 'memory' | 'grpc';
export type Variant = 'sotw' | 'delta';

export interface Resp {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  /** Resource names in order, with the type_url of each packed Any and a per-resource version (delta) or ''. */
  readonly resources: readonly { name: string; typeUrl: string; version: string }[];
  readonly removed: readonly string[];
}

export interface TestClient {
  sotw(r: Partial<SotwRequest> & { typeUrl: string }): void;
  delta(r: Partial<DeltaRequest> & { typeUrl: string }): void;
  /** Sends raw bytes (for malformed input tests). */
  sendRaw(bytes: Uint8Array): void;
  next(timeoutMs?: number): Promise<Resp>;
  /** Resolves true when no response arrives within `ms`. */
  none(ms?: number): Promise<boolean>;
  readonly received: Resp[];
  /** The raw bytes of every response, as received. */
  readonly raw: Uint8Array[];
  readonly status: Promise<{ code: number; details: string }>;
  /** Stop reading (memory transport: write callbacks are held). */
  pause(): void;
  close(): void;
}

export function meshOf(yaml: string): MeshConfig {
  const r = parseConfigText(yaml, 'conformance.yaml');
  if (!r.ok) throw new Error(r.reason);
  if (r.file.rejections.length) throw new Error(JSON.stringify(r.file.rejections));
  const st = emptyState();
  reduce(st, { type: 'replace', origin: { source: 'conformance.yaml' }, objects: r.file.objects, rejections: [] });
  reduce(st, { type: 'synced' });
  return buildMesh(st).mesh;
}

const nameField = (t: string): string => (t.endsWith('ClusterLoadAssignment') ? 'cluster_name' : 'name');

function decodeAnyName(typeUrl: string, value: Uint8Array): string {
  if (!isXdsType(typeUrl)) return '?';
  const m = messageType(MESSAGE_OF[typeUrl]);
  return (m.decode(value) as unknown as Record<string, string>)[nameField(typeUrl)] ?? '';
}

export function decodeResponse(variant: Variant, b: Uint8Array): Resp {
  if (variant === 'sotw') {
    const t = messageType('envoy.service.discovery.v3.DiscoveryResponse');
    const o = t.toObject(t.decode(b), { defaults: true, arrays: true }) as {
      version_info: string;
      type_url: string;
      nonce: string;
      resources: { type_url: string; value: Uint8Array }[];
    };
    return {
      versionInfo: o.version_info,
      typeUrl: o.type_url,
      nonce: o.nonce,
      removed: [],
      resources: o.resources.map((a) => ({ name: decodeAnyName(a.type_url, a.value), typeUrl: a.type_url, version: '' })),
    };
  }
  const t = messageType('envoy.service.discovery.v3.DeltaDiscoveryResponse');
  const o = t.toObject(t.decode(b), { defaults: true, arrays: true }) as {
    system_version_info: string;
    type_url: string;
    nonce: string;
    removed_resources: string[];
    resources: { name: string; version: string; resource: { type_url: string; value: Uint8Array } | null }[];
  };
  return {
    versionInfo: o.system_version_info,
    typeUrl: o.type_url,
    nonce: o.nonce,
    removed: o.removed_resources,
    resources: o.resources.map((r) => ({ name: r.name, typeUrl: r.resource?.type_url ?? '', version: r.version })),
  };
}

export const PROTOCOLS: Record<Variant, ProtocolFactory> = { sotw, delta };

/** The engine with the push runner in front, as the server wires them: `push` takes a mesh and a scope (default: full). */
export class PushingEngine extends AdsEngine {
  readonly runner: PushRunner;

  constructor(cache: SnapshotCache, events: AdsEvents = {}, opts: EngineOptions = {}, runnerEvents: RunnerEvents = {}) {
    super(cache, events, Date.now, opts);
    this.runner = new PushRunner(cache, this, runnerEvents);
  }

  /** Pushes `mesh`; returns the responses queued. */
  push(mesh: MeshConfig, scope: PushScope = FULL_PUSH): number {
    return this.runner.push({ ...fullPush(mesh), scope });
  }
}

/** One engine + transport; `connect` opens client streams against it. */
export interface Harness {
  readonly engine: PushingEngine;
  readonly cache: SnapshotCache;
  /**
   * `service`: over gRPC the method path (default: the ADS method); in memory the type an empty
   * type_url defaults to. `open` (memory only): per-stream options such as the caller's identity.
   */
  connect(variant: Variant, service?: string, open?: OpenOptions): TestClient;
  stop(): Promise<void>;
}

function clientCore(variant: Variant): {
  push(b: Uint8Array): void;
  c: Omit<TestClient, 'sotw' | 'delta' | 'sendRaw' | 'status' | 'pause' | 'close'>;
} {
  const received: Resp[] = [];
  const raw: Uint8Array[] = [];
  const waiters: ((r: Resp) => void)[] = [];
  let read = 0;
  return {
    push: (b) => {
      const r = decodeResponse(variant, b);
      raw.push(new Uint8Array(b));
      received.push(r);
      const w = waiters.shift();
      if (w) {
        read++;
        w(r);
      }
    },
    c: {
      received,
      raw,
      next: (timeoutMs = 3000) => {
        if (read < received.length) return Promise.resolve(received[read++]!);
        return new Promise((resolve, reject) => {
          const w = (r: Resp): void => {
            clearTimeout(timer);
            resolve(r);
          };
          const timer = setTimeout(() => {
            waiters.splice(waiters.indexOf(w), 1);
            reject(new Error('no response in time'));
          }, timeoutMs);
          waiters.push(w);
        });
      },
      none: (ms = 150) =>
        new Promise((resolve) => {
          const before = received.length;
          setTimeout(() => resolve(received.length === before && read === received.length), ms);
        }),
    },
  };
}

const PATHS: Record<Variant, string> = {
  sotw: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
  delta: '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
};

export async function startHarness(
  transport: Transport,
  mesh: MeshConfig,
  opts: EngineOptions = {},
  events: AdsEvents = {},
  cacheOpts: SnapshotCacheOptions = {},
  runnerEvents: RunnerEvents = {},
): Promise<Harness> {
  const cache = new SnapshotCache(mesh, cacheOpts);
  const engine = new PushingEngine(cache, events, opts, runnerEvents);
  const open: (() => void)[] = [];
  let server: XdsGrpcServer | undefined;
  let address = '';
  if (transport === 'grpc') {
    server = await startXdsServer(engine, '127.0.0.1', 0);
    address = `127.0.0.1:${server.port}`;
  }
  const connect = (variant: Variant, service?: string, openOpts: OpenOptions = {}): TestClient => {
    const core = clientCore(variant);
    const enc = (r: object): Uint8Array =>
      variant === 'delta'
        ? encodeDeltaRequest(r as Partial<DeltaRequest> & { typeUrl: string })
        : encodeSotwRequest(r as Partial<SotwRequest> & { typeUrl: string });
    if (transport === 'memory') {
      let resolveStatus!: (s: { code: number; details: string }) => void;
      const status = new Promise<{ code: number; details: string }>((r) => {
        resolveStatus = r;
      });
      let paused = false;
      const held: (() => void)[] = [];
      const io: StreamIO = {
        peer: 'memory',
        write: (bytes, done) => {
          // A paused client reads nothing: the bytes and the "taken" signal wait in the transport.
          if (paused) {
            held.push(() => {
              core.push(bytes);
              done?.();
            });
            return false;
          }
          core.push(bytes);
          if (done) queueMicrotask(done);
          return true;
        },
        onDrain: () => {},
        fail: (code, details) => resolveStatus({ code, details }),
      };
      const defaultType = service;
      const h = engine.open(io, defaultType, PROTOCOLS[variant], openOpts);
      const close = (): void => {
        h.onEnd();
        resolveStatus({ code: 1, details: 'cancelled' });
      };
      open.push(close);
      return {
        ...core.c,
        status,
        close,
        sotw: (r) => h.onMessage(enc(r)),
        delta: (r) => h.onMessage(enc(r)),
        sendRaw: (b) => h.onMessage(b),
        pause: () => {
          paused = true;
        },
      };
    }
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    const call = client.makeBidiStreamRequest(
      service ?? PATHS[variant],
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    call.on('data', (b: Buffer) => core.push(b));
    call.on('error', () => {
      /* reported through status */
    });
    const status = new Promise<{ code: number; details: string }>((resolve) =>
      call.on('status', (s: grpc.StatusObject) => resolve({ code: s.code, details: s.details })),
    );
    const close = (): void => {
      call.cancel();
      client.close();
    };
    open.push(close);
    const write = (b: Uint8Array): void => {
      call.write(Buffer.from(b));
    };
    return {
      ...core.c,
      status,
      close,
      sotw: (r) => write(enc(r)),
      delta: (r) => write(enc(r)),
      sendRaw: write,
      pause: () => {
        call.pause();
      },
    };
  };
  return {
    engine,
    cache,
    connect,
    stop: async () => {
      for (const c of open) c();
      await server?.close();
    },
  };
}

export const NODE = (name = 'client-1', ns = 'default'): WireNode => ({
  id: `sidecar~10.0.0.1~${name}.${ns}~${ns}.svc.cluster.local`,
  cluster: 'test',
  metadata: { NAMESPACE: ns },
  userAgentName: 'conformance',
  clientFeatures: [],
  locality: null,
});
