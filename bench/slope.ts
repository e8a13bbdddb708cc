/**
 * @module bench/slope
 * The soak's verdict on a memory series: a least-squares line through the samples taken after the
 * warm-up, its slope, the residual noise around it, and whether the growth it projects over the
 * measured window is real. Growth counts only when it is above a floor in MB (small drifts such
 * as JIT code or V8 heap sizing are not leaks) AND clearly outside the noise — twice the
 * residual standard deviation and twice the slope's own standard error — so a sawtooth of garbage
 * collections is not mistaken for a leak and a steady climb is never excused by a noisy series.
 */

export interface Sample {
  readonly t: number;
  readonly mb: number;
}

export interface Trend {
  /** Samples used (after the warm-up). */
  readonly n: number;
  /** MB per second, and per hour for reading. */
  readonly slopeMbPerS: number;
  readonly slopeMbPerHour: number;
  readonly intercept: number;
  /** Standard deviation of the residuals around the line (MB). */
  readonly noiseMb: number;
  /** Slope × the measured window (MB): what the line says grew between the first and last sample. */
  readonly growthMb: number;
  /** Standard error of that projected growth (MB). */
  readonly growthSeMb: number;
  /** First and last sample value after the warm-up. */
  readonly firstMb: number;
  readonly lastMb: number;
  readonly grows: boolean;
  readonly reason: string;
}

/** Fits `samples` with t ≥ warmupS; `floorMb` is the growth over the window below which nothing is reported. */
export function trend(samples: readonly Sample[], warmupS: number, floorMb: number): Trend {
  const s = samples.filter((x) => x.t >= warmupS);
  const n = s.length;
  if (n < 3) {
    return {
      n,
      slopeMbPerS: 0,
      slopeMbPerHour: 0,
      intercept: s[0]?.mb ?? 0,
      noiseMb: 0,
      growthMb: 0,
      growthSeMb: 0,
      firstMb: s[0]?.mb ?? 0,
      lastMb: s[n - 1]?.mb ?? 0,
      grows: false,
      reason: `too few samples after the warm-up (${n}); run longer`,
    };
  }
  const mt = s.reduce((a, x) => a + x.t, 0) / n;
  const my = s.reduce((a, x) => a + x.mb, 0) / n;
  let sxx = 0,
    sxy = 0;
  for (const x of s) {
    sxx += (x.t - mt) ** 2;
    sxy += (x.t - mt) * (x.mb - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = my - slope * mt;
  const ssr = s.reduce((a, x) => a + (x.mb - (intercept + slope * x.t)) ** 2, 0);
  const noise = Math.sqrt(ssr / Math.max(1, n - 2));
  const span = s[n - 1]!.t - s[0]!.t;
  const growth = slope * span;
  const growthSe = sxx > 0 ? (noise / Math.sqrt(sxx)) * span : 0;
  const f = (v: number): string => v.toFixed(1);
  let grows = false;
  let reason: string;
  if (growth <= floorMb) reason = `projected growth ${f(growth)} MB over ${Math.round(span)} s is within the ${f(floorMb)} MB allowance`;
  else if (growth <= 2 * noise) reason = `projected growth ${f(growth)} MB is within the noise (2σ = ${f(2 * noise)} MB)`;
  else if (growth <= 2 * growthSe)
    reason = `projected growth ${f(growth)} MB is not significant (2 standard errors = ${f(2 * growthSe)} MB)`;
  else {
    grows = true;
    reason = `grows ${f(growth)} MB over ${Math.round(span)} s (${f(slope * 3600)} MB/h), above the ${f(floorMb)} MB allowance and the noise (2σ = ${f(2 * noise)} MB)`;
  }
  return {
    n,
    slopeMbPerS: slope,
    slopeMbPerHour: slope * 3600,
    intercept,
    noiseMb: noise,
    growthMb: growth,
    growthSeMb: growthSe,
    firstMb: s[0]!.mb,
    lastMb: s[n - 1]!.mb,
    grows,
    reason,
  };
}
