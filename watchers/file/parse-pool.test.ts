/**
 * Tests for watchers/file/parse-pool.ts ParseWorker: results equal parseConfigText's; a parse past
 * the timeout is refused by name and the next text still parses (the worker is replaced); a full
 * queue refuses at once (busy) instead of piling up work; the worker runs under its heap limits
 * (its young generation capped, so V8's default semi-spaces do not stay committed) and reports its
 * heap for /debug/memory.
 */
import assert from 'node:assert/strict';
import { parseConfigText } from './parse.js';
import { ParseWorker, parseWorkerHeaps, warmSample } from './parse-pool.js';

const SVC = 'apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: bookinfo}\nspec: {ports: [{name: http, port: 9080}]}\n';
const many = (n: number): string => Array.from({ length: n }, (_, i) => SVC.replace('name: reviews', `name: s${i}`)).join('---\n');

describe('watchers/file/parse-pool ParseWorker', function () {
  this.timeout(60_000);
  let w: ParseWorker;
  afterEach(() => w?.close());

  it('parses on the worker exactly as parseConfigText does', async () => {
    w = new ParseWorker();
    const text = `${SVC}---\napiVersion: networking.istio.io/v1\nkind: VirtualServce\nmetadata: {name: x}\n`;
    assert.deepEqual(await w.parse(text, '/m/a.yaml', 'ns1'), parseConfigText(text, '/m/a.yaml', 'ns1'));
    assert.deepEqual(await w.parse('a: [', '/m/b.yaml'), parseConfigText('a: [', '/m/b.yaml'));
  });

  it('a parse past the timeout is refused, and the next one works', async () => {
    // Only the 20,000-document text gets the 0.05 s limit (it takes seconds on any machine); the
    // small text after it, on the replacement worker, keeps the default limit, so a loaded machine
    // that schedules the fresh worker late cannot fail it.
    w = new ParseWorker();
    const slow = w.parse(many(20_000), '/m/big.yaml', 'default', 50);
    const next = w.parse(SVC, '/m/a.yaml');
    const r = await slow;
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /took longer than 0\.05 s/);
    const n = await next;
    assert.ok(n.ok && n.file.objects.length === 1, JSON.stringify(n));
  });

  it('a full queue refuses at once', async () => {
    w = new ParseWorker({ maxQueued: 1 });
    const a = w.parse(many(500), '/m/a.yaml');
    const b = w.parse(SVC, '/m/b.yaml');
    const c = await w.parse(SVC, '/m/c.yaml');
    assert.equal(c.busy, true);
    assert.match(c.ok ? '' : c.reason, /already waiting/);
    assert.ok((await a).ok && (await b).ok);
  });

  it('heap asks made while the worker is busy parsing wait as one, and are all answered', async () => {
    w = new ParseWorker();
    assert.ok((await w.parse(SVC, '/m/a.yaml')).ok);
    const long = w.parse(many(3000), '/m/b.yaml');
    const asks = Array.from({ length: 1000 }, () => w!.heap());
    assert.equal(new Set(asks).size, 1, 'one ask waits, however often it is asked');
    const answers = await Promise.all(asks);
    assert.ok(answers.every((h) => h && h.used > 0));
    assert.ok((await long).ok);
    assert.notEqual(w.heap(), asks[0], 'a later ask is a new one');
  });

  it('the worker runs under its heap limits and reports its heap', async () => {
    w = new ParseWorker({ heapMb: 64, youngMb: 2 });
    assert.equal(await w.heap(), undefined, 'no worker before the first parse');
    assert.ok((await w.parse(many(3000), '/m/a.yaml')).ok);
    const h = await w.heap();
    assert.ok(h, 'the running worker answers');
    // heap_size_limit is the old generation's limit plus the young generation's: 64 + 2 MB here,
    // against ~1 GB or more (with V8's 32 MB of semi-spaces) without resourceLimits.
    const mb = h.limit / 1048576;
    assert.ok(mb >= 64 && mb < 80, `worker heap limit ${mb.toFixed(1)} MB`);
    const young = h.spaces['new_space']!.committed / 1048576;
    assert.ok(young <= 2, `worker young generation committed ${young.toFixed(1)} MB`);
    assert.ok(h.used > 0 && h.committed >= h.used);
    assert.ok(
      (await parseWorkerHeaps()).some((x) => x.limit === h.limit),
      'listed among the open pools',
    );
    await w.close();
    assert.equal(await w.heap(), undefined, 'no worker once closed');
    assert.ok(!(await parseWorkerHeaps()).some((x) => x.limit === h.limit), 'a closed pool is no longer listed');
  });

  it('a worker that parsed a large text is replaced once idle by a fresh one, loaded in the background, and its heap goes with it', async () => {
    w = new ParseWorker({ recycleAfterBytes: 1024 * 1024 });
    assert.ok((await w.parse(SVC, '/m/a.yaml')).ok);
    const fresh = (await w.heap())!.committed;
    const big = many(12_000);
    assert.ok(big.length > 1024 * 1024);
    const r = await w.parse(big, '/m/big.yaml');
    assert.ok(r.ok && r.file.objects.length === 12_000);
    // Asked at once, while the replacement loads: the old worker answers, and takes the next texts.
    const after = (await w.heap())!.committed;
    assert.ok(
      after > fresh + 8 * 1048576,
      `the parse left garbage: ${(after / 1048576).toFixed(1)} MB vs ${(fresh / 1048576).toFixed(1)} MB fresh`,
    );
    const next = await Promise.all([w.parse(SVC, '/m/b.yaml'), w.parse(many(3), '/m/c.yaml')]);
    assert.deepEqual(
      next.map((n) => n.ok && n.file.objects.length),
      [1, 3],
    );
    // Well before V8's memory reducer would shrink the old heap (~8 s idle), the pool's worker is a fresh one.
    const end = Date.now() + 4000;
    let now = after;
    while (Date.now() < end && now > after - 8 * 1048576) {
      await new Promise((res) => setTimeout(res, 50));
      now = (await w.heap())?.committed ?? now;
    }
    assert.ok(
      now <= after - 8 * 1048576,
      `worker heap ${(now / 1048576).toFixed(1)} MB, ${(after / 1048576).toFixed(1)} MB after the parse`,
    );
    assert.equal(w.recycled, 1);
    // It warmed up on a sample of what was parsed last (many(3)) before it took texts.
    assert.ok(w.warmRounds > 0, 'the fresh worker parsed a warm-up sample before reporting ready');
    const again = await w.parse(SVC, '/m/d.yaml');
    assert.ok(again.ok && again.file.objects.length === 1, 'the fresh worker parses');
  });

  it('a text that failed to parse never becomes the warm-up sample', async () => {
    w = new ParseWorker({ recycleAfterBytes: 0 });
    assert.ok((await w.parse(SVC, '/m/a.yaml')).ok);
    assert.equal(w.warmUpText, SVC);
    assert.ok(!(await w.parse('a: [', '/m/b.yaml')).ok);
    assert.equal(w.warmUpText, SVC, 'still the last text that parsed');
  });

  it("a fresh worker's warm-up sample is the last text, or its head cut at a document boundary, never a huge one", () => {
    assert.equal(warmSample(SVC), SVC);
    const big = many(2_000);
    const s = warmSample(big)!;
    assert.ok(s.length <= 64 * 1024 && s.length > 60 * 1024, `sample of ${s.length} chars`);
    assert.ok(big.startsWith(s) && big.slice(s.length).startsWith('---\n'), 'cut where a document ends');
    const r = parseConfigText(s, '/m/s.yaml');
    assert.ok(r.ok && r.file.objects.length > 400, 'the sample is whole documents that parse');
    assert.equal(warmSample(`a: "${'x'.repeat(70 * 1024)}"\n`), null, 'one document larger than the sample: no warm-up');
  });

  it('closing while a replacement loads stops both workers and refuses later texts', async () => {
    w = new ParseWorker({ recycleAfterBytes: 1 });
    assert.ok((await w.parse(SVC, '/m/a.yaml')).ok);
    await w.close();
    assert.equal(await w.heap(), undefined);
    const r = await w.parse(SVC, '/m/b.yaml');
    assert.ok(!r.ok && /shut down/.test(r.reason));
  });
});
