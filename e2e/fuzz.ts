/**
 * @module e2e/fuzz
 * One knob for every fast-check suite in the repo: `TSPILOT_FUZZ_RUNS=<n>` makes each property run
 * n times (unset: each keeps its own default, so CI time is unchanged), `TSPILOT_FUZZ_SEED=<n>`
 * replays a seed. A long fuzz run is `TSPILOT_FUZZ_RUNS=20000 npx mocha <suites>`. A bad value
 * is refused by name rather than silently running the default.
 */

function fromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0 || (name === 'TSPILOT_FUZZ_RUNS' && n < 1))
    throw new Error(`${name}=${JSON.stringify(raw)}: expected a positive whole number`);
  return n;
}

/** fast-check parameters for one property: `numRuns` from TSPILOT_FUZZ_RUNS or `defaultRuns`; `seed` from TSPILOT_FUZZ_SEED or `defaultSeed` (none: fast-check picks one). */
export function fuzzParams(defaultRuns: number, defaultSeed?: number): { numRuns: number; seed?: number } {
  const seed = fromEnv('TSPILOT_FUZZ_SEED') ?? defaultSeed;
  return { numRuns: fromEnv('TSPILOT_FUZZ_RUNS') ?? defaultRuns, ...(seed === undefined ? {} : { seed }) };
}

/** True when a long run was asked for (suites then print how many objects they generated). */
export const fuzzRunsSet = (): boolean => fromEnv('TSPILOT_FUZZ_RUNS') !== undefined;
