/**
 * @module server/ca/crypto
 * The CA's keys over Node's WebCrypto, with @peculiar/x509 bound to it (it needs reflect-metadata
 * loaded first, so every CA file imports x509 from here). Private keys arrive in any PEM form
 * istio's cacerts use (PKCS#8, PKCS#1 RSA, SEC1 EC) and are imported as WebCrypto signing keys;
 * the signature algorithm follows the key: RSA → RSASSA-PKCS1-v1_5/SHA-256, EC P-256/384/521 →
 * ECDSA with SHA-256/384/512. Keys tspilot generates are ECDSA P-256.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { toPem } from './pem.js';
import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';

// The library's types name DOM globals that this project's lib settings do not load.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export const subtle = webcrypto.subtle;

export type CryptoKey = webcrypto.CryptoKey;
export type SignAlg = webcrypto.RsaHashedImportParams | (webcrypto.EcKeyImportParams & webcrypto.EcdsaParams);

export interface SigningKey {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** Import and signing parameters (name, hash, namedCurve). */
  readonly algorithm: SignAlg;
}

const CURVES: Readonly<Record<string, { curve: string; hash: string }>> = {
  prime256v1: { curve: 'P-256', hash: 'SHA-256' },
  secp384r1: { curve: 'P-384', hash: 'SHA-384' },
  secp521r1: { curve: 'P-521', hash: 'SHA-512' },
};

/** The signing algorithm for a Node key (private or public); throws for key types the CA cannot use. */
export function algorithmOf(k: KeyObject): SignAlg {
  if (k.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (k.asymmetricKeyType === 'ec') {
    const c = CURVES[k.asymmetricKeyDetails?.namedCurve ?? ''];
    if (c) return { name: 'ECDSA', namedCurve: c.curve, hash: c.hash };
    throw new Error(`EC curve ${k.asymmetricKeyDetails?.namedCurve ?? '(unknown)'} is not supported (P-256, P-384, P-521)`);
  }
  throw new Error(`${k.asymmetricKeyType ?? 'unknown'} keys are not supported (RSA or EC)`);
}

/** Imports a PEM private key (PKCS#8, PKCS#1 or SEC1) as a WebCrypto signing key pair. */
export async function importSigningKey(pem: string): Promise<SigningKey> {
  const k = createPrivateKey(pem);
  const algorithm = algorithmOf(k);
  const pkcs8 = k.export({ format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(k).export({ format: 'der', type: 'spki' });
  const privateKey = await subtle.importKey('pkcs8', pkcs8, algorithm, true, ['sign']);
  const publicKey = await subtle.importKey('spki', spki, algorithm, true, ['verify']);
  return { privateKey, publicKey, algorithm };
}

/** A fresh ECDSA P-256 key pair (extractable, so it can be stored as PEM). */
export async function generateKey(): Promise<SigningKey> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const pair = await subtle.generateKey(algorithm, true, ['sign', 'verify']);
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, algorithm };
}

/** PKCS#8 PEM of a private key. */
export async function privateKeyPem(k: CryptoKey): Promise<string> {
  return toPem(await subtle.exportKey('pkcs8', k), 'PRIVATE KEY');
}
