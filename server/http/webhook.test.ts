/**
 * The admission webhook: AdmissionReview v1 in and out, decided by the store's validateObject
 * (denial message = kind, namespace/name, field, reason), DELETEs and kinds tspilot does not read
 * allowed, malformed reviews answered 400; served over HTTPS with a PEM certificate (what the API
 * server requires) and over plain HTTP without one.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { review, startWebhook, VALIDATE_PATH, type WebhookServer } from './webhook.js';

const vs = (weights: [number, number]) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'r', namespace: 'shop' },
  spec: {
    hosts: ['reviews'],
    http: [
      {
        route: [
          { destination: { host: 'reviews' }, weight: weights[0] },
          { destination: { host: 'ratings' }, weight: weights[1] },
        ],
      },
    ],
  },
});
const admission = (object: unknown, operation = 'CREATE') => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'abc', operation, namespace: 'shop', object },
});

describe('server/http/webhook', () => {
  it("denies an invalid object with the validator's field and reason, allows valid ones, deletes and foreign kinds", () => {
    const denied = review(admission(vs([70, 20])));
    assert.equal(denied.kind, 'AdmissionReview');
    assert.equal(denied.apiVersion, 'admission.k8s.io/v1');
    assert.equal(denied.response.uid, 'abc');
    assert.equal(denied.response.allowed, false);
    assert.match(denied.response.status!.message, /^VirtualService shop\/r: spec\.http\[0\]\.route: .*100.*90/);
    assert.equal(review(admission(vs([80, 20]))).response.allowed, true);
    assert.equal(review(admission(vs([70, 20]), 'DELETE')).response.allowed, true);
    assert.equal(review(admission({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } })).response.allowed, true);
    assert.throws(() => review({ kind: 'AdmissionReview', request: { operation: 'CREATE' } }), /uid is required/);
    assert.throws(() => review([]), /expected an AdmissionReview/);
  });

  describe('servers', () => {
    let server: WebhookServer | undefined;
    let dir: string | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('HTTPS with --webhook-cert/--webhook-key: a client trusting that certificate gets the AdmissionReview', async function () {
      dir = mkdtempSync(path.join(os.tmpdir(), 'tspilot-webhook-'));
      const cert = path.join(dir, 'tls.crt');
      const key = path.join(dir, 'tls.key');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1',
          '-keyout',
          key,
          '-out',
          cert,
        ],
        { stdio: 'ignore' },
      );
      server = await startWebhook({
        bind: '127.0.0.1',
        port: 0,
        certFile: cert,
        keyFile: key,
        ready: () => true,
        onError: () => undefined,
      });
      assert.equal(server.tls, true);
      const port = server.port;
      const body = JSON.stringify(admission(vs([70, 20])));
      const out = await new Promise<{ status: number; json: { response: { allowed: boolean } } }>((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port,
            path: VALIDATE_PATH,
            method: 'POST',
            ca: readFileSync(cert),
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            let t = '';
            res.on('data', (c: Buffer) => {
              t += c.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(t) as { response: { allowed: boolean } } }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(out.status, 200);
      assert.equal(out.json.response.allowed, false);
    });

    it('plain HTTP without a certificate; /ready follows readiness; wrong method/path/body are 4xx', async () => {
      let ready = false;
      server = await startWebhook({ bind: '127.0.0.1', port: 0, ready: () => ready, onError: () => undefined });
      assert.equal(server.tls, false);
      const base = `http://127.0.0.1:${server.port}`;
      assert.equal((await fetch(`${base}/ready`)).status, 503);
      ready = true;
      assert.equal((await fetch(`${base}/ready`)).status, 200);
      assert.equal((await fetch(`${base}${VALIDATE_PATH}`)).status, 405);
      assert.equal((await fetch(`${base}/nope`, { method: 'POST', body: '{}' })).status, 404);
      assert.equal((await fetch(`${base}${VALIDATE_PATH}`, { method: 'POST', body: 'not json' })).status, 400);
      const ok = await fetch(`${base}${VALIDATE_PATH}`, { method: 'POST', body: JSON.stringify(admission(vs([50, 50]))) });
      assert.equal(((await ok.json()) as { response: { allowed: boolean } }).response.allowed, true);
    });

    it('refuses a certificate without a key', async () => {
      await assert.rejects(
        startWebhook({ bind: '127.0.0.1', port: 0, certFile: '/x.crt', ready: () => true, onError: () => undefined }),
        /go together/,
      );
    });
  });
});
