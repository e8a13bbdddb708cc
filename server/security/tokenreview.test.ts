/**
 * The TokenReview authenticator's rules and bounds: istiod's acceptance rule (authenticated, our
 * audience, group system:serviceaccounts, a service-account user name), caching until the token's
 * exp, failures remembered only briefly, identical concurrent lookups sharing one review, a
 * bounded cache and a bounded number of reviews in flight.
 */
import { strict as assert } from 'node:assert';
import { TokenReviewAuthenticator, type ReviewFn, type TokenReviewStatus } from './tokenreview.js';
import { authorizeProxy } from './authorize.js';
import { serviceAccountOfClaims } from './claims.js';

const jwt = (payload: object): string => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;
const SA_OK: TokenReviewStatus = {
  authenticated: true,
  audiences: ['istio-ca'],
  user: { username: 'system:serviceaccount:default:sleep', groups: ['system:serviceaccounts', 'system:authenticated'] },
};

function harness(
  answer: (token: string) => TokenReviewStatus | Promise<TokenReviewStatus>,
  o: { cacheSize?: number; maxInFlight?: number } = {},
) {
  let now = 1_000_000_000_000;
  const calls: string[] = [];
  const review: ReviewFn = async (token, audiences) => {
    calls.push(token);
    assert.deepEqual(audiences, ['istio-ca']);
    return answer(token);
  };
  const a = new TokenReviewAuthenticator({ review, trustDomain: () => 'example.org', now: () => now, ...o });
  return {
    a,
    calls,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('TokenReview authenticator', () => {
  it('maps system:serviceaccount:<ns>:<sa> to the SPIFFE ID of the mesh trust domain', async () => {
    const h = harness(() => SA_OK);
    const r = await h.a.authenticate(bearer(jwt({ exp: h.now() / 1000 + 600 })));
    assert.ok(r.ok);
    assert.deepEqual(r.identity.spiffe, ['spiffe://example.org/ns/default/sa/sleep']);
    assert.equal(r.identity.method, 'k8s-token');
  });

  for (const [what, st, re] of [
    ['not authenticated', { authenticated: false, error: 'token expired' }, /rejected.*token expired/],
    ['another audience', { ...SA_OK, audiences: ['https://kubernetes.default.svc'] }, /not for audience istio-ca/],
    [
      'no service-accounts group',
      { ...SA_OK, user: { username: 'system:serviceaccount:default:sleep', groups: ['system:authenticated'] } },
      /not in group system:serviceaccounts/,
    ],
    [
      'a user that is not a service account',
      { ...SA_OK, user: { username: 'alice', groups: ['system:serviceaccounts'] } },
      /"alice" is not system:serviceaccount/,
    ],
  ] as const) {
    it(`refuses ${what}`, async () => {
      const h = harness(() => st);
      const r = await h.a.authenticate(bearer(jwt({ exp: h.now() / 1000 + 600 })));
      assert.ok(!r.ok);
      assert.equal(r.code, 'UNAUTHENTICATED');
      assert.match(r.message, re);
    });
  }

  it('refuses without asking the API server: no token, not a JWT, expired by its own exp, oversized', async () => {
    const h = harness(() => SA_OK);
    for (const c of [
      {},
      { authorization: 'Basic abc' },
      bearer('not-a-jwt'),
      bearer(jwt({ exp: h.now() / 1000 - 1 })),
      bearer(jwt({ pad: 'x'.repeat(20_000) })),
    ]) {
      const r = await h.a.authenticate(c);
      assert.ok(!r.ok);
    }
    assert.equal(h.calls.length, 0);
  });

  it('caches a success until the token exp; after that the token is refused without a review', async () => {
    const h = harness(() => SA_OK);
    const t = jwt({ exp: h.now() / 1000 + 60 });
    assert.ok((await h.a.authenticate(bearer(t))).ok);
    h.advance(59_000);
    assert.ok((await h.a.authenticate(bearer(t))).ok);
    assert.equal(h.calls.length, 1);
    h.advance(2000);
    assert.ok(!(await h.a.authenticate(bearer(t))).ok); // expired now: refused locally
    assert.equal(h.calls.length, 1);
  });

  it('remembers a failure for seconds only: a token that becomes valid is accepted soon after', async () => {
    let valid = false;
    const h = harness(() => (valid ? SA_OK : { authenticated: false, error: 'unknown' }));
    const t = jwt({ exp: h.now() / 1000 + 3600 });
    assert.ok(!(await h.a.authenticate(bearer(t))).ok);
    valid = true;
    assert.ok(!(await h.a.authenticate(bearer(t))).ok); // cached refusal
    assert.equal(h.calls.length, 1);
    h.advance(5001);
    assert.ok((await h.a.authenticate(bearer(t))).ok);
    assert.equal(h.calls.length, 2);
  });

  it('coalesces identical concurrent lookups into one review', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const h = harness(async () => {
      await gate;
      return SA_OK;
    });
    const t = jwt({ exp: h.now() / 1000 + 600 });
    const all = Promise.all(Array.from({ length: 50 }, () => h.a.authenticate(bearer(t))));
    release();
    assert.ok((await all).every((r) => r.ok));
    assert.equal(h.calls.length, 1);
  });

  it('the cache never exceeds its size, whatever the callers send', async () => {
    const h = harness(() => ({ authenticated: false, error: 'bogus' }), { cacheSize: 100 });
    for (let i = 0; i < 10_000; i++) await h.a.authenticate(bearer(jwt({ exp: h.now() / 1000 + 600, i })));
    assert.equal(h.a.cacheEntries, 100);
    assert.equal(h.a.pending, 0);
  });

  it('bounds reviews in flight: beyond the limit a call is refused at once, not queued', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const h = harness(
      async () => {
        await gate;
        return SA_OK;
      },
      { maxInFlight: 3 },
    );
    const running = [1, 2, 3].map((i) => h.a.authenticate(bearer(jwt({ exp: h.now() / 1000 + 600, i }))));
    const over = await h.a.authenticate(bearer(jwt({ exp: h.now() / 1000 + 600, i: 4 })));
    assert.ok(!over.ok);
    assert.match(over.message, /too many token reviews in flight/);
    release();
    assert.ok((await Promise.all(running)).every((r) => r.ok));
  });
});

