/**
 * @module e2e/security/testca
 * TEST ONLY: throwaway X.509 material for the TLS tests — a root, leaves chaining to it (DNS SANs
 * for the server, SPIFFE URI SANs for clients, any validity window) and a MeshCA over them whose
 * serving material can be swapped to exercise rotation. Not the mesh CA (server/ca/ is); it cannot
 * sign CSRs.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { MeshCA, ServingMaterial } from '../../server/ca/types.js';

// Node's WebCrypto is the provider; @peculiar/x509 types it with the DOM's Crypto, which this project's lib does not include.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
}
export interface TestRoot extends Issued {
  readonly keys: CryptoKeyPair;
  readonly name: string;
}

async function keyPem(k: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', k);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export async function testRoot(name = 'tspilot test root'): Promise<TestRoot> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}, O=tspilot-test`,
    keys,
    signingAlgorithm: ALG,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { keys, name, certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/** A leaf signed by `root` with DNS and/or URI SANs; validity defaults to now-1d .. now+1d. */
export async function testLeaf(
  root: TestRoot,
  o: { dns?: readonly string[]; uris?: readonly string[]; notBefore?: Date; notAfter?: Date; cn?: string },
): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const sans = [
    ...(o.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(o.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${o.cn ?? o.dns?.[0] ?? 'workload'}`,
    issuer: `CN=${root.name}, O=tspilot-test`,
    publicKey: keys.publicKey,
    signingKey: root.keys.privateKey,
    signingAlgorithm: ALG,
    notBefore: o.notBefore ?? new Date(Date.now() - DAY),
    notAfter: o.notAfter ?? new Date(Date.now() + DAY),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(sans),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/** The SAN tspilot's serving certificate carries in these tests (the name pilot-agent checks by default). */
export const ISTIOD_SAN = 'istiod.istio-system.svc';

/** A MeshCA over fixed material; `rotate` swaps the serving material (and roots) and notifies. */
export class TestMeshCA implements MeshCA {
  private readonly listeners = new Set<() => void>();
  constructor(
    private rootPems: readonly string[],
    private material: ServingMaterial,
  ) {}
  static async create(root: TestRoot, dns: readonly string[] = [ISTIOD_SAN]): Promise<TestMeshCA> {
    const leaf = await testLeaf(root, { dns });
    return new TestMeshCA([root.certPem], { keyPem: leaf.keyPem, certChainPem: leaf.certPem });
  }
  roots(): readonly string[] {
    return this.rootPems;
  }
  serving(): ServingMaterial {
    return this.material;
  }
  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  rotate(roots: readonly string[], material: ServingMaterial): void {
    this.rootPems = roots;
    this.material = material;
    for (const l of this.listeners) l();
  }
  async sign(): Promise<readonly string[]> {
    throw new Error('the test MeshCA does not sign CSRs');
  }
}
