/**
 * Tests for server/launch.ts: the server's launch settings live on the first line of main.js, the
 * file really runs with them when executed, and everything that starts the server — `npm start`,
 * the container image, the bench and the e2e helper — goes through that line, so what the bench
 * measures is what is deployed.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchCommand, launchLine, launchWarning, parseLaunchLine } from './launch.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(ROOT, 'dist', 'server', 'main.js');

describe('server/launch', () => {
  it('parses the environment and node flags of an env -S line', () => {
    assert.deepEqual(parseLaunchLine('#!/usr/bin/env -S A_B=1 C=x=y node --max-semi-space-size=4 --expose-gc'), {
      env: { A_B: '1', C: 'x=y' },
      nodeArgs: ['--max-semi-space-size=4', '--expose-gc'],
    });
    assert.deepEqual(parseLaunchLine('#!/usr/bin/env node'), { env: {}, nodeArgs: [] });
    assert.throws(() => parseLaunchLine('#!/bin/sh'), /launch line: expected "#!\/usr\/bin\/env/);
    assert.throws(() => parseLaunchLine('#!/usr/bin/env -S A=1 deno'), /expected "node" after the environment, got "deno"/);
  });

  it('main.js sets its memory settings on its first line and runs with them when executed', async () => {
    const line = launchLine(MAIN);
    assert.equal(line.env['MALLOC_MMAP_THRESHOLD_'], '131072');
    assert.ok(line.nodeArgs.includes('--max-semi-space-size=4'));
    // Runs the file itself (the kernel reads the line); a preloaded module reports what the process got.
    const probe =
      'process.stdout.write(JSON.stringify({ t: process.env.MALLOC_MMAP_THRESHOLD_, argv: process.execArgv })); process.exit(0);';
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        MAIN,
        ['--help'],
        {
          env: {
            ...process.env,
            PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
            NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(probe)}`,
          },
        },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    );
    const got = JSON.parse(out) as { t?: string; argv: string[] };
    assert.equal(got.t, '131072');
    for (const f of line.nodeArgs) assert.ok(got.argv.includes(f), `node flag ${f} missing: ${got.argv.join(' ')}`);
  });

  it('npm start, the container image, the bench and the e2e helper all launch through that line', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    assert.match(pkg.scripts['start']!, /&& dist\/server\/main\.js serve/);
    assert.equal(pkg.bin['tspilot'], 'dist/server/main.js');
    assert.match(readFileSync(path.join(ROOT, 'deploy', 'Dockerfile'), 'utf8'), /^ENTRYPOINT \["\/app\/dist\/server\/main\.js"\]$/m);
    for (const f of ['bench/launch.ts', 'e2e/tspilot.ts'])
      assert.match(readFileSync(path.join(ROOT, f), 'utf8'), /launchCommand\(/, `${f} spawns the server without its launch line`);
    const c = launchCommand(MAIN, ['serve'], ['--cpu-prof'], { PATH: '/bin' });
    assert.equal(c.command, process.execPath);
    assert.deepEqual(c.args, [...launchLine(MAIN).nodeArgs, '--cpu-prof', MAIN, 'serve']);
    assert.deepEqual(c.env, { PATH: '/bin', MALLOC_MMAP_THRESHOLD_: '131072' });
  });

  it('serve warns when started without the line', () => {
    assert.equal(launchWarning({ MALLOC_MMAP_THRESHOLD_: '131072' }), null);
    assert.match(launchWarning({})!, /run the file itself, not "node dist\/server\/main.js"/);
  });
});
