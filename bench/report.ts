/**
 * @module bench/report
 * What a bench run measured and how it is printed: one ScenarioResult per scenario (latency
 * percentiles over the proxies, server CPU and peak RSS, bytes, other types pushed, the server's
 * own push timings, the fleet's CPU), the BenchResult of a whole run with the ceiling comparison,
 * and the markdown table `npm run bench` prints.
 */
import type { MeshSize } from './meshgen.js';
import { BREAKDOWN_HEADER, breakdownRow, type MemSample } from './memsample.js';

export interface ScenarioResult {
  readonly name: string;
  readonly proxies: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly bytesSent: number;
  /** Responses of types other than the scenario's target (EDS-only check). */
  readonly otherTypes: Record<string, number>;
  readonly unconverged: number;
  /** Server-side pushes during the scenario: time spent computing them, and change → push done. */
  readonly pushes: number;
  readonly pushMs: number;
  readonly changeToPushMs: number;
  /** CPU seconds of the bench process (the simulated fleet) during the scenario. */
  readonly fleetCpuSeconds: number;
  /** The fleet used over ~90 % of a core: latencies measure the fleet as much as the server. */
  readonly fleetBound: boolean;
  readonly ms: number[];
  /** The server's /debug/memory sample with the highest RSS in the scenario (bench/memsample.ts). */
  readonly memAtPeak?: MemSample | undefined;
}

export interface BenchResult {
  readonly size: MeshSize & { proxies: number; delta: boolean };
  readonly scoped: boolean;
  readonly configBytesPerProxy: number;
  /** Flags given to the server beyond the bench's ports and mesh folder (none: its defaults). */
  readonly serverFlags: readonly string[];
  readonly scenarios: ScenarioResult[];
  readonly ceiling: { coldStartMs: number; bytes: number; mbPerS: number };
  readonly tspilotColdMbPerS: number;
  readonly throughputRatio: number;
  /** Fleet streams that failed and were retried (as Envoy would). */
  readonly fleetRetries: number;
  /** The server's memory over the run, and where each scenario started (bench/memsample.ts). */
  readonly memory?: { readonly samples: readonly MemSample[]; readonly marks: readonly { t: number; label: string }[] };
}

/** Max without spreading (a minute of churn gives hundreds of thousands of samples). */
export const maxOf = (v: readonly number[]): number => v.reduce((a, b) => (b > a ? b : a), 0);

/** The p-th percentile (nearest rank); 0 for no samples. */
export function pct(v: number[], p: number): number {
  if (!v.length) return 0;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** How proxies see services, for the run's header lines. */
export function scopeText(size: MeshSize): string {
  return size.scoped ? 'scoped by a root Sidecar (egress ./*, istio-system/*)' : 'unscoped (every proxy sees every service)';
}

export function table(r: BenchResult): string {
  const f = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const rows = r.scenarios.map(
    (s) =>
      `| ${s.name} | ${s.ms.length} (${s.proxies}) | ${f(s.p50)} | ${f(s.p99)} | ${f(s.max)} | ${s.cpuSeconds.toFixed(2)} | ${s.peakRssMb ? s.peakRssMb.toFixed(0) : '—'} | ${(s.bytesSent / 1e6).toFixed(1)} | ${
        Object.entries(s.otherTypes)
          .map(([k, v]) => `${k}:${v}`)
          .join(' ') || '—'
      } | ${s.pushes ? `${s.pushes}: ${f(s.pushMs)} (${s.changeToPushMs})` : '—'} | ${s.fleetCpuSeconds.toFixed(2)}${s.fleetBound ? ' (fleet-bound)' : ''} |`,
  );
  return [
    `mesh: ${r.size.heavy ? 'heavy shape, ' : ''}${r.size.services} services × ${r.size.endpointsPerService} endpoints, ${r.size.namespaces} namespaces; ${r.size.proxies} ${r.size.delta ? 'delta' : 'SotW'} proxies; ${scopeText(r.size)}${r.size.routing === 'httproute' ? '; routing as Gateway API HTTPRoutes over version Services' : r.size.routing === 'virtualservice-services' ? '; routing as VirtualServices over version Services' : ''}`,
    `config per proxy: ${(r.configBytesPerProxy / 1024).toFixed(1)} KB; server flags: ${r.serverFlags.length ? r.serverFlags.join(' ') : 'defaults'}`,
    '',
    '| scenario | samples (proxies) | p50 ms | p99 ms | max ms | server CPU s | server peak RSS MB | MB sent | other types pushed | pushes: compute ms (max change→pushed ms) | fleet CPU s |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `fleet streams that failed and were retried: ${r.fleetRetries}`,
    `cold start throughput: tspilot ${r.tspilotColdMbPerS.toFixed(1)} MB/s, ceiling ${r.ceiling.mbPerS.toFixed(1)} MB/s → ratio ${(r.throughputRatio * 100).toFixed(0)}%`,
    ...(r.memory
      ? [
          '',
          "server memory at each scenario's peak (GET /debug/memory):",
          '',
          ...BREAKDOWN_HEADER,
          ...r.scenarios.filter((s) => s.peakRssMb).map((s) => breakdownRow(s.name, s.peakRssMb, s.memAtPeak)),
        ]
      : []),
  ].join('\n');
}
