/**
 * @module server/xds/ads
 * The ADS engine: owns the connected streams, drives the SotW state machine (sotw.ts) with
 * decoded requests and config pushes, and writes responses through an abstract StreamIO (grpc.ts
 * adapts grpc-js to it; tests use an in-memory one). Per stream, responses wait in a latest-wins
 * slot per type, written in CDS → EDS → LDS → RDS order as the transport drains, so a client that
 * stops reading holds at most one pending response per type (bounded memory).
 */
import type { MeshConfig } from '../../model/config.js';
import { parseNodeId, type Proxy } from '../../model/proxy.js';
import { decodeSotwRequest, sotwResponseBytes, type SotwRequest } from '../../proto/wire.js';
import { PUSH_ORDER, SHORT, isXdsType, type XdsType } from '../../proto/typeurls.js';
import type { SnapshotCache } from '../cache/snapshot.js';
import { onPush, onRequest, type RequestOutcome } from './sotw.js';
import type { SotwResponse, StreamState } from './state.js';

/** gRPC status codes used here (kept local so the engine does not import grpc-js). */
export const Status = { INVALID_ARGUMENT: 3, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, INTERNAL: 13, UNAVAILABLE: 14 } as const;

export interface StreamIO {
  readonly peer: string;
  /** Writes one serialized response; false means "buffer full, wait for onDrain". */
  write(bytes: Uint8Array): boolean;
  onDrain(cb: () => void): void;
  /** Ends the stream with an error status. */
  fail(code: number, message: string): void;
}

export interface AdsEvents {
  connected?(s: StreamState): void;
  disconnected?(s: StreamState): void;
  request?(s: StreamState, req: SotwRequest, outcome: RequestOutcome): void;
  sent?(s: StreamState, r: SotwResponse, bytes: number): void;
  rejected?(peer: string, reason: string): void;
}

export interface StreamHandle {
  onMessage(bytes: Uint8Array): void;
  onEnd(): void;
}

interface Connection {
  readonly io: StreamIO;
  state: StreamState | null;
  readonly pending: Map<XdsType, SotwResponse>;
  blocked: boolean;
  closed: boolean;
  readonly defaultType: string | undefined;
}

export class AdsEngine {
  private readonly conns = new Set<Connection>();
  private seq = 0;

  constructor(private readonly cache: SnapshotCache, private readonly events: AdsEvents = {}, private readonly now: () => number = Date.now) {}

  /** Streams that have sent a valid first request. */
  streams(): StreamState[] {
    return [...this.conns].map((c) => c.state).filter((s): s is StreamState => s !== null);
  }

  /** Responses waiting on streams that are not reading (for tests and metrics). */
  pendingCount(): number {
    let n = 0;
    for (const c of this.conns) n += c.pending.size;
    return n;
  }

  /** A new stream; `defaultType` fills an empty type_url (per-type services, not ADS). */
  open(io: StreamIO, defaultType?: string): StreamHandle {
    const conn: Connection = { io, state: null, pending: new Map(), blocked: false, closed: false, defaultType };
    this.conns.add(conn);
    io.onDrain(() => { conn.blocked = false; this.flush(conn); });
    return {
      onMessage: (bytes) => this.onMessage(conn, bytes),
      onEnd: () => this.close(conn),
    };
  }

  private close(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.pending.clear();
    this.conns.delete(conn);
    if (conn.state) this.events.disconnected?.(conn.state);
  }

  private fail(conn: Connection, code: number, message: string): void {
    this.events.rejected?.(conn.io.peer, message);
    conn.io.fail(code, message);
    this.close(conn);
  }

  private proxyOf(node: NonNullable<SotwRequest['node']>): { proxy: Proxy } | { error: string } {
    const parsed = parseNodeId(node.id, node.metadata);
    if (!parsed.ok) return { error: parsed.reason };
    const pod = this.cache.mesh.pods.get(`${parsed.proxy.namespace}/${parsed.proxy.workloadName}`);
    // Pod labels come from the registry; only workloads without a pod (VMs) rely on LABELS metadata.
    return { proxy: pod ? { ...parsed.proxy, labels: pod.meta.labels } : parsed.proxy };
  }

  private onMessage(conn: Connection, bytes: Uint8Array): void {
    if (conn.closed) return;
    let req: SotwRequest;
    try {
      req = decodeSotwRequest(bytes);
      if (!req.typeUrl && conn.defaultType) req = { ...req, typeUrl: conn.defaultType };
    } catch (e) {
      this.fail(conn, Status.INVALID_ARGUMENT, `malformed DiscoveryRequest: ${(e as Error).message}`);
      return;
    }
    if (!conn.state) {
      if (!req.node || !req.node.id) {
        this.fail(conn, Status.INVALID_ARGUMENT, 'the first DiscoveryRequest of a stream must carry node.id');
        return;
      }
      const p = this.proxyOf(req.node);
      if ('error' in p) { this.fail(conn, Status.INVALID_ARGUMENT, `invalid node: ${p.error}`); return; }
      conn.state = {
        id: `${p.proxy.id}-${++this.seq}`, proxy: p.proxy, node: req.node, kind: 'sotw', connectedAt: this.now(),
        peer: conn.io.peer, types: new Map(), nonceSeq: 0,
      };
      this.events.connected?.(conn.state);
    }
    const st = conn.state;
    if (!isXdsType(req.typeUrl) && req.typeUrl !== '') {
      // Types we do not serve (istio-agent's NameTable, ProxyConfig…) are tolerated and ignored.
      this.events.request?.(st, req, { kind: 'unknown-type', typeUrl: req.typeUrl, resubscribed: false, response: null });
      return;
    }
    if (!req.typeUrl) { this.fail(conn, Status.INVALID_ARGUMENT, 'DiscoveryRequest.type_url is required on an aggregated stream'); return; }
    const outcome = onRequest(st, req, this.cache.forProxy(st.proxy), this.now());
    this.events.request?.(st, req, outcome);
    if (outcome.response) this.enqueue(conn, outcome.response);
  }

  private enqueue(conn: Connection, r: SotwResponse): void {
    conn.pending.set(r.typeUrl as XdsType, r); // latest wins
    this.flush(conn);
  }

  private flush(conn: Connection): void {
    while (!conn.blocked && !conn.closed && conn.pending.size) {
      const t = PUSH_ORDER.find((x) => conn.pending.has(x))!;
      const r = conn.pending.get(t)!;
      conn.pending.delete(t);
      const bytes = sotwResponseBytes(r.versionInfo, r.typeUrl, r.nonce, r.resources.map((x) => x.any));
      const ts = conn.state?.types.get(t);
      if (ts) ts.sentAt = this.now();
      const ok = conn.io.write(bytes);
      if (conn.state) this.events.sent?.(conn.state, r, bytes.length);
      if (!ok) conn.blocked = true;
    }
  }

  /** A new mesh: recompute every stream's owed responses. */
  push(mesh: MeshConfig, types?: ReadonlySet<XdsType>): number {
    this.cache.setMesh(mesh);
    let sent = 0;
    for (const conn of this.conns) {
      if (!conn.state || conn.closed) continue;
      for (const r of onPush(conn.state, this.cache.forProxy(conn.state.proxy), types)) { this.enqueue(conn, r); sent++; }
    }
    return sent;
  }
}

export const typeShort = (t: string): string => (isXdsType(t) ? SHORT[t] : t);
