/**
 * @module server/ca/issue
 * Certificates the CA makes, with @peculiar/x509: the self-signed mesh root (when no CA is plugged
 * in), and leaves signed by the bundle's CA key — workload certificates (URI SANs = SPIFFE IDs,
 * client and server auth) and tspilot's serving certificate (DNS SANs). Leaves have an empty
 * subject, so their SAN extension is critical (RFC 5280 4.2.1.6), as istiod's are; notBefore is
 * backdated a minute for clock skew; serial numbers are 128 random bits.
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import { generateKey, privateKeyPem, x509, type SigningKey } from './crypto.js';
import type { CaBundle } from './bundle.js';

const SKEW_MS = 60_000;

function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40; // positive, no leading zero byte
  return b.toString('hex');
}

/** A self-signed root for `trustDomain` (O=<trustDomain>), valid `ttlMs`; PEM cert and PKCS#8 key. */
export async function createSelfSignedRoot(trustDomain: string, ttlMs: number, now = Date.now()): Promise<{ cert: string; key: string }> {
  const k = await generateKey();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ O: [trustDomain] }],
    keys: { privateKey: k.privateKey, publicKey: k.publicKey },
    signingAlgorithm: k.algorithm,
    notBefore: new Date(now - SKEW_MS),
    notAfter: new Date(now + ttlMs),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(k.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await privateKeyPem(k.privateKey) };
}

export interface LeafRequest {
  /** The subject key: a CSR's public key or a key tspilot generated. */
  readonly publicKey: x509.PublicKeyType;
  readonly uris?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ttlSeconds: number;
}

/** The signer's name and key identifier, parsed once per bundle (parsing costs more than signing). */
const signerInfo = new WeakMap<CaBundle, { issuer: x509.Name; aki: string | undefined }>();
function signerOf(b: CaBundle): { issuer: x509.Name; aki: string | undefined } {
  let s = signerInfo.get(b);
  if (!s) {
    const c = new x509.X509Certificate(b.caCert.raw);
    s = { issuer: c.subjectName, aki: c.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId };
    signerInfo.set(b, s);
  }
  return s;
}

const caEnds = new WeakMap<CaBundle, number>();
function caEndOf(b: CaBundle): number {
  let t = caEnds.get(b);
  if (t === undefined) {
    t = Date.parse(b.caCert.validTo);
    caEnds.set(b, t);
  }
  return t;
}

/** A leaf signed by the bundle's CA key; PEM. Never outlives the signing CA certificate. */
export async function issueLeaf(b: CaBundle, req: LeafRequest, now = Date.now()): Promise<string> {
  const caEnd = caEndOf(b);
  const notAfter = Math.min(now + req.ttlSeconds * 1000, caEnd);
  const names: x509.JsonGeneralNames = [
    ...(req.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(req.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  const { issuer, aki } = signerOf(b);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: '',
    issuer,
    publicKey: req.publicKey,
    signingKey: b.signer.privateKey,
    signingAlgorithm: b.signer.algorithm,
    notBefore: new Date(now - SKEW_MS),
    notAfter: new Date(notAfter),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names, true),
      ...(aki ? [new x509.AuthorityKeyIdentifierExtension(aki)] : []),
    ],
  });
  return cert.toString('pem') + '\n';
}

/** A fresh key and a serving certificate for `dnsNames`; PEM key and leaf. */
export async function issueServing(
  b: CaBundle,
  dnsNames: readonly string[],
  ttlSeconds: number,
  now = Date.now(),
): Promise<{ keyPem: string; leafPem: string; notAfter: number }> {
  const k: SigningKey = await generateKey();
  const leafPem = await issueLeaf(b, { publicKey: k.publicKey, dnsNames, ttlSeconds }, now);
  return { keyPem: await privateKeyPem(k.privateKey), leafPem, notAfter: Date.parse(new X509Certificate(leafPem).validTo) };
}
