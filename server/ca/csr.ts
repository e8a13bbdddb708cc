/**
 * @module server/ca/csr
 * Reads a workload's PEM CSR and decides whether tspilot will sign it: at most MAX_CSR_BYTES of
 * text, exactly one CERTIFICATE REQUEST block, a PKCS#10 structure, a signature that verifies with
 * the CSR's own key over a non-SHA-1 hash, and a key tspilot accepts — RSA 2048–8192 bits or EC
 * P-256/P-384/P-521. Anything else is a CsrError whose message says why (the CA service returns it
 * as INVALID_ARGUMENT). Only the public key is used: the subject and SANs the CSR asks for are ignored.
 */
import { createPublicKey } from 'node:crypto';
import { x509 } from './crypto.js';
import { pemBlocks } from './pem.js';
import { CsrError } from './types.js';

/** Largest CSR text accepted (a 8192-bit RSA CSR is ~3 KiB). */
export const MAX_CSR_BYTES = 64 * 1024;
const RSA_MIN_BITS = 2048;
const RSA_MAX_BITS = 8192;
const CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

export interface AcceptedCsr {
  readonly publicKey: x509.PublicKey;
  /** `RSA 2048`, `EC prime256v1`: for logs. */
  readonly keyDescription: string;
}

export async function acceptCsr(pem: string): Promise<AcceptedCsr> {
  if (typeof pem !== 'string' || pem.length === 0) throw new CsrError('the CSR is empty');
  if (Buffer.byteLength(pem, 'utf8') > MAX_CSR_BYTES)
    throw new CsrError(`the CSR is ${Buffer.byteLength(pem, 'utf8')} bytes, over the ${MAX_CSR_BYTES}-byte limit`);
  let blocks;
  try {
    blocks = pemBlocks(pem).filter((b) => b.label === 'CERTIFICATE REQUEST' || b.label === 'NEW CERTIFICATE REQUEST');
  } catch (e) {
    throw new CsrError(`the CSR is not PEM: ${(e as Error).message}`);
  }
  if (blocks.length !== 1)
    throw new CsrError(
      blocks.length ? 'the CSR holds more than one CERTIFICATE REQUEST block' : 'the CSR is not PEM: no CERTIFICATE REQUEST block',
    );
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(blocks[0]!.der);
  } catch (e) {
    throw new CsrError(`the CSR is not a PKCS#10 certificate request: ${(e as Error).message}`);
  }
  let keyDescription: string;
  try {
    const k = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    const d = k.asymmetricKeyDetails ?? {};
    if (k.asymmetricKeyType === 'rsa') {
      const bits = d.modulusLength ?? 0;
      if (bits < RSA_MIN_BITS) throw new CsrError(`the CSR's RSA key has ${bits} bits; at least ${RSA_MIN_BITS} are required`);
      if (bits > RSA_MAX_BITS) throw new CsrError(`the CSR's RSA key has ${bits} bits; at most ${RSA_MAX_BITS} are accepted`);
      keyDescription = `RSA ${bits}`;
    } else if (k.asymmetricKeyType === 'ec') {
      if (!CURVES.has(d.namedCurve ?? ''))
        throw new CsrError(`the CSR's EC key uses curve ${d.namedCurve ?? '(unnamed)'}; supported: P-256, P-384, P-521`);
      keyDescription = `EC ${d.namedCurve}`;
    } else {
      throw new CsrError(`the CSR's key type ${k.asymmetricKeyType ?? '(unknown)'} is not supported (RSA or EC)`);
    }
  } catch (e) {
    if (e instanceof CsrError) throw e;
    throw new CsrError(`the CSR's public key cannot be read: ${(e as Error).message}`);
  }
  let alg: { name?: string; hash?: { name?: string } };
  try {
    alg = csr.signatureAlgorithm as { name?: string; hash?: { name?: string } };
  } catch (e) {
    throw new CsrError(`the CSR's signature algorithm is not supported: ${(e as Error).message}`);
  }
  const hash = alg.hash?.name ?? '';
  if (!['SHA-256', 'SHA-384', 'SHA-512'].includes(hash))
    throw new CsrError(
      `the CSR is signed with ${alg.name ?? 'an unknown algorithm'}${hash ? `/${hash}` : ''}; SHA-256 or stronger is required`,
    );
  let ok = false;
  try {
    ok = await csr.verify();
  } catch (e) {
    throw new CsrError(`the CSR's signature cannot be checked: ${(e as Error).message}`);
  }
  if (!ok) throw new CsrError("the CSR's signature does not verify with its public key");
  return { publicKey: csr.publicKey, keyDescription };
}
