/**
 * @module server/security/jwt-keys
 * Folder mode's token check (no API server to ask): JWTs verified locally with `jose` against a
 * JWKS file (`{"keys": [...]}`, e.g. the cluster's /openid/v1/jwks) or a PEM file of public keys
 * (e.g. the API server's service-account signing key), with an optional issuer and the audiences
 * (default `istio-ca`). The identity comes from the verified claims exactly as TokenReview's:
 * `kubernetes.io.namespace` + `kubernetes.io.serviceaccount.name` as projected tokens carry them,
 * or `sub: system:serviceaccount:<ns>:<sa>`. Only asymmetric algorithms are accepted.
 * The key file is re-read when its modification time changes (checked at most every 5 s).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createLocalJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { AuthResult, Authenticator, CallCredentials } from './identity.js';
import { spiffeOf } from './identity.js';
import { MAX_TOKEN_BYTES, bearerToken, serviceAccountOfClaims } from './claims.js';
import { DEFAULT_AUDIENCES } from './tokenreview.js';
import { logger } from '../log.js';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

type Keys = { kind: 'jwks'; get: JWTVerifyGetKey } | { kind: 'pem'; keys: readonly KeyObject[] };

/** Parses a JWKS (JSON) or PEM public-key file's text; throws naming the file on anything else. */
export function parseKeyFile(file: string, text: string): Keys {
  const t = text.trim();
  if (t.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(t);
    } catch (e) {
      throw new Error(`${file}: not valid JSON: ${(e as Error).message}`);
    }
    const keys = (doc as { keys?: unknown }).keys;
    if (!Array.isArray(keys) || !keys.length) throw new Error(`${file}: a JWKS needs a non-empty "keys" array`);
    return { kind: 'jwks', get: createLocalJWKSet(doc as { keys: [] }) };
  }
  const blocks = t.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  if (!blocks.length) throw new Error(`${file}: neither a JWKS (JSON) nor PEM "PUBLIC KEY" blocks`);
  return {
    kind: 'pem',
    keys: blocks.map((b, i) => {
      try {
        return createPublicKey(b);
      } catch (e) {
        throw new Error(`${file}: public key ${i + 1}: ${(e as Error).message}`);
      }
    }),
  };
}

export interface JwtKeysOptions {
  readonly file: string;
  readonly trustDomain: () => string;
  readonly issuer?: string;
  readonly audiences?: readonly string[];
  readonly now?: () => number;
}

const refuse = (message: string): AuthResult => ({ ok: false, code: 'UNAUTHENTICATED', message });

export class JwtKeysAuthenticator implements Authenticator {
  private keys: Keys;
  private mtime: number;
  private checkedAt = 0;
  private readonly audiences: readonly string[];

  constructor(private readonly o: JwtKeysOptions) {
    this.keys = parseKeyFile(o.file, readFileSync(o.file, 'utf8'));
    this.mtime = statSync(o.file).mtimeMs;
    this.audiences = o.audiences?.length ? o.audiences : DEFAULT_AUDIENCES;
  }

  /** Re-reads the key file when it changed; a broken new file keeps the old keys (and says so once per change). */
  private refresh(): void {
    const now = Date.now();
    if (now - this.checkedAt < 5000) return;
    this.checkedAt = now;
    try {
      const m = statSync(this.o.file).mtimeMs;
      if (m === this.mtime) return;
      this.mtime = m;
      this.keys = parseKeyFile(this.o.file, readFileSync(this.o.file, 'utf8'));
    } catch (e) {
      const m = `--jwt-keys: keeping the previous keys: ${(e as Error).message}`;
      logger('security').error({ file: this.o.file, err: (e as Error).message }, m);
    }
  }

  async authenticate(c: CallCredentials): Promise<AuthResult> {
    const token = bearerToken(c.authorization);
    if (token === null) return refuse('no bearer token in the authorization metadata');
    if (token.length > MAX_TOKEN_BYTES) return refuse(`bearer token is ${token.length} bytes, over the ${MAX_TOKEN_BYTES} accepted`);
    this.refresh();
    const opts = {
      algorithms: ALGORITHMS,
      audience: [...this.audiences],
      ...(this.o.issuer ? { issuer: this.o.issuer } : {}),
      ...(this.o.now ? { currentDate: new Date(this.o.now()) } : {}),
    };
    let payload: Record<string, unknown>;
    try {
      payload = await this.verify(token, opts);
    } catch (e) {
      if (e instanceof errors.JWTExpired) return refuse(`bearer token expired (exp ${String(e.payload.exp)})`);
      if (e instanceof errors.JWTClaimValidationFailed)
        return refuse(
          `bearer token claim "${e.claim}" refused: ${e.message} (want audience ${this.audiences.join(', ')}${this.o.issuer ? `, issuer ${this.o.issuer}` : ''})`,
        );
      return refuse(`bearer token not verified by --jwt-keys ${this.o.file}: ${(e as Error).message}`);
    }
    const sa = serviceAccountOfClaims(payload);
    if (!sa) return refuse('bearer token names no service account (kubernetes.io claims or sub system:serviceaccount:<ns>:<sa>)');
    const exp = typeof payload['exp'] === 'number' ? payload['exp'] * 1000 : undefined;
    return {
      ok: true,
      identity: {
        spiffe: [spiffeOf(this.o.trustDomain(), sa.namespace, sa.serviceAccount)],
        method: 'jwt',
        ...(exp !== undefined ? { expiresAt: exp } : {}),
      },
    };
  }

  private async verify(token: string, opts: Parameters<typeof jwtVerify>[2]): Promise<Record<string, unknown>> {
    const k = this.keys;
    if (k.kind === 'jwks') return (await jwtVerify(token, k.get, opts)).payload;
    let last: unknown = new Error('no keys');
    for (const key of k.keys) {
      try {
        return (await jwtVerify(token, key, opts)).payload;
      } catch (e) {
        // A claim failure means the signature matched: report it rather than trying other keys.
        if (e instanceof errors.JWTClaimValidationFailed || e instanceof errors.JWTExpired) throw e;
        last = e;
      }
    }
    throw last;
  }
}
