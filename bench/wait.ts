/**
 * @module bench/wait
 * Waiting for a fleet to converge: polls a count until it reaches the total or the scenario's
 * timeout, printing progress to stderr every second (a timeout is reported, not thrown: the
 * scenario then counts the unconverged proxies).
 */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `done()` or timeout, printing progress every second. */
export async function waitFor(label: string, done: () => number, total: number, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  let lastPrint = 0;
  for (;;) {
    const n = done();
    if (n >= total) break;
    if (Date.now() - t0 > timeoutMs) {
      process.stderr.write(`  ${label}: timed out with ${n}/${total}\n`);
      break;
    }
    if (Date.now() - lastPrint > 1000) {
      process.stderr.write(`  ${label}: ${n}/${total} converged…\n`);
      lastPrint = Date.now();
    }
    await sleep(20);
  }
}
