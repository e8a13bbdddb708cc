/**
 * @module server/observe
 * Turns what the ADS engine and the pipeline do into istiod's metrics (server/metrics.ts) and the
 * `/debug/push_status` history. It plugs in from the outside only: an `AdsEvents` hooks object
 * (merged with the logging hooks by `mergeEvents`), `beginPush` around each pipeline update, and
 * `meterSends` wrapping the engine's streams to time writes. Nothing here changes what is sent.
 *
 * A response is attributed to a push unless it answered a request (the `request` hook sees the
 * response it produced first), so convergence and queue times count pushes only, also when a slow
 * client drains its latest-wins slot after the push call returned.
 */
import type { PushRequest } from '../model/push.js';
import type { AdsEngine, AdsEvents, StreamIO } from './xds/ads.js';
import { typeShort } from './xds/ads.js';
import type { StreamState } from './xds/state.js';
import { PilotMetrics } from './metrics.js';

export interface PushRecord {
  readonly seq: number;
  readonly generation: number;
  /** When the push started (ISO time). */
  readonly at: string;
  /** Config kinds changed since the previous push. */
  readonly kinds: readonly string[];
  /** istiod's trigger types for those kinds (service, endpoint, config). */
  readonly triggers: readonly string[];
  /** From the first change to the push (debounce included). */
  readonly debounceMs: number;
  /** Time in the push call (translate + encode + enqueue for every proxy). */
  durationMs: number;
  /** Responses queued by the push. */
  responses: number;
  /** Streams sent something by this push, so far. */
  proxyCount: number;
  /** The first of their proxies (bounded, so the history stays small with a large fleet). */
  readonly proxies: string[];
}

/** A parameter list without its first element (the engine's `open` takes more than the StreamIO). */
type RestOf<T extends unknown[]> = T extends [unknown, ...infer R] ? R : never;

const HISTORY = 100;
const PROXIES_LISTED = 50;

/** Calls each hook of `a` then of `b`. */
export function mergeEvents(a: AdsEvents, b: AdsEvents): AdsEvents {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof AdsEvents>;
  const out: Record<string, (...args: never[]) => void> = {};
  for (const k of keys) {
    const fa = a[k] as ((...args: unknown[]) => void) | undefined;
    const fb = b[k] as ((...args: unknown[]) => void) | undefined;
    out[k] = (...args: unknown[]) => {
      fa?.(...args);
      fb?.(...args);
    };
  }
  return out as AdsEvents;
}

const versionOf = (s: StreamState): string =>
  typeof s.node.metadata['ISTIO_VERSION'] === 'string' ? s.node.metadata['ISTIO_VERSION'] : '';

export class Observer {
  private readonly history: PushRecord[] = [];
  private seq = 0;
  private readonly answers = new WeakSet<object>();
  /** stream id → seq of the last push it was counted in (convergence once per proxy per push). */
  private readonly counted = new Map<string, number>();
  /** stream id → its `pilot_xds` version label (bounded values, see PilotMetrics.versionLabel). */
  private readonly versionLabels = new Map<string, string>();
  private current: { rec: PushRecord; startedAt: number; firstChangeAt: number } | null = null;
  readonly events: AdsEvents;

  constructor(
    readonly metrics: PilotMetrics = new PilotMetrics(),
    private readonly now: () => number = Date.now,
  ) {
    const m = this.metrics;
    this.events = {
      connected: (s) => {
        this.versionLabels.set(s.id, m.xdsConnected(versionOf(s)));
      },
      disconnected: (s) => {
        const label = this.versionLabels.get(s.id);
        if (label !== undefined) {
          this.versionLabels.delete(s.id);
          m.xdsDisconnected(label);
        }
        this.counted.delete(s.id);
        m.clearReject(s.proxy.id);
      },
      streamError: () => {
        m.pushContextErrors.inc();
      },
      request: (s, req, o) => this.outcome(s, o, req.errorDetail?.code ?? 2),
      deltaRequest: (s, req, o) => this.outcome(s, o, req.errorDetail?.code ?? 2),
      sent: (s, r, bytes) => {
        const type = typeShort(r.typeUrl);
        m.pushes.inc({ type });
        m.configSize.observe({ type }, bytes);
        const p = this.current;
        if (!p || this.answers.has(r)) return;
        const t = this.now();
        m.pushTime.observe({ type }, (t - p.startedAt) / 1000);
        if (this.counted.get(s.id) === p.rec.seq) return;
        this.counted.set(s.id, p.rec.seq);
        p.rec.proxyCount++;
        if (p.rec.proxies.length < PROXIES_LISTED && !p.rec.proxies.includes(s.proxy.id)) p.rec.proxies.push(s.proxy.id);
        m.queueTime.observe((t - p.startedAt) / 1000);
        m.convergence.observe((t - p.firstChangeAt) / 1000);
      },
    };
  }

