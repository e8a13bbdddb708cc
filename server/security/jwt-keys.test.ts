/**
 * Folder mode's local JWT check: PEM public keys as well as JWKS, issuer and audience enforced,
 * symmetric algorithms refused (no HS256 signed with the public key), and unusable key files
 * named at startup.
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { JwtKeysAuthenticator } from './jwt-keys.js';

describe('JWT keys authenticator (--jwt-keys)', () => {
  let dir: string;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tspilot-jwt-'));
    await writeFile(path.join(dir, 'sa.pub'), pub);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const auth = (issuer?: string) =>
    new JwtKeysAuthenticator({ file: path.join(dir, 'sa.pub'), trustDomain: () => 'td', ...(issuer ? { issuer } : {}) });
  const token = (o: { iss?: string; aud?: string } = {}) =>
    new SignJWT({ sub: 'system:serviceaccount:ns1:sa1' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(o.iss ?? 'kubernetes/serviceaccount')
      .setAudience(o.aud ?? 'istio-ca')
      .setExpirationTime('10m')
      .sign(privateKey);

  it('verifies against a PEM public key and maps sub to the SPIFFE ID', async () => {
    const r = await auth('kubernetes/serviceaccount').authenticate({ authorization: `Bearer ${await token()}` });
    assert.ok(r.ok);
    assert.deepEqual(r.identity.spiffe, ['spiffe://td/ns/ns1/sa/sa1']);
  });

  it('refuses another issuer, another audience, and an HS256 token keyed with the public key', async () => {
    const a = auth('kubernetes/serviceaccount');
    const wrongIss = await a.authenticate({ authorization: `Bearer ${await token({ iss: 'evil' })}` });
    assert.ok(!wrongIss.ok && /"iss"/.test(wrongIss.message));
    const wrongAud = await a.authenticate({ authorization: `Bearer ${await token({ aud: 'api' })}` });
    assert.ok(!wrongAud.ok && /"aud"/.test(wrongAud.message));
    const hs = await new SignJWT({ sub: 'system:serviceaccount:ns1:sa1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience('istio-ca')
      .setIssuer('kubernetes/serviceaccount')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(pub));
    assert.equal((await a.authenticate({ authorization: `Bearer ${hs}` })).ok, false);
  });

  it('a key file that is neither JWKS nor PEM is named at startup', async () => {
    await writeFile(path.join(dir, 'bad'), 'hello');
    assert.throws(() => new JwtKeysAuthenticator({ file: path.join(dir, 'bad'), trustDomain: () => 'td' }), /bad: neither a JWKS/);
  });
});
