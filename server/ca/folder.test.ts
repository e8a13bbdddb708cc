/**
 * Where the CA's root comes from in folder mode (server/ca/folder.ts, start.ts) and how changes are
 * picked up: an openssl-made plugged-in CA (root → intermediate) in the cacerts folder wins and the
 * chain is leaf → intermediate → root; otherwise a self-signed root is created ONCE in the state
 * folder and reused by later and concurrent instances; replacing the files fires onChange with new
 * serving material; bad new files are refused and the last good material stays.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startMeshCA } from './start.js';
import { assertChain, makeCsr, memoryLog, opensslCacerts, rmDir, tempDir } from './testkit.js';

const BOB = 'spiffe://cluster.local/ns/shop/sa/bob';
const waitFor = async (cond: () => boolean, what: string, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('mesh CA: root material in folder mode', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => rmDir(dir));

  it('uses a plugged-in CA from the cacerts folder: chain leaf → intermediate → root, verified by openssl against root-cert.pem', async () => {
    const cacerts = path.join(dir, 'cacerts');
    mkdirSync(cacerts);
    const { root, intermediate } = opensslCacerts(cacerts);
    const ca = await startMeshCA({ namespace: 'istio-system', cacertsDir: cacerts, stateDir: path.join(dir, 'state'), log: memoryLog() });
    try {
      assert.deepEqual(ca.describe(), { source: `folder ${cacerts}`, plugged: true });
      assert.equal(new X509Certificate(ca.roots()[0]!).fingerprint256, new X509Certificate(root).fingerprint256);
      const chain = await ca.sign(await makeCsr('rsa2048'), [BOB], 3600);
      assert.equal(chain.length, 3);
      assert.equal(new X509Certificate(chain[1]!).fingerprint256, new X509Certificate(intermediate).fingerprint256);
      assertChain(chain, root);
      assertChain([ca.serving().certChainPem.split(/(?<=-----END CERTIFICATE-----\n)/)[0]!, intermediate, root], root);
      assert.throws(() => statSync(path.join(dir, 'state')), 'no self-signed root was made');
    } finally {
      ca.close();
    }
  });

  it('refuses a cacerts folder whose key does not belong to ca-cert.pem', async () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    mkdirSync(a);
    mkdirSync(b);
    opensslCacerts(a, 'a');
    opensslCacerts(b, 'b');
    cpSync(path.join(b, 'ca-key.pem'), path.join(a, 'ca-key.pem'));
    await assert.rejects(
      startMeshCA({ namespace: 'istio-system', cacertsDir: a, stateDir: path.join(dir, 'state'), log: memoryLog() }),
      /ca-key\.pem is not the key of ca-cert\.pem/,
    );
  });

  it('creates the self-signed root once and reuses it across instances (a restart) and concurrent instances (replicas racing)', async () => {
    const state = path.join(dir, 'state');
    const racing = await Promise.all(
      [1, 2, 3].map(() => startMeshCA({ namespace: 'ns', cacertsDir: path.join(dir, 'none'), stateDir: state, log: memoryLog() })),
    );
    try {
      const roots = racing.map((c) => c.roots()[0]);
      assert.equal(new Set(roots).size, 1, 'every racer uses the same root');
      assert.equal(readFileSync(path.join(state, 'ca-cert.pem'), 'utf8').trim(), roots[0]!.trim());
      assert.equal(statSync(path.join(state, 'ca-key.pem')).mode & 0o777, 0o600);
      const later = await startMeshCA({ namespace: 'ns', cacertsDir: path.join(dir, 'none'), stateDir: state, log: memoryLog() });
      assert.equal(later.roots()[0], roots[0], 'a restart reuses the root');
      // A certificate from one replica verifies against the root another replica distributes.
      assertChain([(await racing[1]!.sign(await makeCsr(), [BOB], 60))[0]!, later.roots()[0]!]);
      later.close();
    } finally {
      for (const c of racing) c.close();
    }
  });

  it('separate processes racing on one state folder end up with the same root', async () => {
    const state = path.join(dir, 'state');
    const startJs = new URL('./start.js', import.meta.url).href;
    const script = `const { startMeshCA } = await import(${JSON.stringify(startJs)});
      const q = { info() {}, warn() {}, error() {} };
      const ca = await startMeshCA({ namespace: 'ns', cacertsDir: ${JSON.stringify(path.join(dir, 'none'))}, stateDir: ${JSON.stringify(state)}, log: q });
      process.stdout.write(ca.roots()[0]); await ca.close();`;
    const run = (): Promise<string> =>
      new Promise((resolve, reject) => {
        execFile(process.execPath, ['--input-type=module', '-e', script], (err, out) => (err ? reject(err) : resolve(out)));
      });
    const roots = await Promise.all([run(), run(), run()]);
    assert.equal(new Set(roots).size, 1, 'one root for all processes');
    assert.match(roots[0]!, /BEGIN CERTIFICATE/);
    assert.equal(readFileSync(path.join(state, 'ca-cert.pem'), 'utf8'), roots[0]);
  });

  it('a changed cacerts folder fires onChange and new handshakes get serving material from the new CA; bad files keep the last good', async () => {
    const cacerts = path.join(dir, 'cacerts');
    const next = path.join(dir, 'next');
    mkdirSync(cacerts);
    mkdirSync(next);
    const first = opensslCacerts(cacerts, 'first');
    const second = opensslCacerts(next, 'second');
    const log = memoryLog();
    const ca = await startMeshCA({ namespace: 'istio-system', cacertsDir: cacerts, stateDir: path.join(dir, 'state'), pollMs: 100, log });
    try {
      let changes = 0;
      ca.onChange(() => {
        changes++;
      });
      const before = ca.serving();
      assert.ok(new X509Certificate(before.certChainPem).checkIssued(new X509Certificate(first.intermediate)));
      // A half-written update (a key that does not match) is refused; the old material stays.
      writeFileSync(path.join(cacerts, 'ca-key.pem'), readFileSync(path.join(next, 'ca-key.pem')));
      await waitFor(() => log.lines.some((l) => l.level === 'error' && /rejected/.test(l.msg)), 'the bad key to be refused');
      assert.equal(changes, 0);
      assert.equal(ca.serving().certChainPem, before.certChainPem);
      for (const f of ['ca-cert.pem', 'cert-chain.pem', 'root-cert.pem'])
        writeFileSync(path.join(cacerts, f), readFileSync(path.join(next, f)));
      await waitFor(() => changes > 0, 'onChange after the files changed');
      const after = ca.serving();
      assert.notEqual(after.keyPem, before.keyPem);
      assert.ok(
        new X509Certificate(after.certChainPem).checkIssued(new X509Certificate(second.intermediate)),
        'serving cert from the new intermediate',
      );
      assert.equal(new X509Certificate(ca.roots()[0]!).fingerprint256, new X509Certificate(second.root).fingerprint256);
      assertChain(await ca.sign(await makeCsr(), [BOB], 60), second.root);
    } finally {
      ca.close();
    }
  });

  it('renews the serving certificate before it expires', async () => {
    const ca = await startMeshCA({
      namespace: 'ns',
      cacertsDir: path.join(dir, 'none'),
      stateDir: path.join(dir, 'state'),
      servingTtlSeconds: 3,
      log: memoryLog(),
    });
    try {
      const first = ca.serving();
      let renewed = false;
      ca.onChange(() => {
        renewed = true;
      });
      await waitFor(() => renewed, 'renewal', 4000);
      const next = new X509Certificate(ca.serving().certChainPem);
      assert.notEqual(ca.serving().keyPem, first.keyPem);
      assert.ok(Date.parse(next.validTo) > Date.parse(new X509Certificate(first.certChainPem).validTo));
      assert.ok(Date.parse(new X509Certificate(first.certChainPem).validTo) > Date.now(), 'renewed while the old one was still valid');
    } finally {
      ca.close();
    }
  });
});
