/**
 * @module bench/scenarios
 * The bench's scenarios against the real server: generates the synthetic mesh (meshgen.ts), starts
 * `tspilot serve` in a child process (launch.ts), connects a fleet of simulated sidecars (e2e/fleet)
 * and runs cold start, VirtualService (or HTTPRoute) change, endpoint change (EDS only), endpoint
 * churn and reconnect storm, each measured from the fleet's side (latency per affected proxy) and
 * the server's (CPU, peak RSS, its own push timings from the `config pushed` log lines). The cold
 * start's responses are recorded for the ceiling run (ceiling-run.ts) that follows.
 * Proxies are scoped by a root Sidecar (egress ./*, istio-system/*) unless `unscoped`.
 * The server reads the mesh from the folder (default) or, with `source: 'kube'`, from the Kubernetes
 * API server stand-in in a child process holding the same objects; the scenarios' changes are then
 * API writes (bench/source.ts) and the stand-in's CPU is reported per scenario.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { FleetClient } from '../e2e/fleet/client.js';
import { EDS, RDS, SHORT, isXdsType } from '../proto/typeurls.js';
import type { WireNode } from '../proto/wire.js';
import { ProcStats } from './proc.js';
import { namespaceOf, writeMesh, type MeshSize, type Routing } from './meshgen.js';
import { fileSource, kubeSource, type MeshSource, type SourceKind } from './source.js';
import { benchTls } from './tls.js';
import { fleetNode, type LabelShape } from './fleetnode.js';
import { startServerOn, stopChild, TUNED_SERVER_FLAGS } from './launch.js';
import { maxOf, pct, scopeText, type BenchResult, type ScenarioResult } from './report.js';
import { runCeiling } from './ceiling-run.js';
import { sleep, waitFor } from './wait.js';
import { MemSampler } from './memsample.js';
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * A full GC of the fleet's own heap. 2,000 simulated sidecars share one V8 heap (real ones do not):
 * without this, the garbage of the cold start's 2 GB is collected in whichever scenario comes next
 * and its pause lands in that scenario's latencies — the fleet's cost, not the server's.
 */
v8.setFlagsFromString('--expose-gc');
// `gc` exists in a fresh context once --expose-gc is set; it takes no arguments we use.
export const fleetGc = vm.runInNewContext('gc') as () => void;

const node = (i: number, size: MeshSize, labels: LabelShape = 'deployment'): WireNode => fleetNode(i, size.namespaces, labels);

/** A scenario run's mesh, fleet and scenario flags (the CLI's, bench/run.ts). */
export interface BenchOptions {
  serverNodeArgs?: string;
  /** The server with the bench's tuned flags (TUNED_SERVER_FLAGS) instead of its defaults. */
  tuned?: boolean;
  services: number;
  endpointsPerService: number;
  namespaces: number;
  proxies: number;
  delta: boolean;
  json?: string;
  png: string;
  churnSeconds: number;
  churnRate: number;
  cpuProf?: string;
  timeout: number;
  unscoped?: boolean;
  tls?: boolean;
  labels?: LabelShape;
  heavy?: boolean;
  /** The routed services' split as VirtualServices over subsets (default), over version Services, or Gateway API HTTPRoutes. */
  routes?: Routing;
  /** Where the server reads the mesh: the folder (default) or the Kubernetes API stand-in (bench/source.ts). */
  source?: SourceKind;
}

