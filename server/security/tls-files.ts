/**
 * @module server/security/tls-files
 * A MeshCA over PEM files (`--tls-cert`, `--tls-key`, `--tls-ca`): the serving chain and key for
 * the TLS xDS port and the roots client certificates are verified against — e.g. a certificate
 * cert-manager issues from the mesh root, or one signed from istiod's `cacerts`. The files are
 * polled (default every 5 s) and, when they change and load as a valid key/chain pair, the new
 * material is used for new handshakes; a half-written or mismatched set keeps the previous material
 * and is reported. It cannot sign workload CSRs (that is the mesh CA's job, server/ca/).
 */
import { readFileSync, statSync } from 'node:fs';
import tls from 'node:tls';
import type { MeshCA, ServingMaterial } from '../ca/types.js';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

interface Loaded {
  readonly material: ServingMaterial;
  readonly roots: readonly string[];
  readonly stamp: string;
}

const stampOf = (f: TlsFiles): string =>
  [f.certFile, f.keyFile, f.caFile]
    .map((p) => {
      const s = statSync(p);
      return `${s.mtimeMs}:${s.size}`;
    })
    .join('|');

/** Reads and checks the three files; throws naming the file or the mismatch. */
export function loadTlsFiles(f: TlsFiles): Loaded {
  const stamp = stampOf(f);
  const read = (p: string, what: string): string => {
    const t = readFileSync(p, 'utf8');
    if (!t.includes('-----BEGIN')) throw new Error(`${what} ${p} holds no PEM block`);
    return t;
  };
  const cert = read(f.certFile, '--tls-cert');
  const key = read(f.keyFile, '--tls-key');
  const ca = read(f.caFile, '--tls-ca');
  const roots = ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!roots.length) throw new Error(`--tls-ca ${f.caFile} holds no CERTIFICATE block`);
  try {
    tls.createSecureContext({ cert, key, ca: roots });
  } catch (e) {
    throw new Error(`--tls-cert ${f.certFile} / --tls-key ${f.keyFile}: ${(e as Error).message}`);
  }
  return { material: { keyPem: key, certChainPem: cert }, roots: roots.map((r) => `${r}\n`), stamp };
}

export class TlsFilesCA implements MeshCA {
  private cur: Loaded;
  private readonly listeners = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;
  private lastError = '';

  constructor(
    private readonly files: TlsFiles,
    pollMs = 5000,
    private readonly onError: (message: string) => void = () => undefined,
  ) {
    this.cur = loadTlsFiles(files);
    this.timer = setInterval(() => this.check(), pollMs);
    this.timer.unref();
  }

  /** Re-reads the files if their size or mtime changed; notifies on success. */
  check(): void {
    try {
      if (stampOf(this.files) === this.cur.stamp) return;
      this.cur = loadTlsFiles(this.files);
      this.lastError = '';
      for (const l of this.listeners) l();
    } catch (e) {
      const m = `TLS files not reloaded, the previous certificate stays in use: ${(e as Error).message}`;
      if (m !== this.lastError) this.onError(m);
      this.lastError = m;
    }
  }

  roots(): readonly string[] {
    return this.cur.roots;
  }
  serving(): ServingMaterial {
    return this.cur.material;
  }
  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  async sign(): Promise<readonly string[]> {
    throw new Error('tspilot was given a serving certificate (--tls-cert), not a signing CA: it cannot issue workload certificates');
  }
  close(): void {
    clearInterval(this.timer);
  }
}
