// Contract: small helpers for tests against the fake API server: `waitFor` (poll a predicate),
// `kubeConfigFor` (a client-node KubeConfig aimed at the server), `openRawWatch` (a plain HTTP
// watch stream parsed into events, for asserting the wire protocol without client-node), `track`
// (counts informer handler calls) and `supervise` (the restart-on-error loop client-node's README
// prescribes, because its informer stops on any error other than 410; see apiserver.test.ts).
import { request } from 'node:http';
import { KubeConfig, type Informer, type KubernetesObject } from '@kubernetes/client-node';
import type { FakeApiServer } from './apiserver.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function kubeConfigFor(srv: FakeApiServer): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions(srv.kubeConfigOptions());
  return kc;
}

export interface WireEvent {
  type: string;
  object: Record<string, unknown> & { metadata?: Record<string, unknown> };
}

export interface RawWatch {
  status: number;
  events: WireEvent[];
  /** 'end' = clean end of the chunked body; 'error' = connection broken. */
  readonly outcome: 'open' | 'end' | 'error';
  done: Promise<void>;
  close(): void;
}

export function openRawWatch(url: string): Promise<RawWatch> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET' }, (res) => {
      let outcome: RawWatch['outcome'] = 'open';
      let buf = '';
      const events: WireEvent[] = [];
      let finish: () => void = () => undefined;
      const done = new Promise<void>((r) => {
        finish = r;
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim() !== '') events.push(JSON.parse(line) as WireEvent);
        }
      });
      res.on('end', () => {
        if (outcome === 'open') outcome = 'end';
        finish();
      });
      res.on('error', () => {
        if (outcome === 'open') outcome = 'error';
        finish();
      });
      res.on('aborted', () => {
        if (outcome === 'open') outcome = 'error';
      });
      res.on('close', () => {
        if (outcome === 'open') outcome = 'error';
        finish();
      });
      resolve({
        status: res.statusCode ?? 0,
        events,
        get outcome() {
          return outcome;
        },
        done,
        close: () => {
          req.destroy();
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Tracked {
  adds: string[];
  updates: string[];
  deletes: string[];
  errors: unknown[];
  connects: number;
  count(kind: 'adds' | 'updates' | 'deletes', name: string): number;
}

/** Records every handler call of an informer (names as `<namespace>/<name>`). */
export function track<T extends KubernetesObject>(inf: Informer<T>): Tracked {
  const id = (o: T): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  const t: Tracked = {
    adds: [],
    updates: [],
    deletes: [],
    errors: [],
    connects: 0,
    count: (kind, name) => t[kind].filter((n) => n === name).length,
  };
  inf.on('add', (o) => t.adds.push(id(o)));
  inf.on('update', (o) => t.updates.push(id(o)));
  inf.on('delete', (o) => t.deletes.push(id(o)));
  inf.on('error', (e) => t.errors.push(e));
  inf.on('connect', () => {
    t.connects++;
  });
  return t;
}

/**
 * The restart loop a caller must wrap around a client-node 1.4 informer: it emits 'error' and stops
 * on every failure except 410 (dropped connection, 403, 5xx, connection refused) and ALSO when
 * stop() aborts its watch, so the loop must know whether the stop was intentional.
 */
export function supervise<T extends KubernetesObject>(inf: Informer<T>, restartDelayMs = 50): { stop(): Promise<void>; restarts: number } {
  const s = { stopped: false, restarts: 0, timer: undefined as NodeJS.Timeout | undefined };
  inf.on('error', () => {
    if (s.stopped) return;
    s.timer = setTimeout(() => {
      if (s.stopped) return;
      s.restarts++;
      void inf.start();
    }, restartDelayMs);
  });
  return {
    get restarts() {
      return s.restarts;
    },
    stop: async () => {
      s.stopped = true;
      clearTimeout(s.timer);
      await inf.stop();
    },
  };
}
