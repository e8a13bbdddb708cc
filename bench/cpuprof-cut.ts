/**
 * @module bench/cpuprof-cut
 * A V8 CPU profile (`node --cpu-prof`'s `.cpuprofile`) cut to time windows: only the samples taken
 * inside the windows count, summed by function (self time) and by area of the code (the file's
 * folder: server/xds, server/cache, translators, node internals, GC, …). Used by
 * bench/eds-timeline.ts to say where the server's CPU went during each change, not over the whole
 * run (cold start dominates a whole-run profile). Windows and sample times are both on the
 * monotonic clock in µs (`process.hrtime`, which V8's profiler also uses).
 */

/** The parts of a `.cpuprofile` read here. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One window: [start, end) in monotonic µs. */
export type Window = readonly [number, number];

export interface ProfileCut {
  /** Sampled ms inside the windows, idle excluded. */
  readonly busyMs: number;
  /** Self ms by function ("name file:line"), most first. */
  readonly byFunction: readonly (readonly [string, number])[];
  /** Self ms by area (folder under the project, or node:/GC/program), most first. */
  readonly byArea: readonly (readonly [string, number])[];
}

/** The area a frame's url belongs to: the project folder (two levels), `node:…`, or the V8 pseudo-frame. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?([^/]+).*/, 'node:$2');
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url) ?? /\/dist\/((?:[^/]+\/)?[^/]+)\/[^/]+$/.exec(url);
  return m ? m[1]! : url.replace(/^.*\//, '');
}

/** `p` cut to `windows`: each sample counts the time since the previous one (V8's own accounting). */
export function cutProfile(p: CpuProfile, windows: readonly Window[]): ProfileCut {
  const frame = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let t = p.startTime;
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (!windows.some(([a, b]) => t >= a && t < b)) continue;
    const f = frame.get(p.samples[i]!);
    if (!f || f.functionName === '(idle)') continue;
    const ms = dt / 1000;
    busy += ms;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/dist\//, '').replace(/^file:\/\/.*\//, '')}:${f.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    const a = areaOf(f.url, f.functionName);
    area.set(a, (area.get(a) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((x, y) => y[1] - x[1]);
  return { busyMs: busy, byFunction: sorted(fn), byArea: sorted(area) };
}

/** The cut as text: busy ms per window, the areas, and the `top` functions by self time. */
export function profileText(cut: ProfileCut, windows: number, top = 30): string {
  const ms = (x: number): string => (x / windows).toFixed(1).padStart(8);
  return [
    `server CPU sampled inside the ${windows} change windows: ${ms(cut.busyMs).trim()} ms per change (idle excluded)`,
    'by area (self ms per change):',
    ...cut.byArea.slice(0, 20).map(([k, v]) => `${ms(v)}  ${k}`),
    `top ${top} functions (self ms per change):`,
    ...cut.byFunction.slice(0, top).map(([k, v]) => `${ms(v)}  ${k}`),
  ].join('\n');
}
