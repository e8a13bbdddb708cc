/**
 * Secret validation: base64 `data` and `stringData`, only TLS keys kept, bad PEM / wrong key /
 * bad base64 rejected naming the object and field (the last good version stays in the store),
 * and nothing of the key in the rejection or the object's JSON.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../file/parse.js';
import { buildMesh } from '../mesh.js';
import { emptyState, reduce } from '../store/reduce.js';
import { validateObject } from './index.js';

const TLS = new URL('../../../watchers/testdata/tls/', import.meta.url);
const pem = (f: string): string => readFileSync(new URL(f, TLS), 'utf8');
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const secret = (data: Record<string, string>, extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'cert', namespace: 'istio-system' },
  type: 'kubernetes.io/tls',
  data,
  ...extra,
});

describe('Secret validation', () => {
  it('keeps the TLS keys (data and stringData), drops the rest, and records subject and expiry', () => {
    const v = validateObject(
      secret(
        { 'tls.crt': b64(pem('gw-a.crt')), 'tls.key': b64(pem('gw-a.key')), token: b64('not ours') },
        { stringData: { 'ca.crt': pem('ca.crt') } },
      ),
      'default',
      't.yaml',
    );
    assert.equal(v.status, 'ok');
    if (v.status !== 'ok' || v.object.kind !== 'Secret') return;
    assert.deepEqual(Object.keys(v.object.data).sort(), ['ca.crt', 'tls.crt', 'tls.key']);
    assert.equal(v.object.data['tls.key'], pem('gw-a.key'));
    assert.match(v.object.certs.find((c) => c.key === 'tls.crt')!.subject, /CN=gw-a\.example\.com/);
    assert.ok(!JSON.stringify(v.object).includes('PRIVATE KEY'));
  });

  for (const [what, data, field, reason] of [
    [
      'a certificate that is not PEM',
      { 'tls.crt': b64('hello'), 'tls.key': b64(pem('gw-a.key')) },
      'data.tls.crt',
      /not a PEM certificate/,
    ],
    [
      'a corrupt certificate',
      { 'tls.crt': b64(pem('gw-a.crt').replace(/\n[A-Za-z0-9]{10}/, '\nAAAAAAAAAA')), 'tls.key': b64(pem('gw-a.key')) },
      'data.tls.crt',
      /does not parse|does not match/,
    ],
    [
      'a key that is not a key',
      { 'tls.crt': b64(pem('gw-a.crt')), 'tls.key': b64('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n') },
      'data.tls.key',
      /not a PEM private key/,
    ],
    ['the wrong key', { 'tls.crt': b64(pem('gw-a.crt')), 'tls.key': b64(pem('gw-b.key')) }, 'data.tls.key', /does not match/],
    ['bad base64', { 'tls.crt': '!!!', 'tls.key': b64(pem('gw-a.key')) }, 'data.tls.crt', /base64/],
    ['a TLS secret without its key', { 'tls.crt': b64(pem('gw-a.crt')) }, 'data.tls.key', /required/],
  ] as const) {
    it(`rejects ${what}, naming the field, without key material in the message`, () => {
      const v = validateObject(secret(data), 'default', 't.yaml');
      assert.equal(v.status, 'rejected');
      if (v.status !== 'rejected') return;
      assert.equal(v.rejection.key, 'Secret/istio-system/cert');
      assert.equal(v.rejection.field, field);
      assert.match(v.rejection.reason, reason);
      assert.ok(!v.rejection.reason.includes('PRIVATE KEY') && !v.rejection.reason.includes(b64(pem('gw-a.key')).slice(0, 20)));
    });
  }

  it('a bad rotation keeps the last good Secret in force', () => {
    const doc = (crt: string, key: string): string =>
      `apiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: istio-system}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${b64(crt)}, tls.key: ${b64(key)}}\n`;
    const load = (st: ReturnType<typeof emptyState>, text: string): ReturnType<typeof emptyState> => {
      const r = parseConfigText(text, 's.yaml');
      assert.ok(r.ok);
      return reduce(st, { type: 'replace', origin: { source: 's.yaml' }, objects: r.file.objects, rejections: r.file.rejections });
    };
    let st = reduce(load(emptyState(), doc(pem('gw-a.crt'), pem('gw-a.key'))), { type: 'synced' });
    st = load(st, doc(pem('gw-b.crt'), pem('gw-a.key')));
    const mesh = buildMesh(st).mesh;
    assert.equal(mesh.secrets.get('istio-system/cert')?.data['tls.crt'], pem('gw-a.crt'));
    assert.deepEqual(
      mesh.rejected.map((r) => `${r.key} ${r.field}`),
      ['Secret/istio-system/cert data.tls.key'],
    );
  });
});
