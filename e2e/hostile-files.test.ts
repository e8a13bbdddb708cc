/**
 * End to end, issue #12 "hostile and unlucky inputs", the folder side, through the real process:
 * an object defined in two files (reported with both names, the file whose path sorts first in
 * force, the other taking over when it goes), kinds tspilot does not read (listed in configz with
 * the reason, warned once), a file over --max-file-bytes (refused by name and limit, last good
 * kept), and hostile YAML posted to /debug/diff (a clear 400, the server keeps answering).
 */
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { configFolder, startTspilot, type Tspilot } from './tspilot.js';
import { rawAds } from './adsclient.js';
import { CDS } from '../proto/typeurls.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  clusterIP: 10.96.0.20
  ports: [{name: http, port: 9080}]
`;

const vs = (timeout: string): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - timeout: ${timeout}
    route: [{destination: {host: reviews}}]
`;

interface Configz {
  configs: { key: string; source: string; object: { spec?: { http?: { timeout?: string }[] } } }[];
  duplicates: { key: string; winner: string; ignored: string[] }[];
  sourceErrors: Record<string, string>;
  ignored: { kind: string; apiVersion: string; namespace: string; name: string; source: string; reason: string }[];
}

const KEY = 'VirtualService/default/reviews';

describe('e2e hostile and unlucky files', function () {
  this.timeout(120_000);
  let folder: Awaited<ReturnType<typeof configFolder>>;
  let pilot: Tspilot | undefined;

  const configz = async (): Promise<Configz> => (await pilot!.getJson<Configz>('/debug/configz')).body;
  /** Polls configz until `pred` holds (the folder is rescanned every 200 ms; the long limit only matters when it never does). */
  async function until(pred: (c: Configz) => boolean, what: string, timeoutMs = 30_000): Promise<Configz> {
    const end = Date.now() + timeoutMs;
    let last: Configz | undefined;
    while (Date.now() < end) {
      last = await configz();
      if (pred(last)) return last;
      await sleep(100);
    }
    assert.fail(
      `timed out waiting for ${what}; configz: ${JSON.stringify({ duplicates: last?.duplicates, sourceErrors: last?.sourceErrors, vs: last?.configs.filter((c) => c.key === KEY) })}`,
    );
  }
  const served = (c: Configz): { source: string; timeout: string | undefined } | undefined => {
    const e = c.configs.find((x) => x.key === KEY);
    return e && { source: path.basename(e.source), timeout: e.object.spec?.http?.[0]?.timeout };
  };

  before(async () => {
    folder = await configFolder();
    await folder.write('service.yaml', SERVICE);
  });
  afterEach(async () => {
    await pilot?.close();
    pilot = undefined;
  });
  after(() => folder?.cleanup());

  it('an object defined in two files: reported with both names, the first path in force, the other taking over when it goes', async () => {
    await folder.write('20-reviews.yaml', vs('2s'));
    await folder.write('10-reviews.yaml', vs('1s'));
    pilot = await startTspilot(folder.dir);
    const c = await configz();
    assert.deepEqual(served(c), { source: '10-reviews.yaml', timeout: '1s' });
    assert.deepEqual(c.duplicates, [
      { key: KEY, winner: path.join(folder.dir, '10-reviews.yaml'), ignored: [path.join(folder.dir, '20-reviews.yaml')] },
    ]);
    const warn = await pilot.waitForLog((l) => l['key'] === KEY && Array.isArray(l['files']), 20_000, 0);
    assert.match(warn.msg, /defined in 2 files .*10-reviews\.yaml.*20-reviews\.yaml.*10-reviews\.yaml is in force/);
    assert.equal(pilot.logs.filter((l) => l['key'] === KEY && Array.isArray(l['files'])).length, 1, 'logged once');

    // Deleting the file in force: the other definition takes over at once.
    await folder.remove('10-reviews.yaml');
    await until((x) => served(x)?.source === '20-reviews.yaml', 'the 20-reviews.yaml definition to take over');
    assert.deepEqual(served(await configz())?.timeout, '2s');
    assert.deepEqual((await configz()).duplicates, []);

    // Back again, then the other file goes: the object must never leave served config.
    await folder.write('10-reviews.yaml', vs('1s'));
    await until((x) => served(x)?.source === '10-reviews.yaml', '10-reviews.yaml back in force');
    await folder.remove('20-reviews.yaml');
    await until((x) => x.duplicates.length === 0, 'the duplicate to clear');
    await sleep(1000);
    assert.deepEqual(served(await configz()), { source: '10-reviews.yaml', timeout: '1s' }, 'still served from the file that defines it');
    await folder.remove('10-reviews.yaml');
  });

  it('kinds tspilot does not read are listed in configz with the reason and warned once per file and kind', async () => {
    const file = path.join(folder.dir, 'misc.yaml');
    await folder.write(
      'misc.yaml',
      `${vs('1s').replace('kind: VirtualService', 'kind: VirtualServce')}---
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: default, namespace: default}
spec: {url: oci://example/filter:1}
`,
    );
    pilot = await startTspilot(folder.dir);
    const c = await configz();
    assert.deepEqual(
      c.ignored.map((i) => [i.source, i.kind, i.namespace, i.name]),
      [
        [file, 'VirtualServce', 'default', 'reviews'],
        [file, 'WasmPlugin', 'default', 'default'],
      ],
    );
    assert.match(c.ignored[0]!.reason, /unknown kind VirtualServce \(did you mean VirtualService\?\)/);
    assert.match(c.ignored[1]!.reason, /not translated by tspilot yet/);
    await pilot.waitForLog((l) => l['kind'] === 'WasmPlugin' && l.level === 'warn', 20_000, 0);
    // Touching the file (a new snapshot) does not repeat the warning.
    await folder.write(
      'misc.yaml',
      `${vs('1s').replace('kind: VirtualService', 'kind: VirtualServce')}---
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: default, namespace: default}
spec: {url: oci://example/filter:2}
---
${SERVICE.replace('name: reviews', 'name: other').replace('10.96.0.20', '10.96.0.21')}`,
    );
    await until((x) => x.configs.some((o) => o.key === 'Service/default/other'), 'the edited file to be read');
    await sleep(300);
    assert.equal(
      pilot.logs.filter((l) => l['file'] === file && l.level === 'warn' && typeof l['kind'] === 'string').length,
      2,
      'one warning per kind',
    );
    await folder.remove('misc.yaml');
  });

  it('a file over --max-file-bytes is refused naming the file and the limit; its last good objects stay', async () => {
    const file = path.join(folder.dir, 'reviews-vs.yaml');
    await folder.write('reviews-vs.yaml', vs('1s'));
    pilot = await startTspilot(folder.dir, ['--max-file-bytes', '4096']);
    assert.deepEqual(served(await configz())?.timeout, '1s');
    await folder.write('reviews-vs.yaml', `${vs('5s')}# ${'padding '.repeat(600)}\n`);
    const c = await until((x) => file in x.sourceErrors, 'a source error for the large file');
    assert.match(c.sourceErrors[file]!, /reviews-vs\.yaml is \d+ bytes, over the 4096-byte limit \(--max-file-bytes\)/);
    assert.deepEqual(served(c)?.timeout, '1s', 'the last good version is still served');
    await pilot.waitForLog((l) => l['file'] === file && /4096-byte limit/.test(String(l['reason'])), 20_000, 0);
    await folder.remove('reviews-vs.yaml');
  });

  describe('hostile YAML posted to /debug/diff', () => {
    const post = async (body: string): Promise<{ status: number; error: string }> => {
      const res = await fetch(`http://127.0.0.1:${pilot!.httpPort}/debug/diff`, { method: 'POST', body });
      const text = await res.text();
      let error = text;
      try {
        error = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        /* plain text */
      }
      return { status: res.status, error };
    };

    it('an alias bomb is a 400 naming the problem', async () => {
      pilot = await startTspilot(folder.dir);
      let bomb = 'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
      let prev = 'a';
      for (const c of 'bcdefghi') {
        bomb += `${c}: &${c} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
        prev = c;
      }
      const r = await post(bomb);
      assert.equal(r.status, 400, r.error);
      assert.match(r.error, /too many aliases/);
    });

    it('over-deep documents are a 400, and /ready keeps answering while several are parsed', async () => {
      pilot = await startTspilot(folder.dir);
      const depth = 150_000;
      const deep = `apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
      const posts = Array.from({ length: 5 }, () => post(deep));
      const ready = await pilot.getJson<string>('/ready');
      assert.equal(ready.status, 200);
      const results = await Promise.all(posts);
      for (const r of results) {
        assert.ok(r.status === 400 || r.status === 503, `${r.status} ${r.error}`);
        assert.match(r.error, r.status === 400 ? /nested too deeply|took longer/ : /already waiting/);
      }
      assert.ok(results.some((r) => r.status === 400));
      assert.equal((await pilot.getJson<string>('/ready')).status, 200, 'still up');
    });
  });

  it('a connected client never gets a CDS response missing a service while the folder churns (renames, atomic replaces, delete/re-add)', async () => {
    const n = 14;
    const svc = (i: number, port = 9080): string =>
      SERVICE.replace('name: reviews', `name: churn${i}`)
        .replace('10.96.0.20', `10.96.2.${i + 1}`)
        .replace('port: 9080', `port: ${port}`);
    for (let i = 0; i < n; i++) await folder.write(`churn${i}.yaml`, svc(i));
    pilot = await startTspilot(folder.dir, ['--debounce-after', '10ms', '--debounce-max', '100ms']);
    const ads = rawAds(`127.0.0.1:${pilot.xdsPort}`);
    try {
      const node = {
        id: 'sidecar~10.0.0.7~churn.default~default.svc.cluster.local',
        cluster: '',
        metadata: { NAMESPACE: 'default' },
        userAgentName: 'churn',
        clientFeatures: [],
        locality: null,
      };
      ads.send({ node, typeUrl: CDS, resourceNames: [] });
      const counts: number[] = [];
      let acking = true;
      void (async () => {
        while (acking) {
          const r = await ads.next(60_000).catch(() => undefined);
          if (!r) return;
          counts.push(r.resources.length);
          ads.send({ typeUrl: CDS, versionInfo: r.version_info, responseNonce: r.nonce, resourceNames: [] });
        }
      })();
      const end = Date.now() + 5000;
      const where = Array.from({ length: n }, (_, i) => `churn${i}.yaml`);
      let ops = 0;
      while (Date.now() < end) {
        const i = ops % n;
        const cur = path.join(folder.dir, where[i]!);
        if (ops % 3 === 0) {
          where[i] = where[i]!.endsWith('.yaml') ? `churn${i}-renamed.yml` : `churn${i}.yaml`;
          await rename(cur, path.join(folder.dir, where[i]!));
        } else if (ops % 3 === 1) {
          const tmp = path.join(folder.dir, `.churn${i}.swp`);
          // An edit clients see: the port moves, so CDS changes while the count must not.
          await writeFile(tmp, svc(i, 9080 + (Math.floor(ops / n) % 2)));
          await rename(tmp, cur);
        } else {
          await unlink(cur);
          await writeFile(cur, svc(i, 9080 + (Math.floor(ops / n) % 2)));
        }
        ops++;
        await sleep(10);
      }
      await sleep(1500);
      acking = false;
      const full = counts[0]!;
      assert.ok(counts.length > 3, `the client kept receiving CDS (${counts.length} responses)`);
      assert.deepEqual(
        counts.filter((c) => c !== full),
        [],
        `${ops} operations; cluster counts seen: ${[...new Set(counts)].join(', ')} (full: ${full})`,
      );
    } finally {
      ads.close();
    }
    for (let i = 0; i < n; i++) {
      await folder.remove(`churn${i}.yaml`);
      await folder.remove(`churn${i}-renamed.yml`);
    }
  });
});
