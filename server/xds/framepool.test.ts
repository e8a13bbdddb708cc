/**
 * Pooled response frames (framepool.ts): a block is reused only after the transport's write
 * callback, and what a slow client reads is never a reused block's later contents. The gRPC test
 * poisons every released block at once, so a frame still read by Node's HTTP/2 after its callback
 * would reach the client corrupted.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { FramePool, POOLED_MIN_BYTES } from './framepool.js';
import { framedWriter, rawBidiMethod } from './grpc.js';

describe('server/xds/framepool', () => {
  it('reuses a released block for a frame of the same size step, and gives exactly the bytes asked for', () => {
    const pool = new FramePool();
    const a = pool.acquire(300_000);
    assert.equal(a.length, 300_000);
    pool.release(a);
    const b = pool.acquire(290_000);
    assert.equal(b.length, 290_000);
    assert.equal(b.buffer, a.buffer, 'the same block');
    assert.deepEqual([pool.made, pool.reused], [1, 1]);
    const c = pool.acquire(290_000);
    assert.notEqual(c.buffer, a.buffer, 'a block handed out is not handed out again before it is released');
  });

  it('does not pool small frames, blocks it did not make, or a block released twice', () => {
    const pool = new FramePool();
    pool.release(pool.acquire(POOLED_MIN_BYTES - 1));
    pool.release(Buffer.allocUnsafeSlow(200_000));
    assert.equal(pool.idleSize, 0);
    const f = pool.acquire(200_000);
    pool.release(f);
    pool.release(f);
    assert.equal(pool.idleSize, 256 * 1024);
    pool.acquire(200_000);
    assert.notEqual(pool.acquire(200_000).buffer, f.buffer, 'the twice-released block was pooled once');
  });

  it('pools a listener-sized frame (4–64 KiB: its own ArrayBuffer in Node) in an 8 KiB step, not a 64 KiB block', () => {
    const pool = new FramePool();
    const a = pool.acquire(13_000);
    assert.equal(a.length, 13_000);
    assert.equal(a.buffer.byteLength, 16 * 1024);
    pool.release(a);
    assert.equal(pool.idleSize, 16 * 1024);
    const b = pool.acquire(12_500);
    assert.equal(b.buffer, a.buffer, 'the same block, reused');
    pool.release(b);
    assert.equal(pool.acquire(20_000).buffer.byteLength, 24 * 1024, 'a larger frame gets a block of its own step');
  });

  it('a released block of the size in demand displaces idle blocks of a size used longer ago', () => {
    // A cold start: every stream's CDS frame first, then its EDS frames, with room for three idle CDS blocks.
    const pool = new FramePool(1024 * 1024);
    const cds = Array.from({ length: 3 }, () => pool.acquire(300_000));
    for (const f of cds) pool.release(f);
    assert.equal(pool.idleSize, 3 * 320 * 1024, 'the pool is all but full of CDS-sized blocks');
    const eds = pool.acquire(180_000);
    pool.release(eds);
    assert.equal(pool.acquire(180_000).buffer, eds.buffer, 'the EDS-sized block was kept, not dropped');
    assert.equal(pool.dropped, 1, 'one CDS-sized block made room');
    assert.ok(pool.idleSize <= 1024 * 1024);
  });

  it('keeps at most maxIdleBytes idle, and lets them all go once no frame was asked for in idleMs', () => {
    let t = 0;
    const pool = new FramePool(1024 * 1024, 5000, () => t);
    const frames = Array.from({ length: 8 }, () => pool.acquire(256 * 1024));
    for (const f of frames) pool.release(f);
    assert.equal(pool.idleSize, 1024 * 1024);
    assert.equal(pool.dropped, 4);
    t = 4000;
    pool.trim();
    assert.equal(pool.idleSize, 1024 * 1024, 'asked for 4 s ago: kept');
    t = 5000;
    pool.trim();
    assert.equal(pool.idleSize, 0);
  });

  it('over real gRPC, a slow client reads every frame intact while each block is poisoned and reused as soon as its write calls back', async function () {
    this.timeout(30_000);
    const def: grpc.ServiceDefinition = { Stream: rawBidiMethod('/test.Frames/Stream') };
    const N = 40;
    const SIZE = 300_000;
    const want: string[] = [];
    const pool = new FramePool();
    const server = new grpc.Server();
    server.addService(def, {
      Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        const write = framedWriter(call);
        assert.ok(write, 'the installed grpc-js lets frames pass through');
        let k = 0;
        const next = (): void => {
          if (k === N) {
            call.end();
            return;
          }
          const f = pool.acquire(SIZE + 5);
          f.fill(k % 251, 5);
          f.writeUInt32BE(k, 5);
          f[0] = 0;
          f.writeUInt32BE(SIZE, 1);
          want.push(createHash('sha256').update(f.subarray(5)).digest('hex'));
          k++;
          write(f, () => {
            f.fill(0xaa); // poison: a frame still being read would now reach the client wrong
            pool.release(f);
            next();
          });
        };
        // Two writes in flight at a time, as the engine keeps several.
        next();
        next();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const Client = grpc.makeGenericClientConstructor(def, 'Frames');
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const call = (client as unknown as { Stream(): grpc.ClientDuplexStream<Buffer, Buffer> }).Stream();
      const got: string[] = [];
      const ended = new Promise<void>((resolve, reject) => {
        call.on('data', (b: Buffer) => {
          got.push(createHash('sha256').update(b).digest('hex'));
          // A slow reader: the server's writes wait on flow control.
          call.pause();
          setTimeout(() => call.resume(), 5);
        });
        call.on('end', resolve);
        call.on('error', reject);
      });
      await ended;
      assert.equal(got.length, N);
      assert.deepEqual(got, want);
      assert.ok(pool.reused >= N - 4, `blocks were reused (${pool.reused} of ${N})`);
    } finally {
      client.close();
      await new Promise<void>((r) => server.tryShutdown(() => r()));
      await sleep(10);
    }
  });
});
