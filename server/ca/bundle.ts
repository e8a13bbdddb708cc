/**
 * @module server/ca/bundle
 * The CA's signing material, validated, as istio lays it out: `ca-cert.pem` (the signing CA
 * certificate), `ca-key.pem` (its key), `cert-chain.pem` (the chain above it, possibly including
 * ca-cert.pem itself and the root, as istio's cert tools write it) and `root-cert.pem` (the mesh
 * root(s); empty for a self-signed CA, whose ca-cert.pem IS the root). Loading checks that the key
 * belongs to the certificate, that the certificate is a CA and not expired, and that it chains to a
 * root, and computes the intermediates a workload chain carries (signer first, root excluded).
 */
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { importSigningKey, type SigningKey } from './crypto.js';
import { certificatesOf, toPem } from './pem.js';

/** The four PEM texts, by istio's file / Secret key names. */
export interface CaFiles {
  readonly 'ca-cert.pem': string;
  readonly 'ca-key.pem': string;
  readonly 'cert-chain.pem'?: string;
  readonly 'root-cert.pem'?: string;
}

export interface CaBundle {
  /** Where it came from, for logs: `folder /etc/cacerts`, `Secret istio-system/istio-ca-secret`. */
  readonly source: string;
  /** True when a plugged-in CA (cacerts) was used rather than tspilot's self-signed root. */
  readonly plugged: boolean;
  readonly signer: SigningKey;
  readonly caCert: X509Certificate;
  /** Certificates between a leaf and the root, signer first (empty when the signer is the root). */
  readonly intermediates: readonly string[];
  /** Every trusted root (PEM); the first is the one the signer chains to. */
  readonly roots: readonly string[];
  /** sha256 over the signer, its chain and the roots: equal fingerprints = same material. */
  readonly fingerprint: string;
}

const MAX_CHAIN = 10;

const pemOf = (c: X509Certificate): string => toPem(c.raw, 'CERTIFICATE');
const issuedBy = (child: X509Certificate, parent: X509Certificate): boolean => child.checkIssued(parent) && child.verify(parent.publicKey);
const selfSigned = (c: X509Certificate): boolean => issuedBy(c, c);

function parseAll(text: string | undefined, what: string): X509Certificate[] {
  try {
    return certificatesOf(text ?? '').map((der) => new X509Certificate(der));
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

/** Validates `files` into a bundle; throws an Error naming the file and the problem. */
export async function loadBundle(files: CaFiles, source: string, plugged: boolean, now = Date.now()): Promise<CaBundle> {
  const [caCert, ...extra] = parseAll(files['ca-cert.pem'], 'ca-cert.pem');
  if (!caCert) throw new Error(`${source}: ca-cert.pem holds no certificate`);
  if (extra.length) throw new Error(`${source}: ca-cert.pem holds ${extra.length + 1} certificates; it must be the signing CA's alone`);
  if (!caCert.ca)
    throw new Error(`${source}: ca-cert.pem (${caCert.subject || 'no subject'}) is not a CA certificate (basicConstraints CA:TRUE)`);
  if (Date.parse(caCert.validTo) <= now) throw new Error(`${source}: ca-cert.pem expired at ${caCert.validTo}`);
  let key;
  try {
    key = createPrivateKey(files['ca-key.pem']);
  } catch (e) {
    throw new Error(`${source}: ca-key.pem is not a private key: ${(e as Error).message}`);
  }
  if (!caCert.checkPrivateKey(key)) throw new Error(`${source}: ca-key.pem is not the key of ca-cert.pem`);
  let signer: SigningKey;
  try {
    signer = await importSigningKey(files['ca-key.pem']);
  } catch (e) {
    throw new Error(`${source}: ca-key.pem: ${(e as Error).message}`);
  }
  let roots = parseAll(files['root-cert.pem'], 'root-cert.pem');
  if (!roots.length) {
    if (!selfSigned(caCert)) throw new Error(`${source}: root-cert.pem is empty and ca-cert.pem is not self-signed`);
    roots = [caCert];
  }
  const pool = parseAll(files['cert-chain.pem'], 'cert-chain.pem');
  const intermediates: X509Certificate[] = [];
  let cur = caCert;
  let root: X509Certificate | undefined;
  for (let i = 0; i <= MAX_CHAIN && !root; i++) {
    root = roots.find((r) => r.raw.equals(cur.raw) || issuedBy(cur, r));
    if (root) {
      if (!root.raw.equals(cur.raw)) intermediates.push(cur);
      break;
    }
    const up = pool.find((c) => !c.raw.equals(cur.raw) && issuedBy(cur, c));
    if (!up)
      throw new Error(
        `${source}: ca-cert.pem does not chain to root-cert.pem (no issuer of ${cur.subject || cur.serialNumber} in cert-chain.pem or root-cert.pem)`,
      );
    intermediates.push(cur);
    cur = up;
  }
  if (!root) throw new Error(`${source}: the chain from ca-cert.pem is longer than ${MAX_CHAIN}`);
  const ordered = [root, ...roots.filter((r) => r !== root)];
  const rootPems = ordered.map(pemOf);
  const interPems = intermediates.map(pemOf);
  const fingerprint = createHash('sha256')
    .update([pemOf(caCert), ...interPems, ...rootPems].join(''))
    .digest('hex');
  return { source, plugged, signer, caCert, intermediates: interPems, roots: rootPems, fingerprint };
}
