/**
 * @module bench/soakload
 * The soak's mixed churn, each part a timer that runs until stopped and counts what it did:
 * - fresh identities: every node id is new (made-up pod name, namespace from the mesh or made up,
 *   made-up labels, now and then a made-up ISTIO_VERSION), as pods being rescheduled or an
 *   attacker would send;
 * - xDS clients (SotW and Delta alternately, some NACKing everything) that connect with a fresh
 *   identity, stay a few seconds and disconnect;
 * - REST-JSON pollers (`POST /v3/discovery:<type>`) and v1 pollers (`GET /v1/listeners|clusters/…`);
 * - config edits in the folder: VirtualService weights, DestinationRule policy, a file renamed
 *   away and back, an atomic replace (write a temp file, rename it over the original);
 * - endpoint flaps: service 0's EndpointSlice alternates between address sets.
 * Nothing here measures; bench/soak.ts samples the server while this runs.
 */
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FleetClient } from '../e2e/fleet/client.js';
import { CDS, EDS, LDS, RDS } from '../proto/typeurls.js';
import type { WireNode } from '../proto/wire.js';
import { drYaml, sliceYaml, vsYaml, type MeshSize } from './meshgen.js';

export interface LoadRates {
  /** Fresh xDS clients per second (each stays 2–8 s). */
  readonly connectsPerS: number;
  /** Fresh REST-JSON polls per second, and as many v1 polls. */
  readonly pollsPerS: number;
  readonly editEveryS: number;
  readonly flapEveryS: number;
  /** Long-lived clients (half Delta) that stay connected the whole run. */
  readonly stable: number;
}

export interface LoadCounts {
  connects: number;
  sotw: number;
  delta: number;
  nackClients: number;
  nacks: number;
  streamErrors: number;
  rest: number;
  restErrors: number;
  v1: number;
  v1Errors: number;
  lastHttpError: string;
  edits: number;
  flaps: number;
  skipped: number;
}

const rand = (n: number): number => Math.floor(Math.random() * n);
const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[rand(16)]).join('');

/** A never-seen-before sidecar identity. */
export function freshNode(seq: number, size: MeshSize): WireNode {
  const ns = seq % 3 === 0 ? `made-up-${hex(6)}` : `ns-${seq % size.namespaces}`;
  const pod = `soak-${hex(10)}-${hex(5)}`;
  const ip = `10.${200 + ((seq >> 16) & 31)}.${(seq >> 8) & 255}.${seq & 255}`;
  const labels: Record<string, string> = { app: `app-${hex(4)}`, version: `v${seq % 3}`, 'pod-template-hash': hex(10) };
  const metadata: Record<string, string | Record<string, string>> = { NAMESPACE: ns, LABELS: labels };
  if (seq % 20 === 0) metadata['ISTIO_VERSION'] = `1.${20 + rand(9)}.${rand(1000)}`;
  return {
    id: `sidecar~${ip}~${pod}.${ns}~${ns}.svc.cluster.local`,
    cluster: 'soak',
    metadata,
    userAgentName: 'tspilot-soak',
    clientFeatures: [],
    locality: null,
  };
}

export interface Load {
  readonly counts: LoadCounts;
  /** xDS clients connected right now (fresh and stable). */
  live(): number;
  /** Stable clients that are connected and hold every type. */
  stableComplete(): number;
  stop(): Promise<void>;
}