  /** A request classified by the SotW or Delta state machine. */
  private outcome(
    s: StreamState,
    o: { readonly kind: string; readonly typeUrl: string; readonly response: object | null },
    code: number,
  ): void {
    const m = this.metrics;
    if (o.response) this.answers.add(o.response);
    const type = typeShort(o.typeUrl);
    if (o.kind === 'nack') m.nack(s.proxy.id, type, code);
    else if (o.kind === 'ack' && (type === 'cds' || type === 'eds' || type === 'lds' || type === 'rds')) m.clearReject(s.proxy.id, type);
    else if (o.kind === 'stale') m.expiredNonce.inc({ type });
  }

  /** Records a pipeline update about to be pushed; call `end` with the push's response count. */
  beginPush(u: PushRequest): { end(responses: number): PushRecord } {
    const startedAt = this.now();
    const kinds = [...u.kinds].sort();
    const triggers = [...u.reasons];
    for (const t of triggers) this.metrics.triggers.inc({ type: t });
    this.metrics.debounceTime.observe(Math.max(0, startedAt - u.firstChangeAt) / 1000);
    // The pipeline may report how long building the MeshConfig (istiod's push context) took.
    this.metrics.pushContextInit.observe(u.buildMs / 1000);
    this.metrics.setMesh(u.mesh);
    const rec: PushRecord = {
      seq: ++this.seq,
      generation: u.mesh.generation,
      at: new Date(startedAt).toISOString(),
      kinds,
      triggers,
      debounceMs: Math.max(0, startedAt - u.firstChangeAt),
      durationMs: 0,
      responses: 0,
      proxyCount: 0,
      proxies: [],
    };
    this.current = { rec, startedAt, firstChangeAt: u.firstChangeAt };
    this.history.push(rec);
    if (this.history.length > HISTORY) this.history.shift();
    return {
      end: (responses) => {
        rec.durationMs = Math.round((this.now() - startedAt) * 10) / 10;
        rec.responses = responses;
        return rec;
      },
    };
  }

  /** The last pushes, newest first, as `/debug/push_status` shows them. */
  pushStatus(): object {
    return {
      pushes: [...this.history].reverse().map((r) => {
        const proxies = [...r.proxies].sort();
        const omitted = r.proxyCount - proxies.length;
        return {
          seq: r.seq,
          generation: r.generation,
          at: r.at,
          kinds: r.kinds,
          triggers: r.triggers,
          debounceMs: r.debounceMs,
          durationMs: r.durationMs,
          responses: r.responses,
          proxyCount: r.proxyCount,
          proxies,
          ...(omitted > 0 ? { proxiesOmitted: omitted } : {}),
        };
      }),
    };
  }

  /** Times every write of every stream the engine opens from now on (pilot_xds_send_time). */
  meterSends(engine: AdsEngine): void {
    const open = engine.open.bind(engine);
    const hist = this.metrics.sendTime;
    engine.open = (io: StreamIO, ...rest: RestOf<Parameters<AdsEngine['open']>>) =>
      open(
        new Proxy(io, {
          get(target, prop, receiver) {
            if (prop !== 'write') return Reflect.get(target, prop, receiver) as unknown;
            return (...args: Parameters<StreamIO['write']>): boolean => {
              const t0 = performance.now();
              try {
                return target.write(...args);
              } finally {
                hist.observe((performance.now() - t0) / 1000);
              }
            };
          },
        }),
        ...rest,
      );
  }
}
