/**
 * @module server/security/authn
 * istiod's authentication order for a call on the TLS port: a client certificate the TLS layer
 * verified against the mesh roots (its SPIFFE URI SANs), then each token authenticator in turn
 * (local JWT keys, TokenReview); the first that accepts wins. No credentials at all, or every
 * authenticator refusing, is UNAUTHENTICATED with every reason joined.
 */
import { X509Certificate } from 'node:crypto';
import type { AuthResult, Authenticator, CallCredentials } from './identity.js';
import { parseSpiffe } from './identity.js';
import { bearerToken } from './claims.js';

/** The SPIFFE URI SANs of a verified client certificate (DER). */
export class ClientCertAuthenticator implements Authenticator {
  async authenticate(c: CallCredentials): Promise<AuthResult> {
    if (!c.peerCertificate) return { ok: false, code: 'UNAUTHENTICATED', message: 'no verified client certificate' };
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(c.peerCertificate);
    } catch (e) {
      return { ok: false, code: 'UNAUTHENTICATED', message: `client certificate unreadable: ${(e as Error).message}` };
    }
    const uris = (cert.subjectAltName ?? '')
      .split(/,\s*/)
      .filter((s) => s.startsWith('URI:'))
      .map((s) => s.slice(4).replace(/^"|"$/g, ''));
    const spiffe = uris.filter((u) => parseSpiffe(u) !== null);
    if (!spiffe.length)
      return {
        ok: false,
        code: 'UNAUTHENTICATED',
        message: `client certificate ${cert.subject.replace(/\n/g, ',')} has no spiffe://<td>/ns/<ns>/sa/<sa> URI SAN`,
      };
    return { ok: true, identity: { spiffe, method: 'client-cert', expiresAt: Date.parse(cert.validTo) } };
  }
}

/** Certificate first, then the token authenticators in order. */
export class ChainAuthenticator implements Authenticator {
  private readonly cert = new ClientCertAuthenticator();

  constructor(private readonly tokens: readonly Authenticator[]) {}

  async authenticate(c: CallCredentials & { readonly certError?: string }): Promise<AuthResult> {
    const reasons: string[] = [];
    if (c.peerCertificate) {
      const r = await this.cert.authenticate(c);
      if (r.ok) return r;
      reasons.push(r.message);
    } else if (c.certError) {
      reasons.push(`client certificate not verified against the mesh roots: ${c.certError}`);
    }
    if (bearerToken(c.authorization) !== null) {
      if (!this.tokens.length)
        reasons.push('a bearer token was sent but no token authenticator is configured (Kubernetes mode, or --jwt-keys)');
      for (const a of this.tokens) {
        const r = await a.authenticate(c);
        if (r.ok) return r;
        reasons.push(r.message);
      }
    } else if (c.authorization) {
      reasons.push('authorization metadata is not "Bearer <token>"');
    }
    if (!reasons.length)
      return {
        ok: false,
        code: 'UNAUTHENTICATED',
        message: 'no credentials: present a client certificate from the mesh CA or an authorization: Bearer <service-account token>',
      };
    return { ok: false, code: 'UNAUTHENTICATED', message: `authentication failed: ${reasons.join('; ')}` };
  }
}