export function startLoad(o: {
  xds: string;
  http: number;
  meshDir: string;
  size: MeshSize;
  rates: LoadRates;
  log: (s: string) => void;
}): Load {
  const c: LoadCounts = {
    connects: 0,
    sotw: 0,
    delta: 0,
    nackClients: 0,
    nacks: 0,
    streamErrors: 0,
    rest: 0,
    restErrors: 0,
    v1: 0,
    v1Errors: 0,
    lastHttpError: '',
    edits: 0,
    flaps: 0,
    skipped: 0,
  };
  const { size, rates, meshDir } = o;
  let seq = 0;
  const live = new Set<FleetClient>();
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, f: () => void | Promise<void>): void => {
    if (ms <= 0) return;
    let busy = false;
    timers.push(
      setInterval(() => {
        if (busy) {
          c.skipped++;
          return;
        }
        busy = true;
        Promise.resolve()
          .then(f)
          .catch((e: Error) => o.log(`soak: ${e.message}`))
          .finally(() => {
            busy = false;
          });
      }, ms),
    );
  };

  const stable = Array.from({ length: rates.stable }, (_, i) => {
    const ns = `ns-${i % size.namespaces}`;
    const node: WireNode = {
      id: `sidecar~10.199.0.${i + 1}~stable-${i}.${ns}~${ns}.svc.cluster.local`,
      cluster: 'soak',
      metadata: { NAMESPACE: ns, LABELS: { app: 'stable', version: 'v1' } },
      userAgentName: 'tspilot-soak',
      clientFeatures: [],
      locality: null,
    };
    const client = new FleetClient({ address: o.xds, node, delta: i % 2 === 1 });
    client.connect();
    return client;
  });

  // Fresh xDS clients: connect, hold 2–8 s, disconnect. Every 5th NACKs everything it receives.
  if (rates.connectsPerS > 0) {
    timers.push(
      setInterval(() => {
        if (live.size >= 300) {
          c.skipped++;
          return;
        }
        const n = ++seq;
        const delta = n % 2 === 0;
        const nack = n % 5 === 0;
        const client = new FleetClient({ address: o.xds, node: freshNode(n, size), delta, nack });
        c.connects++;
        if (delta) c.delta++;
        else c.sotw++;
        if (nack) c.nackClients++;
        live.add(client);
        client.connect();
        setTimeout(
          () => {
            c.nacks += client.nacks;
            c.streamErrors += client.retries;
            client.stop();
            live.delete(client);
          },
          2000 + rand(6000),
        );
      }, 1000 / rates.connectsPerS),
    );
  }

  let inflight = 0;
  const http = async (counter: 'rest' | 'v1', req: () => Promise<Response>): Promise<void> => {
    if (inflight >= 64) {
      c.skipped++;
      return;
    }
    inflight++;
    try {
      const res = await req();
      await res.arrayBuffer();
      c[counter]++;
      if (res.status !== 200) {
        c[counter === 'rest' ? 'restErrors' : 'v1Errors']++;
        c.lastHttpError = `${counter} ${res.status}`;
      }
    } catch (e) {
      c[counter]++;
      c[counter === 'rest' ? 'restErrors' : 'v1Errors']++;
      c.lastHttpError = `${counter} ${(e as Error).message}`;
    } finally {
      inflight--;
    }
  };
  const base = `http://127.0.0.1:${o.http}`;
  const REST = [
    ['clusters', CDS],
    ['listeners', LDS],
    ['routes', RDS],
    ['endpoints', EDS],
  ] as const;
  if (rates.pollsPerS > 0) {
    timers.push(
      setInterval(() => {
        const n = ++seq;
        const node = freshNode(n, size);
        const [kind, typeUrl] = REST[n % REST.length]!;
        const names = kind === 'routes' ? ['8000'] : kind === 'endpoints' ? [`outbound|8000||svc-0.ns-0.svc.cluster.local`] : [];
        void http('rest', () =>
          fetch(`${base}/v3/discovery:${kind}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ node: { id: node.id, cluster: node.cluster, metadata: node.metadata }, typeUrl, resourceNames: names }),
          }),
        );
        const m = ++seq;
        const v1node = encodeURIComponent(freshNode(m, size).id);
        void http('v1', () => fetch(`${base}/v1/${m % 2 ? 'listeners' : 'clusters'}/soak/${v1node}`));
      }, 1000 / rates.pollsPerS),
    );
  }

  // Config edits, in turn: VirtualService weights, DestinationRule policy, rename away and back, atomic replace.
  let edit = 0;
  every(rates.editEveryS * 1000, async () => {
    const k = edit++;
    switch (k % 4) {
      case 0:
        await writeFile(path.join(meshDir, 'vs.yaml'), vsYaml(size, k % 8 === 0 ? 70 : 90));
        break;
      case 1:
        await writeFile(path.join(meshDir, 'dr.yaml'), drYaml(size, (k % 7) + 1));
        break;
      case 2: {
        const a = path.join(meshDir, 'ns-1.yaml'),
          b = path.join(meshDir, 'ns-1.renamed.yaml');
        await (k % 8 === 2 ? rename(a, b) : rename(b, a));
        break;
      }
      default: {
        const tmp = path.join(meshDir, `.vs.yaml.tmp-${k}`);
        await writeFile(tmp, vsYaml(size, 80 + (k % 10)));
        await rename(tmp, path.join(meshDir, 'vs.yaml'));
      }
    }
    c.edits++;
  });
  let flap = 0;
  every(rates.flapEveryS * 1000, async () => {
    await writeFile(path.join(meshDir, 'ep-0.yaml'), sliceYaml(0, size, ++flap % 2));
    c.flaps++;
  });

  return {
    counts: c,
    live: () => live.size + stable.filter((s) => s.complete()).length,
    stableComplete: () => stable.filter((s) => s.complete() && !s.error).length,
    async stop() {
      for (const t of timers) clearInterval(t);
      for (const cl of live) {
        c.nacks += cl.nacks;
        cl.stop();
      }
      live.clear();
      for (const s of stable) s.stop();
      for (let i = 0; i < 100 && inflight > 0; i++) await new Promise((r) => setTimeout(r, 50));
    },
  };
}
