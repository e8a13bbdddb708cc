/**
 * Tests for bench/gclog.ts: preloaded into a node process with BENCH_GC_LOG set, it writes one line
 * per GC of the main thread, a forced full GC marked as such, and the external memory an
 * ArrayBuffer holds shows in the figures; without BENCH_GC_LOG it writes nothing.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'gclog.js');
// Holds a 64 MB ArrayBuffer, forces a full GC, and waits for the observer's callback.
const SCRIPT = 'globalThis.keep = Buffer.alloc(64 * 1048576, 1); gc(); setTimeout(() => {}, 200);';

describe('bench/gclog', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gclog-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('logs a forced full GC with its kind, flags and the external memory held', async () => {
    const file = path.join(dir, 'gc.log');
    execFileSync(process.execPath, ['--expose-gc', '--import', PRELOAD, '-e', SCRIPT], { env: { ...process.env, BENCH_GC_LOG: file } });
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    const forced = lines.filter((l) => / major [\d.]+ms flags=[a-z_,]*forced/.test(l));
    assert.equal(forced.length, 1, lines.join('\n'));
    const ext = /arrayBuffers=([\d.]+)/.exec(forced[0]!);
    assert.ok(ext && Number(ext[1]) >= 64, forced[0]);
    assert.match(forced[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z major /);
  });

  it('writes nothing without BENCH_GC_LOG', async () => {
    const env = { ...process.env };
    delete env['BENCH_GC_LOG'];
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', PRELOAD, '-e', SCRIPT], { env, cwd: dir });
    assert.equal(out.length, 0);
    assert.deepEqual(await (await import('node:fs/promises')).readdir(dir), []);
  });
});
