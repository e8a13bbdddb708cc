/**
 * Shared SotW response heads: a response built from a class's shared head plus the stream's nonce
 * is byte for byte the response encoded whole, whatever is kept or dropped; a head is never used
 * for another version or type.
 */
import { strict as assert } from 'node:assert';
import type { EncodedResource } from '../../proto/encode.js';
import { CDS, EDS } from '../../proto/typeurls.js';
import { sotwResponseBytes, sotwResponseHead, sotwResponseWithNonce } from '../../proto/wire.js';
import { ResponseHeads } from './responsebytes.js';
import type { SotwResponse } from './state.js';

const res = (name: string, size: number): EncodedResource => {
  const bytes = new Uint8Array(size).fill(name.charCodeAt(0));
  return { name, typeUrl: EDS, version: name, bytes, any: bytes };
};

const whole = (r: SotwResponse): Uint8Array =>
  sotwResponseBytes(
    r.versionInfo,
    r.typeUrl,
    r.nonce,
    r.resources.map((x) => x.any),
  );

describe('server/xds/responsebytes', () => {
  it('head + nonce is the whole response, with or without a version', () => {
    const anys = [new Uint8Array([1, 2, 3]), new Uint8Array(300).fill(7)];
    for (const version of ['v1', ''])
      assert.deepEqual(
        Buffer.from(sotwResponseWithNonce(sotwResponseHead(version, EDS, anys), 'n7')),
        Buffer.from(sotwResponseBytes(version, EDS, 'n7', anys)),
      );
  });

  it('streams sending the same resources share the head; each response carries its own nonce', () => {
    const heads = new ResponseHeads();
    const resources = [res('a', 100), res('b', 2000)];
    const rs: SotwResponse[] = ['1', '2', '3', '4'].map((nonce) => ({ typeUrl: EDS, versionInfo: 'v1', nonce, resources }));
    for (const r of rs) assert.deepEqual(Buffer.from(heads.encode(r)), Buffer.from(whole(r)));
    assert.equal(heads.hits, 2, 'the first response encodes whole, the second keeps its head, the others reuse it');
    // The same array under another version or type never gets the kept head.
    for (const r of [
      { typeUrl: EDS, versionInfo: 'v2', nonce: '5', resources },
      { typeUrl: CDS, versionInfo: 'v1', nonce: '6', resources },
    ] as SotwResponse[])
      assert.deepEqual(Buffer.from(heads.encode(r)), Buffer.from(whole(r)));
  });

  it('past the byte budget the oldest heads are dropped; responses stay the same bytes', () => {
    const heads = new ResponseHeads(5000);
    const arrays = [0, 1, 2].map((i) => [res(String.fromCharCode(97 + i), 3000)]);
    const send = (k: number, nonce: string): void => {
      const r: SotwResponse = { typeUrl: EDS, versionInfo: `v${k}`, nonce, resources: arrays[k]! };
      assert.deepEqual(Buffer.from(heads.encode(r)), Buffer.from(whole(r)));
    };
    for (const k of [0, 1, 2]) {
      send(k, 'x');
      send(k, 'y');
    }
    const before = heads.hits;
    send(2, 'z');
    assert.equal(heads.hits, before + 1, 'the newest head is kept');
    send(0, 'z');
    assert.equal(heads.hits, before + 1, 'the oldest was dropped for the budget');
  });
});
