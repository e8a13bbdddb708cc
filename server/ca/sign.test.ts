/**
 * The CA's signing (server/ca/mesh-ca.ts over csr.ts, issue.ts, bundle.ts), real crypto: a CSR's
 * own SANs are ignored, bad CSRs are refused with a reason, chains verify with Node's X509Certificate
 * and `openssl verify`, the serving certificate carries istiod's DNS names and chains to the root.
 */
import { strict as assert } from 'node:assert';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { acceptCsr, MAX_CSR_BYTES } from './csr.js';
import { startMeshCA, servingDnsNames, type RunningMeshCA } from './start.js';
import { assertChain, makeCsr, memoryLog, opensslCsr, rmDir, tempDir } from './testkit.js';
import { CsrError } from './types.js';

const ALICE = 'spiffe://cluster.local/ns/default/sa/alice';

describe('mesh CA: signing workload CSRs', function () {
  this.timeout(30_000);
  let dir: string;
  let ca: RunningMeshCA;
  before(async () => {
    dir = tempDir();
    ca = await startMeshCA({ namespace: 'istio-system', cacertsDir: `${dir}/none`, stateDir: `${dir}/state`, log: memoryLog() });
  });
  after(() => {
    ca.close();
    rmDir(dir);
  });

  it("a CSR asking for another identity's SAN gets only the caller's identity", async () => {
    for (const kind of ['p256', 'rsa2048'] as const) {
      const chain = await ca.sign(await makeCsr(kind, 'spiffe://cluster.local/ns/victim/sa/admin'), [ALICE], 3600);
      const [leaf] = assertChain(chain);
      assert.equal(leaf!.subjectAltName, `URI:${ALICE}`, kind);
      assert.equal(leaf!.ca, false);
      assert.equal(leaf!.subject, undefined, "the CSR's subject (O=attacker) is not copied");
    }
  });

  it('the chain is leaf → root for the self-signed root, whose root is what roots() returns', async () => {
    const chain = await ca.sign(await makeCsr(), [ALICE], 600);
    assert.equal(chain.length, 2);
    assert.equal(chain[1], ca.roots()[0]);
    const leaf = new X509Certificate(chain[0]!);
    const life = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 1000;
    assert.ok(Math.abs(life - 600 - 60) <= 2, `validity is the requested 600 s (+60 s backdating), got ${life}`);
  });

  it('refuses bad CSRs with a reason: wrong signature, RSA-1024, unknown curve, SHA-1, Ed25519, garbage, over-size', async () => {
    const good = await makeCsr();
    // Flip the last byte of the DER (inside the signature): the structure parses, the signature no longer verifies.
    const der = Buffer.from(good.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    der[der.length - 1] ^= 0x01;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const cases: [string, string, RegExp][] = [
      ['signature', tampered, /signature does not verify/],
      ['rsa1024', opensslCsr(['-newkey', 'rsa:1024']), /1024 bits; at least 2048/],
      ['secp256k1', opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1']), /curve secp256k1/],
      [
        'sha1',
        opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-sha1']),
        /SHA-1; SHA-256 or stronger is required/,
      ],
      ['ed25519', opensslCsr(['-newkey', 'ed25519']), /ed25519.*not supported|signed with/i],
      ['garbage', 'hello world', /not PEM/],
      ['garbage PEM', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', /not a PKCS#10/],
      ['1 MB', good + 'x'.repeat(1024 * 1024), new RegExp(`over the ${MAX_CSR_BYTES}-byte limit`)],
      ['empty', '', /empty/],
    ];
    for (const [name, csr, reason] of cases) {
      await assert.rejects(ca.sign(csr, [ALICE], 3600), (e: unknown) => {
        assert.ok(e instanceof CsrError, `${name}: a CsrError, got ${String(e)}`);
        assert.match(e.message, reason, name);
        return true;
      });
    }
    await acceptCsr(good); // the untampered one is fine
  });

  it("the serving certificate has istiod's DNS SANs and tspilot's, and chains to the root", () => {
    const s = ca.serving();
    const leaf = new X509Certificate(s.certChainPem);
    assert.deepEqual(
      leaf.subjectAltName?.split(', ').sort(),
      servingDnsNames('istio-system')
        .map((n) => `DNS:${n}`)
        .sort(),
    );
    assert.ok(leaf.subjectAltName?.includes('DNS:istiod.istio-system.svc'));
    assert.ok(leaf.subjectAltName?.includes('DNS:tspilot.istio-system.svc'));
    assert.ok(leaf.checkPrivateKey(createPrivateKey(s.keyPem)));
    assertChain([s.certChainPem, ca.roots()[0]!]);
  });
});
