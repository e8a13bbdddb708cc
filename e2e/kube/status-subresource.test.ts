/**
 * The stand-in's status subresource, as the real API server has it for Pods, Services, Namespaces
 * and CRDs: a write to the object (PUT, merge patch, the test-side `apply`) keeps the stored
 * `.status` whatever the body says; a PUT to `/status` changes `.status` alone (spec and labels
 * stay) and honours a resourceVersion precondition; a kind without the subresource (ConfigMap)
 * answers 404 on `/status`.
 */
import { strict as assert } from 'node:assert';
import { startFakeApiServer, type FakeApiServer, type KubeObject } from './apiserver.js';

describe('fake apiserver: the status subresource', () => {
  let srv: FakeApiServer;
  before(async () => {
    srv = await startFakeApiServer();
  });
  after(() => srv.close());

  const send = async (method: string, path: string, body: unknown): Promise<{ code: number; body: KubeObject }> => {
    const r = await fetch(srv.url + path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { code: r.status, body: (await r.json()) as KubeObject };
  };
  const pod = (labels: Record<string, string>, podIP: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', labels },
    spec: { containers: [{ name: 'app' }] },
    status: { phase: 'Running', podIP },
  });
  const stored = (): KubeObject => srv.get({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'p' })!;
  const ip = (o: KubeObject): unknown => (o['status'] as { podIP?: string } | undefined)?.podIP;

  it('spec writes keep .status; /status writes change .status alone', async () => {
    srv.apply(pod({ app: 'a' }, '10.0.0.1'));
    // The test-side apply and update: new labels stored, the status kept.
    srv.apply(pod({ app: 'b' }, '10.9.9.9'));
    assert.deepEqual([stored().metadata?.labels, ip(stored())], [{ app: 'b' }, '10.0.0.1']);
    // PUT over HTTP, and a merge patch that names .status.
    const put = await send('PUT', '/api/v1/namespaces/default/pods/p', pod({ app: 'c' }, '10.9.9.9'));
    assert.deepEqual([put.code, ip(put.body), put.body.metadata?.labels], [200, '10.0.0.1', { app: 'c' }]);
    srv.patch({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'p' }, { status: { podIP: '10.9.9.9' } });
    assert.equal(ip(stored()), '10.0.0.1');
    // /status: the new status is stored, the labels in the body are not.
    const rv = stored().metadata!.resourceVersion!;
    const st = await send('PUT', '/api/v1/namespaces/default/pods/p/status', {
      ...pod({ app: 'z' }, '10.0.0.2'),
      metadata: { name: 'p', resourceVersion: rv },
    });
    assert.deepEqual([st.code, ip(st.body), st.body.metadata?.labels], [200, '10.0.0.2', { app: 'c' }]);
    const stale = await send('PUT', '/api/v1/namespaces/default/pods/p/status', {
      ...pod({ app: 'c' }, '10.0.0.3'),
      metadata: { name: 'p', resourceVersion: rv },
    });
    assert.equal(stale.code, 409, 'a stale resourceVersion is refused on /status too');
    srv.updateStatus(pod({ app: 'y' }, '10.0.0.4'));
    assert.deepEqual([stored().metadata?.labels, ip(stored())], [{ app: 'c' }, '10.0.0.4']);
  });

  it('a kind without the subresource: /status is 404 and .status is whatever was written', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: '1' } };
    srv.apply(cm);
    assert.equal((await send('PUT', '/api/v1/namespaces/default/configmaps/c/status', cm)).code, 404);
    assert.throws(() => srv.updateStatus(cm), /could not find the requested resource/);
  });
});