describe('xDS authorization (namespace / service account)', () => {
  const id = (...spiffe: string[]) => ({ spiffe, method: 'jwt' as const });
  const proxy = (ns: string, sa?: string) => ({
    id: `sidecar~1.1.1.1~p.${ns}~${ns}.svc.cluster.local`,
    namespace: ns,
    metadata: sa ? { SERVICE_ACCOUNT: sa } : {},
  });

  it('accepts an identity of the proxy namespace, and of its service account when the node names one', () => {
    assert.ok(authorizeProxy(id('spiffe://cluster.local/ns/default/sa/x'), proxy('default')).ok);
    assert.ok(
      authorizeProxy(id('spiffe://cluster.local/ns/other/sa/x', 'spiffe://cluster.local/ns/default/sa/sleep'), proxy('default', 'sleep'))
        .ok,
    );
  });

  it('refuses another namespace or service account with PERMISSION_DENIED naming both', () => {
    const r = authorizeProxy(id('spiffe://cluster.local/ns/attacker/sa/default'), proxy('secret'));
    assert.ok(!r.ok && r.code === 'PERMISSION_DENIED');
    assert.match(r.message, /ns\/attacker\/sa\/default.*namespace "secret"/);
    const s = authorizeProxy(id('spiffe://cluster.local/ns/default/sa/sleep'), proxy('default', 'db'));
    assert.ok(!s.ok && /service account "db"/.test(s.message));
  });

  it('reads the service account from the kubernetes.io claims or a system:serviceaccount subject', () => {
    assert.deepEqual(serviceAccountOfClaims({ 'kubernetes.io': { namespace: 'a', serviceaccount: { name: 'b' } } }), {
      namespace: 'a',
      serviceAccount: 'b',
    });
    assert.deepEqual(serviceAccountOfClaims({ sub: 'system:serviceaccount:c:d' }), { namespace: 'c', serviceAccount: 'd' });
    assert.equal(serviceAccountOfClaims({ sub: 'system:serviceaccount:c' }), null);
  });
});
