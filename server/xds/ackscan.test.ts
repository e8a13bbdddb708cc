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

  it('falls back to a full decode for a node, an error_detail or bytes that are not a request', () => {
    assert.equal(scanSotw(encodeSotwRequest({ typeUrl: EDS, node: NODE() })), null);
    assert.equal(scanSotw(encodeSotwRequest({ typeUrl: EDS, responseNonce: '1', errorDetail: { code: 3, message: 'no' } })), null);
    assert.equal(scanSotw(new Uint8Array([0xff, 0xff, 0xff])), null);
  });
});
