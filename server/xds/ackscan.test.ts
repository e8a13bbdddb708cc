/**
 * Tests for the ACK shortcut: the envelope scan finds type, version, nonce and the names' bytes;
 * equal names give equal bytes whatever the version/nonce; anything unusual falls back (null).
 */
import { strict as assert } from 'node:assert';
import { encodeSotwRequest } from '../../proto/wire.js';
import { EDS } from '../../proto/typeurls.js';
import { NODE } from './conformance/harness.js';
import { sameBytes, scanSotw } from './ackscan.js';

describe('server/xds/ackscan scanSotw', () => {
  const names = ['outbound|80||a.default.svc.cluster.local', 'outbound|80||b.default.svc.cluster.local'];

  it('reads type, version and nonce, and the same names give the same bytes', () => {
    const a = scanSotw(encodeSotwRequest({ typeUrl: EDS, resourceNames: names, versionInfo: 'v1', responseNonce: '1' }))!;
    const b = scanSotw(encodeSotwRequest({ typeUrl: EDS, resourceNames: names, versionInfo: 'v2', responseNonce: '2' }))!;
    assert.deepEqual([a.typeUrl, a.versionInfo, a.responseNonce], [EDS, 'v1', '1']);
    assert.ok(sameBytes(a.names, b.names));
    const c = scanSotw(encodeSotwRequest({ typeUrl: EDS, resourceNames: [...names, 'x'], versionInfo: 'v2', responseNonce: '2' }))!;
    assert.ok(!sameBytes(a.names, c.names));
  });

  it('finds exactly the names of a long list (long names too), and refuses one cut short', () => {
    const many = Array.from({ length: 600 }, (_, i) => `outbound|8080||svc-${i}.${'n'.repeat(i % 3 ? 8 : 200)}.svc.cluster.local`);
    const bytes = encodeSotwRequest({ typeUrl: EDS, resourceNames: many, versionInfo: 'v9', responseNonce: '77' });
    const s = scanSotw(bytes)!;
    assert.deepEqual([s.typeUrl, s.versionInfo, s.responseNonce], [EDS, 'v9', '77']);
    // The run as protobuf lays it out: per name, tag 0x1a, the length as a varint, the bytes.
    const run = Buffer.concat(
      many.map((n) => {
        const b = Buffer.from(n);
        return Buffer.concat([Buffer.from(b.length < 128 ? [0x1a, b.length] : [0x1a, (b.length & 0x7f) | 0x80, b.length >> 7]), b]);
      }),
    );
    assert.ok(sameBytes(s.names, run), 'the names run, byte for byte');
    // Cut inside the last name: not a request.
    const at = Buffer.from(bytes).indexOf(Buffer.from(many[599]!));
    assert.equal(scanSotw(bytes.subarray(0, at + 5)), null);
  });

  it('falls back to a full decode for a node, an error_detail or bytes that are not a request', () => {
    assert.equal(scanSotw(encodeSotwRequest({ typeUrl: EDS, node: NODE() })), null);
    assert.equal(scanSotw(encodeSotwRequest({ typeUrl: EDS, responseNonce: '1', errorDetail: { code: 3, message: 'no' } })), null);
    assert.equal(scanSotw(new Uint8Array([0xff, 0xff, 0xff])), null);
  });
});