/** The synthetic mesh the CLI's shape flags describe (the scenarios' and the soak's). */
export function meshSizeOf(
  o: Pick<BenchOptions, 'services' | 'endpointsPerService' | 'namespaces' | 'unscoped' | 'heavy' | 'routes'>,
): MeshSize {
  return {
    services: o.services,
    endpointsPerService: o.endpointsPerService,
    namespaces: o.namespaces,
    routedShare: 0.1,
    scoped: !o.unscoped,
    heavy: o.heavy === true,
    routing: o.routes ?? 'virtualservice',
  };
}

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const size = meshSizeOf(o);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-bench-'));
  const meshDir = path.join(dir, 'mesh');
  const recDir = path.join(dir, 'recorded');
  await writeMesh(meshDir, size);
  await mkdir(recDir);
  const log = (s: string): void => {
    process.stderr.write(s + '\n');
  };
  log(
    `bench: ${o.services} services × ${o.endpointsPerService} endpoints in ${o.namespaces} namespaces, ${o.proxies} ${o.delta ? 'delta' : 'SotW'} proxies (labels: ${o.labels ?? 'deployment'}), ${scopeText(size)}${size.heavy ? ', heavy shape (2 ports, DestinationRule with 2 subsets on every service, Pods)' : ''}${size.routing && size.routing !== 'virtualservice' ? `, routing: ${size.routing}` : ''}`,
  );
  const pushLog: { pushMs: number; sinceChangeMs: number }[] = [];
  let monitoringPort = 0;
  const tls = o.tls
    ? await benchTls(
        dir,
        Array.from({ length: o.namespaces }, (_, k) => `ns-${k}`),
      )
    : undefined;
  if (tls) log('bench: the fleet dials the TLS xDS port with a JWT per namespace (--jwt-keys)');
  const nodeArgs = [
    ...(o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`] : []),
    ...(o.serverNodeArgs ? o.serverNodeArgs.split(' ').filter(Boolean) : []),
  ];
  const serverFlags = o.tuned ? TUNED_SERVER_FLAGS : [];
  log(
    `bench: server flags: ${serverFlags.length ? serverFlags.join(' ') : "the defaults (istiod's: debounce 100 ms, endpoint removals at once)"}`,
  );
  const source: MeshSource = o.source === 'kube' ? await kubeSource(meshDir, dir, size) : fileSource(meshDir, size);
  if (source.loaded)
    log(
      `bench: source kube: the API server stand-in (its own process) holds ${source.loaded.objects} objects (loaded in ${source.loaded.loadMs} ms); changes are API writes`,
    );
  const startCpu0 = source.cpu();
  const start0 = performance.now();
  let server: { proc: ChildProcess; port: number };
  let shown = 0;
  try {
    server = await startServerOn(
      nodeArgs,
      source.serverArgs,
      (line) => {
        // The server's warnings and errors are shown (a few): a source that cannot sync otherwise just hangs the start.
        if (/"level":"(warn|error|fatal)"/.test(line) && shown++ < 10) log(`server: ${line.slice(0, 400)}`);
        if (line.includes('"listening"')) monitoringPort = (JSON.parse(line) as { monitoring?: number }).monitoring ?? 0;
        if (!line.includes('config pushed')) return;
        try {
          const l = JSON.parse(line) as { pushMs: number; sinceChangeMs: number };
          pushLog.push({ pushMs: l.pushMs, sinceChangeMs: l.sinceChangeMs });
        } catch {
          /* not JSON */
        }
      },
      tls,
      serverFlags,
    );
  } catch (e) {
    await source.close();
    throw e;
  }
  const serverStartMs = performance.now() - start0;
  const startCpu1 = source.cpu();
  const stats = new ProcStats(server.proc.pid!);
  // Where the RSS is, over the run (server/memory.ts via GET /debug/memory).
  const mem = new MemSampler(`http://127.0.0.1:${monitoringPort}/debug/memory`);
  const address = `127.0.0.1:${server.port}`;
  const fleet = Array.from(
    { length: o.proxies },
    (_, i) =>
      new FleetClient({
        address,
        node: node(i, size, o.labels),
        delta: o.delta,
        keepFirst: i === 0,
        ...(tls ? { tls: tls.client(node(i, size, o.labels).metadata['NAMESPACE'] as string) } : {}),
      }),
  );
  const scenarios: ScenarioResult[] = [];
  let configBytesPerProxy = 0;
  // Whatever fails, the server child and the fleet's streams are stopped (a leaked server keeps
  // the bench's stdout pipe open).
  try {
    const measure = async (
      name: string,
      run: () => Promise<void>,
      latencies: () => number[],
      extra: () => Partial<ScenarioResult> = () => ({}),
    ): Promise<void> => {
      log(`scenario: ${name}`);
      fleetGc(); // before the scenario's clocks start (see fleetGc)
      const cpu0 = stats.cpu();
      const fleetCpu0 = process.cpuUsage();
      const wall0 = performance.now();
      stats.resetPeak();
      const memT0 = mem.mark(name.replace(/ \(.*/, ''));
      const bytes0 = fleet.reduce((a, c) => a + c.bytes, 0);
      const push0 = pushLog.length;
      const src0 = source.cpu();
      await run();
      const ms = latencies();
      const pushes = pushLog.slice(push0);
      const fc = process.cpuUsage(fleetCpu0);
      const fleetCpuSeconds = (fc.user + fc.system) / 1e6;
      const wallS = (performance.now() - wall0) / 1000;
      scenarios.push({
        fleetCpuSeconds,
        fleetBound: wallS > 0 && fleetCpuSeconds / wallS > 0.9,
        name,
        proxies: fleet.length,
        p50: pct(ms, 50),
        p99: pct(ms, 99),
        max: maxOf(ms),
        cpuSeconds: stats.cpu() - cpu0,
        peakRssMb: stats.peakMb(),
        bytesSent: fleet.reduce((a, c) => a + c.bytes, 0) - bytes0,
        otherTypes: {},
        unconverged: fleet.length - ms.length,
        ms,
        pushes: pushes.length,
        pushMs: pushes.reduce((a, p) => a + p.pushMs, 0),
        changeToPushMs: maxOf(pushes.map((p) => p.sinceChangeMs)),
        ...(src0 !== undefined ? { apiServerCpuSeconds: (source.cpu() ?? src0) - src0 } : {}),
        memAtPeak: mem.peakSince(memT0),
        ...extra(),
      });
    };
    const coldStart = async (label: string): Promise<number[]> => {
      const t0 = performance.now();
      for (const c of fleet) c.connect();
      await waitFor(label, () => fleet.filter((c) => c.completeAt).length, fleet.length, o.timeout);
      return fleet.filter((c) => c.completeAt).map((c) => c.completeAt - t0);
    };
    // A change to service 0 (namespace ns-0) affects every proxy unscoped, only ns-0's proxies scoped.
    const svc0Ns = namespaceOf(0, size);
    const affected = fleet.map((_, k) => !size.scoped || node(k, size).metadata['NAMESPACE'] === svc0Ns);
    const nAffected = affected.filter(Boolean).length;
    /** Latency until each affected client receives `type` after t0; counts other types (on every client). */
    const change = async (
      label: string,
      type: string,
      write: () => Promise<void>,
    ): Promise<{ ms: number[]; other: Record<string, number> }> => {
      const marks = fleet.map((c) => c.arrivals.length);
      const t0 = performance.now();
      await write();
      const arrivedAt = (c: FleetClient, k: number): number | undefined => c.arrivals.slice(marks[k]).find((a) => a.typeUrl === type)?.at;
      await waitFor(label, () => fleet.filter((c, k) => affected[k] && arrivedAt(c, k) !== undefined).length, nAffected, o.timeout);
      await sleep(300); // let stragglers of other types show up
      const other: Record<string, number> = {};
      fleet.forEach((c, k) => {
        for (const a of c.arrivals.slice(marks[k]))
          if (a.typeUrl !== type)
            other[isXdsType(a.typeUrl) ? SHORT[a.typeUrl] : a.typeUrl] =
              (other[isXdsType(a.typeUrl) ? SHORT[a.typeUrl] : a.typeUrl] ?? 0) + 1;
      });
      return {
        ms: fleet
          .map((c, k) => (affected[k] ? arrivedAt(c, k) : undefined))
          .filter((x): x is number => x !== undefined)
          .map((x) => x - t0),
        other,
      };
    };

    let ms: number[] = [];
    let other: Record<string, number> = {};
    let churnMissed = 0;
    await measure(
      'cold start',
      async () => {
        ms = await coldStart('cold start');
      },
      () => ms,
    );
    configBytesPerProxy = Math.round(fleet.reduce((a, c) => a + c.bytes, 0) / fleet.length);
    for (const [t, b] of fleet[0]!.first)
      await writeFile(path.join(recDir, `${o.delta ? 'delta' : 'sotw'}-${encodeURIComponent(t)}.bin`), b);
    await sleep(500);
    await measure(
      size.routing === 'httproute' ? 'HTTPRoute change' : 'VirtualService change',
      async () => {
        ({ ms, other } = await change('route change', RDS, await source.routeChange(70)));
      },
      () => ms,
      () => ({ otherTypes: other, unconverged: nAffected - ms.length }),
    );
    await sleep(500);
    await measure(
      'endpoint change',
      async () => {
        ({ ms, other } = await change('endpoint change', EDS, await source.endpointChange(1)));
      },
      () => ms,
      () => ({ otherTypes: other, unconverged: nAffected - ms.length }),
    );
    await sleep(500);
    await measure(
      `churn (${o.churnRate}/s for ${o.churnSeconds}s)`,
      async () => {
        const marks = fleet.map((c) => c.arrivals.length);
        const changes: number[] = [];
        const end = performance.now() + o.churnSeconds * 1000;
        let v = 2;
        while (performance.now() < end) {
          const write = await source.endpointChange(v++);
          changes.push(performance.now());
          await write();
          process.stderr.write(`  churn: change ${v - 2}\n`);
          await sleep(1000 / o.churnRate);
        }
        await sleep(1500);
        ms = [];
        fleet.forEach((c, k) => {
          if (!affected[k]) return;
          const eds = c.arrivals
            .slice(marks[k])
            .filter((a) => a.typeUrl === EDS)
            .map((a) => a.at);
          for (const tc of changes) {
            const hit = eds.find((at) => at > tc);
            if (hit !== undefined) ms.push(hit - tc);
          }
        });
        churnMissed = fleet.filter((c, k) => affected[k] && !c.arrivals.slice(marks[k]).some((a) => a.typeUrl === EDS)).length;
      },
      () => ms,
      () => ({ unconverged: churnMissed }),
    );
    await sleep(500);
    await measure(
      'reconnect storm',
      async () => {
        for (const c of fleet) c.stop();
        ms = await coldStart('reconnect storm');
      },
      () => ms,
    );
    // BENCH_IDLE_AFTER_S: the fleet stays connected and the server idle this long after the storm,
    // so what an idle server does after a storm (its GCs: BENCH_SERVER_LOG, bench/launch.ts) can be seen.
    const idleS = Number(process.env['BENCH_IDLE_AFTER_S'] ?? 0);
    if (idleS > 0) {
      log(`bench: idle for ${idleS} s after the storm (BENCH_IDLE_AFTER_S)`);
      await sleep(idleS * 1000);
    }
  } finally {
    for (const c of fleet) c.stop();
    stats.stop();
    await mem.stop();
    await stopChild(server.proc);
    await source.close();
  }

  // The ceiling: the same bytes from a bare grpc-js server to the same fleet.
  const ceilingRun = await runCeiling(recDir, {
    proxies: o.proxies,
    delta: o.delta,
    node: (i) => node(i, size, o.labels),
    tls,
    timeoutMs: o.timeout,
    log,
  });
  const cold = scenarios[0]!;
  const ceil = ceilingRun.ceiling;
  const tspilotColdMbPerS = cold.bytesSent / 1e6 / (cold.max / 1000 || 1);
  scenarios.push(ceilingRun.scenario);
  await rm(dir, { recursive: true, force: true });
  return {
    size: { ...size, proxies: o.proxies, delta: o.delta },
    scoped: size.scoped,
    configBytesPerProxy,
    serverFlags,
    source: {
      kind: source.kind,
      serverStartMs: Math.round(serverStartMs),
      ...(source.loaded ? { objects: source.loaded.objects, loadMs: source.loaded.loadMs } : {}),
      ...(startCpu0 !== undefined ? { apiServerStartCpuSeconds: (startCpu1 ?? startCpu0) - startCpu0 } : {}),
    },
    scenarios,
    ceiling: ceil,
    tspilotColdMbPerS,
    throughputRatio: ceil.mbPerS ? tspilotColdMbPerS / ceil.mbPerS : 0,
    fleetRetries: fleet.reduce((a, c) => a + c.retries, 0),
    memory: { samples: mem.samples, marks: mem.marks },
  };
}
