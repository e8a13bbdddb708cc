/**
 * @module server/ca/folder
 * CA material from the filesystem. `pluggedFolder(dir)`: istio's cacerts layout (ca-cert.pem,
 * ca-key.pem, cert-chain.pem, root-cert.pem; istiod reads it from ./etc/cacerts, where the
 * `cacerts` Secret is mounted) — absent unless ca-cert.pem and ca-key.pem both exist.
 * `stateFolder(dir)`: tspilot's own self-signed root in folder mode (ca-cert.pem, ca-key.pem mode
 * 0600), created ONCE: the creator holds an exclusive lock directory (mkdir is atomic) while it
 * writes; other processes (replicas, restarts racing) wait for the files and read the same root.
 * A lock left by a crashed creator is broken after STALE_LOCK_MS. Removed while running, the
 * root is not re-created (that would replace it under every workload) until a restart. Both report changes by fs.watch
 * on the folder plus a periodic tick (file events are unreliable on some mounts; Secret volumes swap symlinks).
 */
import { existsSync, watch as fsWatch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, rename, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CaFiles } from './bundle.js';
import { createSelfSignedRoot } from './issue.js';

/** What a source found: the files, where, and whether they are a plugged-in CA. */
export interface MaterialRead {
  readonly files: CaFiles;
  readonly source: string;
  readonly plugged: boolean;
}

/** One place CA material may live. `read` answers null when it is not there (try the next place). */
export interface MaterialCandidate {
  readonly describe: string;
  read(): Promise<MaterialRead | null>;
  /** Calls `cb` when the material may have changed. Returns a stop function. */
  watch(cb: () => void, pollMs: number): () => void;
}

const STALE_LOCK_MS = 30_000;
const WAIT_MS = 15_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
}

function watchDir(dir: string, cb: () => void, pollMs: number): () => void {
  let w: FSWatcher | undefined;
  const arm = (): void => {
    if (w || !existsSync(dir)) return;
    try {
      w = fsWatch(dir, { persistent: false }, () => cb());
      w.on('error', () => {
        w?.close();
        w = undefined;
      });
    } catch {
      w = undefined;
    }
  };
  arm();
  const t = setInterval(() => {
    arm();
    cb();
  }, pollMs);
  t.unref();
  return () => {
    clearInterval(t);
    w?.close();
  };
}

export function pluggedFolder(dir: string): MaterialCandidate {
  const abs = path.resolve(dir);
  return {
    describe: `folder ${abs}`,
    read: async () => {
      const [caCert, caKey, chain, root] = await Promise.all(
        ['ca-cert.pem', 'ca-key.pem', 'cert-chain.pem', 'root-cert.pem'].map((f) => readText(path.join(abs, f))),
      );
      if (caCert === undefined || caKey === undefined) return null;
      if (root === undefined) throw new Error(`folder ${abs}: ca-cert.pem and ca-key.pem are there but root-cert.pem is missing`);
      return {
        files: { 'ca-cert.pem': caCert, 'ca-key.pem': caKey, 'cert-chain.pem': chain ?? '', 'root-cert.pem': root },
        source: `folder ${abs}`,
        plugged: true,
      };
    },
    watch: (cb, pollMs) => watchDir(abs, cb, pollMs),
  };
}

async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, text, { mode });
  await rename(tmp, file);
}

export function stateFolder(dir: string, trustDomain: string, rootTtlMs: number): MaterialCandidate {
  const abs = path.resolve(dir);
  const certFile = path.join(abs, 'ca-cert.pem');
  const keyFile = path.join(abs, 'ca-key.pem');
  const lock = path.join(abs, '.creating');
  const current = async (): Promise<MaterialRead | null> => {
    const [cert, key] = await Promise.all([readText(certFile), readText(keyFile)]);
    return cert !== undefined && key !== undefined
      ? { files: { 'ca-cert.pem': cert, 'ca-key.pem': key }, source: `folder ${abs} (self-signed root)`, plugged: false }
      : null;
  };
  let loaded = false;
  return {
    describe: `folder ${abs} (self-signed root)`,
    read: async () => {
      if (loaded) {
        const have = await current();
        if (!have)
          throw new Error(`${abs}: ca-cert.pem/ca-key.pem were removed; keeping the root in use (restart tspilot to create a new one)`);
        return have;
      }
      loaded = true;
      await mkdir(abs, { recursive: true, mode: 0o700 });
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const have = await current();
        if (have) return have;
        try {
          await mkdir(lock);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create ${lock}: ${(e as Error).message}`);
          // Another process is creating the root: wait for its files (or break a stale lock).
          const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
          if (age > STALE_LOCK_MS) {
            await rmdir(lock).catch(() => undefined);
            continue;
          }
          if (Date.now() > deadline)
            throw new Error(`${abs}: another process holds ${lock} and has not written ca-cert.pem/ca-key.pem in ${WAIT_MS / 1000} s`);
          await sleep(25);
          continue;
        }
        try {
          const again = await current(); // written between our check and the lock
          if (again) return again;
          const root = await createSelfSignedRoot(trustDomain, rootTtlMs);
          await writeAtomic(keyFile, root.key, 0o600);
          await writeAtomic(certFile, root.cert, 0o644);
        } finally {
          await rmdir(lock).catch(() => undefined);
        }
      }
    },
    watch: (cb, pollMs) => watchDir(abs, cb, pollMs),
  };
}
