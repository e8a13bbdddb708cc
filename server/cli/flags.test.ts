/**
 * `tspilot serve` refuses a bad value for any numeric or duration flag with commander's error
 * naming the flag and the value (exit 1, before anything starts) — `--push-throttle abc` used to
 * be accepted and silently ignored.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { count, duration } from './flags.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'main.js');

/**
 * Runs `tspilot serve <args>` until it either exits (a refused flag) or logs that it is listening
 * (the flag was accepted; it is then killed). No time guess: a loaded machine may take seconds to
 * start, and that must not read as either outcome. A process doing neither within 50 s is a failure.
 */
function serve(args: string[]): Promise<{ code: number | null; stderr: string; started: boolean }> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [
        MAIN,
        'serve',
        '--config-dir',
        '/nonexistent-tspilot-dir',
        '--bind',
        '127.0.0.1',
        '--xds-port',
        '0',
        '--http-port',
        '0',
        '--monitoring-port',
        '0',
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let stdout = '';
    let started = false;
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.stdout.on('data', (d: Buffer) => {
      stdout = (stdout + d.toString()).slice(-4096);
      if (!started && /"msg":"(http )?listening/.test(stdout)) {
        started = true;
        p.kill('SIGKILL');
      }
    });
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`tspilot serve ${args.join(' ')}: neither exited nor listened within 50 s`));
    }, 50_000);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stderr, started });
    });
  });
}

const BAD: readonly [string, string][] = [
  ['--push-throttle', 'abc'],
  ['--push-throttle', '0'],
  ['--push-throttle', '2.5'],
  ['--max-response-bytes', 'lots'],
  ['--max-response-bytes', '-1'],
  ['--http-max-connections', '0'],
  ['--http-max-connections', 'x'],
  ['--debounce-after', 'abc'],
  ['--debounce-max', '10'],
  ['--debounce-endpoints-max', 'soon'],
  ['--poll-interval', '1 s'],
  ['--crd-poll-interval', 'x'],
  ['--max-connection-age', 'forever'],
  ['--max-connection-age-grace', '5'],
  ['--class-cache-size', 'big'],
  ['--class-cache-bytes', '32MiB'],
  ['--max-stream-names', '0'],
  ['--max-subscribed-names', '1.5e6'],
  ['--xds-port', '70000'],
];

describe('server/cli/flags', () => {
  it('count and duration parse good values and throw commander errors for bad ones', () => {
    assert.equal(count(1)('15'), 15);
    assert.equal(count(0)('0'), 0);
    assert.throws(() => count(1)('0'), /"0" is not a whole number ≥ 1/);
    assert.throws(() => count(0)('1e3x'), /not a whole number/);
    assert.throws(() => count(0)(''), /not a whole number/);
    assert.equal(duration('1.5s'), 1500);
    assert.throws(() => duration('10'), /"10" is not a duration/);
  });

  for (const [flag, value] of BAD) {
    it(`serve ${flag} ${value} is refused with an error naming the flag`, async function () {
      this.timeout(20_000);
      const r = await serve([flag, value]);
      assert.equal(r.started, false, `${flag} ${value} was accepted: the server started`);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.includes(`option '${flag} <`), r.stderr);
      assert.ok(r.stderr.includes(`'${value}' is invalid`), r.stderr);
    });
  }
});
