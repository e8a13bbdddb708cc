/**
 * @module server/security/jwks.test
 * The JWKS fetcher against a local JWKS server on 127.0.0.1: first keys arrive without blocking
 * (snapshot returns at once, onChange fires when they land), rotation is picked up on refresh, an
 * outage keeps the last good keys (and is reported), a URI that never worked is an error, oversized
 * and non-JWKS answers are refused, only http(s) is fetched, the number of URIs is bounded, and a
 * URI no longer wanted is forgotten; an issuer without jwksUri is resolved through OpenID discovery.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwksFetcher, jwksUris } from './jwks.js';
import { meshFrom } from '../../translators/harness.test.js';

const key = (kid: string): string =>
  JSON.stringify({
    keys: [
      { kty: 'EC', crv: 'P-256', kid, x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' },
    ],
  });

interface Jwks {
  server: http.Server;
  base: string;
  body: string;
  status: number;
  delayMs: number;
  hits: number;
}

async function jwksServer(): Promise<Jwks> {
  const s: Jwks = { server: http.createServer(), base: '', body: key('k1'), status: 200, delayMs: 0, hits: 0 };
  s.server.on('request', (req, res) => {
    s.hits++;
    setTimeout(() => {
      if (req.url === '/issuer/.well-known/openid-configuration') {
        res.writeHead(200);
        res.end(JSON.stringify({ issuer: `${s.base}/issuer`, jwks_uri: `${s.base}/keys` }));
        return;
      }
      if (req.url === '/huge') {
        res.writeHead(200);
        res.end(`{"keys":[${'"x",'.repeat(100_000)}"x"]}`);
        return;
      }
      res.writeHead(s.status, { 'content-type': 'application/json' });
      res.end(s.body);
    }, s.delayMs);
  });
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  s.base = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
  return s;
}

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('server/security/jwks (JWKS fetched for RequestAuthentication jwksUri)', () => {
  let srv: Jwks;
  let f: JwksFetcher | undefined;
  beforeEach(async () => {
    srv = await jwksServer();
  });
  afterEach(async () => {
    f?.close();
    f = undefined;
    srv.server.closeAllConnections();
    await new Promise((r) => srv.server.close(r));
  });

  it('never blocks: the snapshot answers at once, onChange fires when the keys arrive; rotation is picked up', async () => {
    let changes = 0;
    srv.delayMs = 200;
    f = new JwksFetcher({ onChange: () => changes++, refreshMs: 150, retryMs: 50 });
    const uri = `${srv.base}/jwks`;
    const t0 = Date.now();
    f.want([uri]);
    assert.deepEqual(f.snapshot().get(uri), { error: 'not fetched yet' });
    assert.ok(Date.now() - t0 < 100, 'want() and snapshot() do not wait for the network');
    await until(() => changes === 1, 'first keys');
    assert.deepEqual(f.snapshot().get(uri), { jwks: key('k1') });
    srv.delayMs = 0;
    srv.body = key('k2');
    await until(() => changes === 2, 'rotated keys');
    assert.deepEqual(f.snapshot().get(uri), { jwks: key('k2') });
  });

  it('an outage keeps the last good keys and is reported; a URI that never worked is an error', async () => {
    let changes = 0;
    const fails: string[] = [];
    f = new JwksFetcher({
      onChange: () => changes++,
      refreshMs: 100,
      retryMs: 20,
      onFetch: (_u, o) => {
        if (!o.ok) fails.push(`${o.error} kept=${o.keptLastGood}`);
      },
    });
    const uri = `${srv.base}/jwks`;
    f.want([uri]);
    await until(() => changes === 1, 'first keys');
    srv.status = 503;
    await until(() => fails.length >= 2, 'failed refreshes');
    assert.deepEqual(f.snapshot().get(uri), { jwks: key('k1') }, 'last good keys stay');
    assert.equal(changes, 1, 'a failed refresh does not change what proxies get');
    assert.match(fails[0]!, /HTTP 503 .* kept=true/);
    assert.match(f.status()[0]!.lastError ?? '', /HTTP 503/);
    const down = `http://127.0.0.1:1/jwks`;
    f.want([uri, down]);
    await until(
      () => 'error' in (f!.snapshot().get(down) ?? {}) && (f!.snapshot().get(down) as { error: string }).error !== 'not fetched yet',
      'the error for an unreachable URI',
    );
    srv.status = 200;
    srv.body = key('k3');
    await until(() => (f!.snapshot().get(uri) as { jwks?: string }).jwks === key('k3'), 'recovery after the outage');
  });

  it('refuses oversized answers, non-JWKS answers, non-http URIs and more URIs than the bound', async () => {
    f = new JwksFetcher({ onChange: () => undefined, maxBytes: 64 * 1024, maxUris: 2, timeoutMs: 500 });
    srv.body = '{"not":"a jwks"}';
    f.want([`${srv.base}/huge`, `${srv.base}/jwks`, 'file:///etc/passwd', `${srv.base}/third`]);
    await until(() => [...f!.snapshot().values()].every((v) => 'jwks' in v || v.error !== 'not fetched yet'), 'all outcomes');
    const s = f.snapshot();
    assert.match((s.get(`${srv.base}/huge`) as { error: string }).error, /more than 65536 bytes/);
    assert.match((s.get(`${srv.base}/jwks`) as { error: string }).error, /did not answer a JWKS/);
    assert.match((s.get('file:///etc/passwd') as { error: string }).error, /only http and https/);
    assert.match((s.get(`${srv.base}/third`) as { error: string }).error, /more than 2 distinct jwksUris/);
    const hits = srv.hits;
    f.want([]);
    assert.equal(f.snapshot().size, 0, 'URIs no longer named are forgotten');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(srv.hits, hits, 'and no longer fetched');
  });

  it('an issuer without jwksUri: keys through its OpenID discovery document', async () => {
    let changes = 0;
    f = new JwksFetcher({ onChange: () => changes++ });
    const { mesh } = meshFrom(`apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: r, namespace: shop}
spec: {jwtRules: [{issuer: "${srv.base}/issuer/"}, {issuer: inline, jwks: '${key('x')}'}, {issuer: not-a-url}]}
`);
    const uris = jwksUris(mesh);
    assert.deepEqual(uris, [`${srv.base}/issuer/.well-known/openid-configuration`]);
    f.want(uris);
    await until(() => changes === 1, 'keys through discovery');
    assert.deepEqual(f.snapshot().get(uris[0]!), { jwks: key('k1') });
  });

  it('a server that never answers times out without holding anything up', async () => {
    srv.delayMs = 5000;
    f = new JwksFetcher({ onChange: () => undefined, timeoutMs: 200, retryMs: 10_000 });
    f.want([`${srv.base}/slow`]);
    await until(
      () => ((f!.snapshot().get(`${srv.base}/slow`) as { error?: string }).error ?? '').includes('timed out'),
      'the timeout',
      2000,
    );
  });
});
