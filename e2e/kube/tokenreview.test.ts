/**
 * The stand-in's TokenReview answers as kube-apiserver's: 201 with the spec echoed and a status —
 * authenticated user, groups and the asked-for audiences the token carries for a valid token;
 * `user: {}` and an error otherwise (unknown, expired, wrong audience); 400 for an empty token;
 * 403 when RBAC forbids creating tokenreviews.
 */
import { strict as assert } from 'node:assert';
import { startFakeApiServer, type FakeApiServer } from './apiserver.js';
import { APISERVER_AUDIENCE, TOKENREVIEW_PATH } from './tokenreview.js';

describe('fake API server: TokenReview', () => {
  let api: FakeApiServer;
  before(async () => {
    api = await startFakeApiServer();
  });
  after(async () => {
    await api.close();
  });
  const post = async (
    body: unknown,
  ): Promise<{ status: number; body: { status?: Record<string, unknown>; spec?: unknown; message?: string } }> => {
    const r = await fetch(api.url + TOKENREVIEW_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as { status?: Record<string, unknown> } };
  };
  const tr = (token: string, audiences?: string[]) => ({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token, ...(audiences ? { audiences } : {}) },
  });

  it('a registered token for the asked audience: authenticated, service-account user and groups, the matching audiences', async () => {
    api.tokenReviews.register('t1', { namespace: 'ns1', serviceAccount: 'sa1', audiences: ['istio-ca', 'other'] });
    const r = await post(tr('t1', ['istio-ca']));
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.status, {
      authenticated: true,
      audiences: ['istio-ca'],
      user: {
        username: 'system:serviceaccount:ns1:sa1',
        uid: 'uid-ns1-sa1',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated'],
      },
    });
  });

  it('refusals carry user {} and an error, never authenticated or audiences', async () => {
    api.tokenReviews.register('old', { namespace: 'a', serviceAccount: 'b', audiences: ['istio-ca'], expiresAt: Date.now() - 1000 });
    api.tokenReviews.register('apiaud', { namespace: 'a', serviceAccount: 'b' });
    for (const [token, re] of [
      ['nope', /invalid bearer token/],
      ['old', /has expired/],
      ['apiaud', /is invalid for the target audiences \["istio-ca"\]/],
    ] as const) {
      const r = await post(tr(token, ['istio-ca']));
      assert.equal(r.status, 201);
      assert.deepEqual(Object.keys(r.body.status ?? {}).sort(), ['error', 'user']);
      assert.match(String(r.body.status?.['error']), re);
    }
    // No audiences asked: the API server's own.
    const r = await post(tr('apiaud'));
    assert.deepEqual(r.body.status?.['audiences'], [APISERVER_AUDIENCE]);
  });

  it('an empty token is 400; a forbidden create is 403', async () => {
    const r = await post(tr(''));
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'token is required for TokenReview in authentication');
    api.forbid('tokenreviews.authentication.k8s.io');
    try {
      assert.equal((await post(tr('t1', ['istio-ca']))).status, 403);
    } finally {
      api.unforbid();
    }
  });
});
