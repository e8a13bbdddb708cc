/**
 * The stand-in's writes for what the CA writes (Secrets, ConfigMaps, Leases), over HTTP as a client
 * sees them: 201 on create, 409 AlreadyExists on a second create, 409 Conflict on a stale
 * resourceVersion, 404 updating something absent, 422 Invalid for a bad name or data key, 400 for
 * Secret data that is not base64 — and client-node's typed APIs surface the same codes.
 */
import { strict as assert } from 'node:assert';
import { ApiException, CoreV1Api } from '@kubernetes/client-node';
import { startFakeApiServer, type FakeApiServer } from './apiserver.js';
import { kubeConfigFor } from './testkit.js';

describe('fake apiserver: Secret, ConfigMap and Lease writes', () => {
  let srv: FakeApiServer;
  before(async () => {
    srv = await startFakeApiServer();
  });
  after(() => srv.close());

  const send = async (method: string, path: string, body?: unknown): Promise<{ code: number; body: Record<string, unknown> }> => {
    const r = await fetch(srv.url + path, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { code: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const secrets = '/api/v1/namespaces/istio-system/secrets';

  it('create 201, create again 409 AlreadyExists, stale update 409 Conflict, update of a missing object 404', async () => {
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'istio-ca-secret' },
      type: 'istio.io/ca-root',
      data: { 'ca-cert.pem': Buffer.from('x').toString('base64') },
    };
    const created = await send('POST', secrets, body);
    assert.equal(created.code, 201);
    const rv = (created.body['metadata'] as { resourceVersion: string }).resourceVersion;
    assert.equal((await send('POST', secrets, body)).body['reason'], 'AlreadyExists');
    const updated = await send('PUT', `${secrets}/istio-ca-secret`, {
      ...body,
      metadata: { name: 'istio-ca-secret', resourceVersion: rv },
      data: { 'ca-cert.pem': 'eQ==' },
    });
    assert.equal(updated.code, 200);
    const stale = await send('PUT', `${secrets}/istio-ca-secret`, { ...body, metadata: { name: 'istio-ca-secret', resourceVersion: rv } });
    assert.equal(stale.code, 409);
    assert.equal(stale.body['reason'], 'Conflict');
    assert.equal((await send('PUT', `${secrets}/nope`, { ...body, metadata: { name: 'nope' } })).code, 404);
  });

  it("422 Invalid for a bad name or data key, 400 for non-base64 Secret data, 422 changing a Secret's type", async () => {
    const bad = await send('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'Root_Cert' },
      data: { 'root-cert.pem': 'x' },
    });
    assert.equal(bad.code, 422);
    assert.match(String(bad.body['message']), /ConfigMap "Root_Cert" is invalid: metadata.name/);
    const key = await send('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'ok' }, data: { 'a/b': 'x' } });
    assert.equal(key.code, 422);
    assert.match(String(key.body['message']), /data\[a\/b\]/);
    assert.equal((await send('POST', secrets, { metadata: { name: 's1' }, data: { k: 'not base64!' } })).code, 400);
    await send('POST', secrets, { metadata: { name: 's2' }, type: 'Opaque', data: {} });
    const retype = await send('PUT', `${secrets}/s2`, { metadata: { name: 's2' }, type: 'kubernetes.io/tls', data: {} });
    assert.equal(retype.code, 422);
  });

  it("client-node's typed APIs see the same codes; Leases round-trip their spec (MicroTime strings kept as sent)", async () => {
    const core = kubeConfigFor(srv).makeApiClient(CoreV1Api);
    await assert.rejects(
      core.readNamespacedSecret({ name: 'missing', namespace: 'istio-system' }),
      (e: unknown) => e instanceof ApiException && e.code === 404,
    );
    const leases = '/apis/coordination.k8s.io/v1/namespaces/istio-system/leases';
    const t = '2026-11-29T20:00:00.123456Z';
    const created = await send('POST', leases, {
      metadata: { name: 'l' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: t, acquireTime: t, leaseTransitions: 0 },
    });
    assert.equal(created.code, 201);
    assert.deepEqual(created.body['spec'], {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      renewTime: t,
      acquireTime: t,
      leaseTransitions: 0,
    });
    assert.equal((await send('POST', leases, { metadata: { name: 'l' }, spec: { holderIdentity: 'b' } })).code, 409);
    assert.equal(
      (await send('PUT', `${leases}/l`, { metadata: { name: 'l', resourceVersion: '1' }, spec: { holderIdentity: 'b' } })).code,
      409,
    );
    assert.equal(
      (await send('PUT', `${leases}/l`, { metadata: { name: 'l' }, spec: { holderIdentity: 'b', leaseDurationSeconds: 0 } })).code,
      422,
    );
  });
});
