/**
 * @module bench/ceiling-run
 * The bench's physical limit: replays the responses tspilot sent in the cold start (recorded per
 * type in `recDir`) from a bare grpc-js server (ceiling.ts, in a child process) to a fresh fleet of
 * the same proxies, over TLS when the run used TLS, and measures its cold start the same way. The
 * ratio of tspilot's cold-start throughput to this one is the bench's headline ratio.
 */
import path from 'node:path';
import { FleetClient } from '../e2e/fleet/client.js';
import type { WireNode } from '../proto/wire.js';
import { ROOT, startChild, stopChild } from './launch.js';
import { maxOf, pct, type BenchResult, type ScenarioResult } from './report.js';
import type { BenchTls } from './tls.js';
import { waitFor } from './wait.js';

export interface CeilingRun {
  readonly proxies: number;
  readonly delta: boolean;
  /** Proxy i's node, as in the tspilot run. */
  node(i: number): WireNode;
  readonly tls: BenchTls | undefined;
  readonly timeoutMs: number;
  log(line: string): void;
}

/** The ceiling's cold start: its scenario row and its throughput. */
export async function runCeiling(recDir: string, o: CeilingRun): Promise<{ scenario: ScenarioResult; ceiling: BenchResult['ceiling'] }> {
  const tls = o.tls;
  o.log(`ceiling: bare grpc-js server replaying the same responses${tls ? " over TLS (the fleet's own TLS cost, no authentication)" : ''}`);
  const ceiling = await startChild(
    [path.join(ROOT, 'dist/bench/ceiling.js'), recDir, ...(tls ? [tls.certFile, tls.keyFile] : [])],
    (line) => {
      try {
        return (JSON.parse(line) as { port: number }).port;
      } catch {
        return null;
      }
    },
  );
  const cfleet = Array.from(
    { length: o.proxies },
    (_, i) =>
      new FleetClient({
        address: `127.0.0.1:${ceiling.port}`,
        node: o.node(i),
        delta: o.delta,
        ...(tls ? { tls: tls.client(o.node(i).metadata['NAMESPACE'] as string) } : {}),
      }),
  );
  const ct0 = performance.now();
  for (const c of cfleet) c.connect();
  await waitFor('ceiling', () => cfleet.filter((c) => c.completeAt).length, cfleet.length, o.timeoutMs);
  const cms = cfleet.filter((c) => c.completeAt).map((c) => c.completeAt - ct0);
  const cbytes = cfleet.reduce((a, c) => a + c.bytes, 0);
  for (const c of cfleet) c.stop();
  await stopChild(ceiling.proc);
  const ceilingMs = maxOf(cms);
  return {
    ceiling: { coldStartMs: ceilingMs, bytes: cbytes, mbPerS: cbytes / 1e6 / (ceilingMs / 1000 || 1) },
    scenario: {
      name: tls ? 'ceiling cold start (bare grpc-js, TLS)' : 'ceiling cold start (bare grpc-js)',
      proxies: cfleet.length,
      p50: pct(cms, 50),
      p99: pct(cms, 99),
      max: ceilingMs,
      cpuSeconds: 0,
      peakRssMb: 0,
      bytesSent: cbytes,
      otherTypes: {},
      unconverged: cfleet.length - cms.length,
      ms: cms,
      pushes: 0,
      pushMs: 0,
      changeToPushMs: 0,
      fleetCpuSeconds: 0,
      fleetBound: false,
    },
  };
}
