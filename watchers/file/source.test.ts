/**
 * Tests for watchers/file/source.ts on a real folder: under churn (renames, atomic replaces as
 * editors and `kubectl cp` do them, deletes followed by re-adds) the store → mesh pipeline never
 * builds a snapshot missing an object the folder defines; a deleted file is still withdrawn; a
 * file replaced by a directory, a symlink to a directory and a broken symlink are reported as
 * source errors naming the path, not silently skipped.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import type { ConfigEvent } from '../../model/config.js';
import { storeStage, type StoreOutput } from '../store/stage.js';
import { Router, startHttp } from '../../server/http/router.js';
import { logger } from '../../server/log.js';
import { fileSource, type FileSourceOptions } from './source.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const service = (name: string, ip: number): string =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: default}\nspec:\n  clusterIP: 10.96.1.${ip}\n  ports: [{name: http, port: 80}]\n`;

const N = 12;
const names = Array.from({ length: N }, (_, i) => `svc${i}`);

describe('watchers/file/source', function () {
  this.timeout(60_000);
  let dir: string;
  let sub: Subscription | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-src-'));
  });
  afterEach(async () => {
    sub?.unsubscribe();
    sub = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs folder → store → mesh with a short debounce, recording the services of every snapshot. */
  function pipeline(opts: Pick<FileSourceOptions, 'pollMs' | 'settleMs' | 'maxFileBytes' | 'onParse' | 'onStep'> = {}): {
    snapshots: string[][];
    events: ConfigEvent[];
  } {
    const snapshots: string[][] = [];
    const events: ConfigEvent[] = [];
    const tap = new Subject<ConfigEvent>();
    const src = fileSource({
      dir,
      pollMs: opts.pollMs ?? 15,
      settleMs: opts.settleMs ?? 5,
      ...(opts.maxFileBytes ? { maxFileBytes: opts.maxFileBytes } : {}),
      ...(opts.onParse ? { onParse: opts.onParse } : {}),
      ...(opts.onStep ? { onStep: opts.onStep } : {}),
    });
    const s1 = storeStage(tap, { debounceMs: 1, debounceMaxMs: 5 }, logger('test')).subscribe((u: StoreOutput) =>
      snapshots.push(u.mesh.services.map((x) => x.name)),
    );
    const s2 = src.subscribe((e) => {
      events.push(e);
      tap.next(e);
    });
    sub = s1;
    sub.add(s2);
    return { snapshots, events };
  }

  async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await sleep(10);
    }
  }

  it('renames, atomic replaces and delete/re-add cycles never withdraw a service the folder defines', async () => {
    for (const [i, n] of names.entries()) await writeFile(path.join(dir, `${n}.yaml`), service(n, i));
    const { snapshots } = pipeline();
    await until(() => snapshots.length > 0, 'the first snapshot');
    const where = new Map(names.map((n) => [n, `${n}.yaml`]));
    const end = Date.now() + 4000;
    let ops = 0;
    while (Date.now() < end) {
      const i = ops % N;
      const n = names[i]!;
      const cur = path.join(dir, where.get(n)!);
      switch (ops % 3) {
        case 0: {
          // rename to another config file name
          const next = where.get(n) === `${n}.yaml` ? `${n}-moved.yml` : `${n}.yaml`;
          await rename(cur, path.join(dir, next));
          where.set(n, next);
          break;
        }
        case 1: {
          // atomic replace: write a temp file, rename it over the original
          const tmp = path.join(dir, `.${n}.tmp${ops}`);
          await writeFile(tmp, service(n, i) + `# edit ${ops}\n`);
          await rename(tmp, cur);
          break;
        }
        default: // delete and write again
          await unlink(cur);
          await sleep(2);
          await writeFile(cur, service(n, i));
      }
      ops++;
      await sleep(3);
    }
    await sleep(300);
    const bad = snapshots.filter((s) => s.length !== N);
    assert.ok(snapshots.length > 20, `the pipeline kept producing snapshots (${snapshots.length})`);
    assert.deepEqual(bad.slice(0, 3), [], `${bad.length} of ${snapshots.length} snapshots missed services during ${ops} operations`);
  });

  it('a deleted file is still withdrawn (once it stays gone)', async () => {
    await writeFile(path.join(dir, 'a.yaml'), service('a', 1));
    await writeFile(path.join(dir, 'b.yaml'), service('b', 2));
    const { snapshots } = pipeline();
    await until(() => snapshots.at(-1)?.length === 2, 'both services');
    await unlink(path.join(dir, 'b.yaml'));
    await until(() => snapshots.at(-1)?.join() === 'a', 'b to be withdrawn');
  });

  for (const [what, make] of [
    [
      'a file replaced by a directory',
      async (p: string) => {
        await unlink(p);
        await mkdir(p);
      },
    ],
    [
      'a file replaced by a symlink to a directory',
      async (p: string) => {
        await unlink(p);
        await mkdir(`${p}.d`);
        await symlink(`${p}.d`, p);
      },
    ],
    [
      'a file replaced by a broken symlink',
      async (p: string) => {
        await unlink(p);
        await symlink(`${p}.missing`, p);
      },
    ],
  ] as const) {
    it(`${what} is reported naming the path; its last good objects stay until it is gone`, async () => {
      const p = path.join(dir, 'b.yaml');
      await writeFile(path.join(dir, 'a.yaml'), service('a', 1));
      await writeFile(p, service('b', 2));
      const { snapshots, events } = pipeline();
      await until(() => snapshots.at(-1)?.length === 2, 'both services');
      await make(p);
      await until(() => events.some((e) => e.type === 'sourceError' && e.origin.source === p), 'a source error for b.yaml');
      const err = events.find((e) => e.type === 'sourceError' && e.origin.source === p);
      assert.match(err?.type === 'sourceError' ? err.reason : '', what.includes('broken') ? /broken symlink/ : /is a directory/);
      await sleep(200);
      assert.deepEqual(snapshots.at(-1), ['a', 'b'], 'reported, not withdrawn');
      assert.equal(
        events.filter((e) => e.type === 'sourceError' && e.origin.source === p && /directory|symlink/.test(e.reason)).length,
        1,
        'reported once, not on every scan',
      );
      await rm(p, { recursive: true });
      await until(() => snapshots.at(-1)?.join() === 'a', 'b withdrawn once the path is gone');
    });
  }

  it('an HTTP server in the same process keeps answering /ready while a large file is parsed', async () => {
    // ~3 MB of Services: seconds of YAML parsing on a busy machine.
    const big = Array.from({ length: 12_000 }, (_, i) =>
      service(`big${i}`, i % 250).replace('namespace: default', `namespace: ns${i % 50}`),
    ).join('---\n');
    await writeFile(path.join(dir, 'a.yaml'), service('a', 1));
    const http = await startHttp(
      new Router().on('GET', '/ready', () => ({ text: 'ready\n' })),
      '127.0.0.1',
      0,
      () => undefined,
    );
    try {
      let answered: Promise<{ status: number; beforeParsed: boolean }> | undefined;
      const bigRead = (): boolean => events.some((e) => e.type === 'replace' && e.origin.source.endsWith('big.yaml'));
      const { snapshots, events } = pipeline({
        onParse: (file) => {
          if (!file.endsWith('big.yaml')) return;
          answered = fetch(`http://127.0.0.1:${http.port}/ready`).then(async (r) => ({
            status: r.status,
            beforeParsed: (await r.text(), !bigRead()),
          }));
        },
      });
      await until(() => snapshots.length > 0, 'the first snapshot');
      await writeFile(path.join(dir, 'big.yaml'), big);
      await until(() => answered !== undefined, 'the large file to be parsed', 20_000);
      await until(bigRead, 'the large file to be read', 60_000);
      const r = await answered!;
      assert.equal(r.status, 200);
      assert.ok(r.beforeParsed, '/ready answered while the file was being parsed, not after');
      await until(() => snapshots.at(-1)?.length === 12_001, 'all of its services', 20_000);
    } finally {
      await http.close();
    }
  });

  it('a file over the byte limit is refused, naming the file and the limit; its last good objects stay', async () => {
    const p = path.join(dir, 'b.yaml');
    await writeFile(path.join(dir, 'a.yaml'), service('a', 1));
    await writeFile(p, service('b', 2));
    const { snapshots, events } = pipeline({ maxFileBytes: 1000 });
    await until(() => snapshots.at(-1)?.length === 2, 'both services');
    await writeFile(p, `${service('b', 2)}# ${'x'.repeat(2000)}\n`);
    await until(() => events.some((e) => e.type === 'sourceError' && e.origin.source === p), 'a source error for b.yaml');
    const err = events.find((e) => e.type === 'sourceError' && e.origin.source === p);
    assert.match(err?.type === 'sourceError' ? err.reason : '', /b\.yaml is 2\d{3} bytes, over the 1000-byte limit \(--max-file-bytes\)/);
    await sleep(200);
    assert.deepEqual(snapshots.at(-1), ['a', 'b'], 'the last good version stays');
    assert.equal(events.filter((e) => e.type === 'sourceError' && /byte limit/.test(e.reason)).length, 1, 'reported once');
    await writeFile(p, service('b2', 3).replace('name: b2', 'name: b'));
    const lastIp = (): string | undefined => {
      const ev = events.filter((e) => e.type === 'replace' && e.origin.source === p).at(-1);
      const o = ev?.type === 'replace' ? ev.objects[0]?.object : undefined;
      return o?.kind === 'Service' ? o.clusterIP : undefined;
    };
    await until(() => lastIp() === '10.96.1.3', 'the fixed file to be read');
  });
  it('a file written in two steps with a pause is never taken half written (no service withdrawn, no parse error)', async () => {
    const p = path.join(dir, 'svcs.yaml');
    const docs = names.slice(0, 6).map((n, i) => service(n, i));
    await writeFile(p, docs.join('---\n'));
    const { snapshots, events } = pipeline({ settleMs: 150, pollMs: 50 });
    await until(() => snapshots.at(-1)?.length === 6, 'all six services');
    const from = snapshots.length;
    for (let k = 0; k < 3; k++) {
      // As a tool streaming its output into the file: truncate, the first half, a pause, the rest.
      const fh = await open(p, 'w');
      await fh.write(docs.slice(0, 3).join('---\n') + `# edit ${k}\n---\n`);
      await sleep(60);
      await fh.write(docs.slice(3).join('---\n'));
      await fh.close();
      await until(
        () => events.filter((e) => e.type === 'replace' && e.origin.source === p && e.objects.length === 6).length > k + 1,
        'the rewritten file',
      );
      await sleep(300);
    }
    const bad = snapshots.slice(from).filter((x) => x.length !== 6);
    assert.deepEqual(bad, [], 'no snapshot missed a service');
    assert.deepEqual(
      events.filter((e) => e.type === 'sourceError'),
      [],
      'no half-written text was parsed into an error',
    );
  });

  it('a complete file is read and parsed while its quiet time runs, and taken once that time is over', async () => {
    const settleMs = 1000;
    const steps: { step: string; at: number }[] = [];
    const { snapshots } = pipeline({ settleMs, pollMs: 0, onStep: (step) => steps.push({ step, at: Date.now() }) });
    await until(() => snapshots.length > 0, 'the first snapshot');
    steps.length = 0;
    const t0 = Date.now();
    await writeFile(path.join(dir, 'a.yaml'), service('a', 1));
    await until(() => snapshots.at(-1)?.join() === 'a', 'service a', 20_000);
    const at = (s: string): number => steps.find((x) => x.step === s)!.at - t0;
    assert.ok(at('parsed') < settleMs, `parsed ${at('parsed')} ms after the write, within the quiet time (${settleMs} ms)`);
    // The file's mtime may be a clock tick earlier than the write began.
    assert.ok(at('emitted') >= settleMs - 20, `taken ${at('emitted')} ms after the write: not before the quiet time was over`);
  });
  it('a file caught between its truncation and its first write (a writer not scheduled for a while) is not taken as emptied', async () => {
    const p = path.join(dir, 'svcs.yaml');
    await writeFile(p, service('a', 1) + '---\n' + service('b', 2));
    const { snapshots } = pipeline({ settleMs: 30, pollMs: 20 });
    await until(() => snapshots.at(-1)?.length === 2, 'both services');
    const from = snapshots.length;
    const fh = await open(p, 'w'); // truncated: empty for now
    await sleep(250); // far longer than the quiet time, as a writer the machine has not scheduled yet
    await fh.write(service('a', 1) + '---\n' + service('b', 2) + '# rewritten\n');
    await fh.close();
    await sleep(400);
    assert.deepEqual(
      snapshots.slice(from).filter((x) => x.length !== 2),
      [],
      'no snapshot withdrew the services of the file being rewritten',
    );
  });

  it('a file rewritten a while after its truncation is taken once written, not after the longer wait for an emptied file', async () => {
    const p = path.join(dir, 'svcs.yaml');
    await writeFile(p, service('a', 1));
    const events: ConfigEvent[] = [];
    const sub2 = fileSource({ dir, settleMs: 30, pollMs: 0, vanishMs: 3000 }).subscribe((e) => events.push(e));
    try {
      await until(() => events.some((e) => e.type === 'synced'), 'the first read');
      const fh = await open(p, 'w');
      await sleep(100);
      const t0 = Date.now();
      await fh.write(service('a', 7));
      await fh.close();
      const ip = (): string | undefined => {
        const ev = events.filter((e) => e.type === 'replace').at(-1);
        const o = ev?.type === 'replace' ? ev.objects[0]?.object : undefined;
        return o?.kind === 'Service' ? o.clusterIP : undefined;
      };
      await until(() => ip() === '10.96.1.7', 'the rewritten service', 10_000);
      assert.ok(Date.now() - t0 < 1500, `taken ${Date.now() - t0} ms after the write, not after the 3 s an emptied file waits`);
      assert.ok(!events.some((e) => e.type === 'replace' && e.objects.length === 0), 'never taken as emptied');
    } finally {
      sub2.unsubscribe();
    }
  });

  it('a file written while its emptied read was being parsed is read again at once, not after the emptied wait', async () => {
    const p = path.join(dir, 'svcs.yaml');
    await writeFile(p, service('a', 1));
    const events: ConfigEvent[] = [];
    let t0 = 0;
    // The write lands while the empty text is with the parser: its filesystem event comes with no
    // nap to wake (the bench's 1.1 s endpoint changes, writeFile's truncation read between its steps).
    const onParse = (file: string, bytes: number): void => {
      if (file === p && bytes === 0 && !t0) {
        t0 = Date.now();
        writeFileSync(p, service('a', 7));
      }
    };
    const sub2 = fileSource({ dir, settleMs: 30, pollMs: 0, vanishMs: 3000, onParse }).subscribe((e) => events.push(e));
    try {
      await until(() => events.some((e) => e.type === 'synced'), 'the first read');
      await writeFile(p, '');
      const ip = (): string | undefined => {
        const ev = events.filter((e) => e.type === 'replace').at(-1);
        const o = ev?.type === 'replace' ? ev.objects[0]?.object : undefined;
        return o?.kind === 'Service' ? o.clusterIP : undefined;
      };
      await until(() => ip() === '10.96.1.7', 'the rewritten service', 10_000);
      assert.ok(t0 > 0, 'the empty file was read');
      assert.ok(Date.now() - t0 < 1000, `taken ${Date.now() - t0} ms after the write, not after the 3 s an emptied file waits`);
      assert.ok(!events.some((e) => e.type === 'replace' && e.objects.length === 0), 'never taken as emptied');
    } finally {
      sub2.unsubscribe();
    }
  });

  it('a file emptied on purpose is withdrawn once it has stayed empty as long as a vanished file', async () => {
    await writeFile(path.join(dir, 'a.yaml'), service('a', 1));
    await writeFile(path.join(dir, 'b.yaml'), service('b', 2));
    const { snapshots } = pipeline({ settleMs: 30, pollMs: 20 });
    await until(() => snapshots.at(-1)?.length === 2, 'both services');
    await writeFile(path.join(dir, 'b.yaml'), '');
    await until(() => snapshots.at(-1)?.join() === 'a', 'b withdrawn');
  });
});
