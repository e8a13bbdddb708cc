/**
 * Tests for server/xds/scratch.ts and its use by the gRPC transport: responses encoded into the
 * shared scratch buffer must reach every client intact (a buffer reused while grpc-js still held
 * it would hand one proxy another's bytes), the scratch is reused while grpc-js copies it, and
 * given up — never overwritten — when a transport keeps the bytes.
 */
import { strict as assert } from 'node:assert';
import { ResponseScratch } from './scratch.js';
import { CDS, LDS } from '../../proto/typeurls.js';
import { fixtureYaml } from './conformance/fixture.js';
import { meshOf, startHarness, NODE, type Harness, type Resp } from './conformance/harness.js';

describe('server/xds/scratch ResponseScratch', () => {
  it('lends the same buffer again once the transport copied the bytes', () => {
    const s = new ResponseScratch();
    const a = s.alloc(1000);
    s.write(a, () => s.copied(Buffer.from(a.buffer, a.byteOffset, a.length)));
    const b = s.alloc(900);
    assert.equal(b.buffer, a.buffer);
    assert.equal(s.abandoned, 0);
  });

  it('gives the buffer up when the transport keeps the bytes without copying them', () => {
    const s = new ResponseScratch();
    const kept: Uint8Array[] = [];
    const a = s.alloc(1000);
    a.fill(1);
    s.write(a, () => kept.push(a)); // a transport that buffers the message, serializing it later
    const b = s.alloc(1000);
    b.fill(2);
    assert.notEqual(b.buffer, a.buffer);
    assert.ok(
      kept[0]!.every((x) => x === 1),
      'the kept bytes were overwritten by the next response',
    );
    assert.equal(s.abandoned, 1);
  });

  it('gives responses larger than its cap a buffer of their own', () => {
    const s = new ResponseScratch(64 * 1024);
    const small = s.alloc(10);
    const big = s.alloc(100 * 1024);
    assert.notEqual(big.buffer, small.buffer);
    assert.equal(s.alloc(10).buffer, small.buffer);
  });
});

describe('server/xds/scratch over gRPC', function () {
  this.timeout(30_000);
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('every client of many concurrent streams gets intact responses of its own type', async () => {
    h = await startHarness('grpc', meshOf(fixtureYaml()), { sendConcurrency: 3 });
    const clients = Array.from({ length: 24 }, () => h!.connect('sotw'));
    // Half the streams ask for clusters first, half for listeners: responses of both types are in
    // flight at once, all encoded into the one scratch buffer.
    const types = [CDS, LDS];
    clients.forEach((c, i) => {
      const [first, second] = i % 2 ? [LDS, CDS] : [CDS, LDS];
      c.sotw({ node: NODE(`client-${i}`), typeUrl: first });
      c.sotw({ typeUrl: second });
    });
    const got = await Promise.all(clients.map(async (c) => Promise.all(types.map(() => c.next(10_000)))));
    const reference = new Map<string, Resp>();
    for (const rs of got) {
      for (const r of rs) {
        for (const x of r.resources) assert.equal(x.typeUrl, r.typeUrl, 'a resource of another type in the response');
        const names = r.resources.map((x) => x.name).join(',');
        const ref = reference.get(r.typeUrl);
        if (!ref) reference.set(r.typeUrl, r);
        else assert.equal(names, ref.resources.map((x) => x.name).join(','), `clients disagree on ${r.typeUrl}`);
      }
      assert.deepEqual(new Set(rs.map((r) => r.typeUrl)).size, rs.length);
    }
    assert.ok(reference.get(CDS)!.resources.length > 0 && reference.get(LDS)!.resources.length > 0);
  });
});
