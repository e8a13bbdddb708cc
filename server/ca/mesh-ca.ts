/**
 * @module server/ca/mesh-ca
 * The MeshCA (server/ca/types.ts) over an ordered list of places CA material may live: the first
 * that has material wins (plugged-in cacerts before tspilot's own self-signed root), as istiod
 * chooses. The material is re-read whenever a place reports a possible change; when it really
 * changed (different certificates), a new serving certificate is issued and `onChange` listeners
 * run, so new TLS handshakes use the new material while open streams keep going. Bad new material
 * (key does not match, broken chain, unreadable) is logged and the last good material stays.
 * The serving certificate (a fresh P-256 key, DNS SANs) is renewed when two thirds of its life
 * has passed.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { loadBundle, type CaBundle } from './bundle.js';
import { acceptCsr } from './csr.js';
import type { MaterialCandidate, MaterialRead } from './folder.js';
import { issueLeaf, issueServing } from './issue.js';
import type { MeshCA, ServingMaterial } from './types.js';

export interface CaLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface MeshCAConfig {
  readonly candidates: readonly MaterialCandidate[];
  /** DNS SANs of the serving certificate. */
  readonly dnsNames: readonly string[];
  readonly servingTtlSeconds: number;
  /** How often each place is re-read besides its own change events. */
  readonly pollMs: number;
  readonly log: CaLog;
}

export class FileBackedMeshCA implements MeshCA {
  private bundle!: CaBundle;
  private filesHash = '';
  private servingMat!: ServingMaterial & { notAfter: number; issuedAt: number };
  private readonly listeners = new Set<() => void>();
  private readonly stops: (() => void)[] = [];
  private renewTimer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private again = false;
  private closed = false;

  private constructor(private readonly cfg: MeshCAConfig) {}

  /** Reads the material (creating the self-signed root if nowhere has any) and starts watching. Throws when there is no usable material. */
  static async start(cfg: MeshCAConfig): Promise<FileBackedMeshCA> {
    const ca = new FileBackedMeshCA(cfg);
    const read = await ca.readFirst();
    ca.bundle = await loadBundle(read.files, read.source, read.plugged);
    ca.filesHash = hashOf(read);
    await ca.issueServing();
    cfg.log.info(
      { source: ca.bundle.source, plugged: ca.bundle.plugged, root: ca.bundle.caCert.subject, rootExpires: ca.rootExpiry() },
      `CA material from ${ca.bundle.source}${ca.bundle.plugged ? ' (plugged-in CA)' : ''}`,
    );
    for (const c of cfg.candidates) ca.stops.push(c.watch(() => ca.reload(), cfg.pollMs));
    return ca;
  }

  roots(): readonly string[] {
    return this.bundle.roots;
  }
  serving(): ServingMaterial {
    return { keyPem: this.servingMat.keyPem, certChainPem: this.servingMat.certChainPem };
  }
  /** Where the material came from and whether it is a plugged-in CA. */
  describe(): { source: string; plugged: boolean } {
    return { source: this.bundle.source, plugged: this.bundle.plugged };
  }
  /** Unix seconds at which the root the chain ends at expires. */
  rootExpiry(): number {
    return Math.floor(Date.parse(new X509Certificate(this.bundle.roots[0]!).validTo) / 1000);
  }

  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
    };
  }

  async sign(csrPem: string, identities: readonly string[], ttlSeconds: number): Promise<readonly string[]> {
    if (!identities.length) throw new Error('no identity to put in the certificate');
    if (!(ttlSeconds > 0)) throw new Error(`ttlSeconds must be positive (got ${ttlSeconds})`);
    const { publicKey } = await acceptCsr(csrPem);
    const b = this.bundle;
    const leaf = await issueLeaf(b, { publicKey, uris: identities, ttlSeconds });
    return [leaf, ...b.intermediates, b.roots[0]!];
  }

  close(): void {
    this.closed = true;
    for (const s of this.stops.splice(0)) s();
    clearTimeout(this.renewTimer);
  }

  /** Re-reads the material; coalesces bursts of change events into one reload at a time. */
  reload(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.again = false;
        await this.reloadOnce();
      } while (this.again && !this.closed);
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async reloadOnce(): Promise<void> {
    let read: MaterialRead;
    try {
      read = await this.readFirst();
    } catch (e) {
      this.cfg.log.error(
        { err: (e as Error).message },
        `cannot re-read the CA material: ${(e as Error).message}; keeping ${this.bundle.source}`,
      );
      return;
    }
    const h = hashOf(read);
    if (h === this.filesHash) return;
    let next: CaBundle;
    try {
      next = await loadBundle(read.files, read.source, read.plugged);
    } catch (e) {
      this.cfg.log.error({ err: (e as Error).message }, `new CA material rejected: ${(e as Error).message}; keeping ${this.bundle.source}`);
      return;
    }
    this.filesHash = h;
    if (next.fingerprint === this.bundle.fingerprint) return;
    this.bundle = next;
    await this.issueServing();
    this.cfg.log.info(
      { source: next.source, plugged: next.plugged, root: next.caCert.subject },
      `CA material changed: now ${next.source}; new serving certificate issued`,
    );
    this.emit();
  }

  private async readFirst(): Promise<MaterialRead> {
    for (const c of this.cfg.candidates) {
      const r = await c.read();
      if (r) return r;
    }
    throw new Error(`no CA material in ${this.cfg.candidates.map((c) => c.describe).join(', ')}`);
  }

  private async issueServing(): Promise<void> {
    const s = await issueServing(this.bundle, this.cfg.dnsNames, this.cfg.servingTtlSeconds);
    this.servingMat = {
      keyPem: s.keyPem,
      certChainPem: [s.leafPem, ...this.bundle.intermediates].join(''),
      notAfter: s.notAfter,
      issuedAt: Date.now(),
    };
    clearTimeout(this.renewTimer);
    if (this.closed) return;
    const renewIn = Math.max(1000, Math.floor(((s.notAfter - this.servingMat.issuedAt) * 2) / 3));
    this.renewTimer = setTimeout(
      () => {
        void this.renew();
      },
      Math.min(renewIn, 2 ** 31 - 1),
    );
    this.renewTimer.unref();
  }

  private async renew(): Promise<void> {
    try {
      await this.issueServing();
      this.cfg.log.info({ notAfter: new Date(this.servingMat.notAfter).toISOString() }, 'serving certificate renewed');
      this.emit();
    } catch (e) {
      this.cfg.log.error({ err: (e as Error).message }, `cannot renew the serving certificate: ${(e as Error).message}; retrying in 30 s`);
      this.renewTimer = setTimeout(() => {
        void this.renew();
      }, 30_000);
      this.renewTimer.unref();
    }
  }

  private emit(): void {
    for (const cb of [...this.listeners]) {
      try {
        cb();
      } catch (e) {
        this.cfg.log.error({ err: (e as Error).message }, 'a CA change listener failed');
      }
    }
  }
}

function hashOf(r: MaterialRead): string {
  return createHash('sha256')
    .update(JSON.stringify([r.source, r.files]))
    .digest('hex');
}
