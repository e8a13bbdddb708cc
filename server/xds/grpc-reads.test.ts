/**
 * An idle xDS stream holds no bytes of the requests it has sent (grpc-reads.ts): proxies that each
 * sent one large DiscoveryRequest and then wait leave the server's ArrayBuffer memory where it was,
 * not one request's worth higher per stream. Without releaseRequestReads grpc-js's decoder keeps
 * the socket reads of each stream's last request, and this test sees ~10 MB retained for 40 streams.
 */
import { strict as assert } from 'node:assert';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import http2 from 'node:http2';
import { serve } from '../serve.js';
import { inProcessServe, REPO_ROOT } from '../../e2e/tspilot.js';
import { EDS } from '../../proto/typeurls.js';
import { encodeSotwRequest } from '../../proto/wire.js';
import { StreamDecoder } from '@grpc/grpc-js/build/src/stream-decoder.js';
import { gatherSplitMessages, unpin, type Decoder } from './grpc-reads.js';

v8.setFlagsFromString('--expose-gc');
// `gc` exists in a fresh context once --expose-gc is set (the test process's own collector).
const gc = vm.runInNewContext('gc') as () => void;

const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

async function arrayBuffersAfterGc(): Promise<number> {
  for (let k = 0; k < 3; k++) {
    await sleep(50);
    gc();
  }
  return process.memoryUsage().arrayBuffers;
}

describe('server/xds/grpc-reads', function () {
  this.timeout(60_000);

  it('streams that sent a large request and wait keep no copy of its bytes on the server', async () => {
    const running = await serve(inProcessServe(path.join(REPO_ROOT, 'examples', 'bookinfo')));
    const STREAMS = 40;
    const NAMES = 4000;
    const names = Array.from({ length: NAMES }, (_, i) => `outbound|9080||no-such-service-${i}.default.svc.cluster.local`);
    const sessions: http2.ClientHttp2Session[] = [];
    try {
      const before = await arrayBuffersAfterGc();
      let size = 0;
      for (let i = 0; i < STREAMS; i++) {
        // Plain HTTP/2 clients, one connection each like proxies: they keep nothing of what they sent
        // (grpc-js's client keeps a written message until the server answers), so what stays is the server's.
        const session = http2.connect(`http://127.0.0.1:${running.xdsPort}`);
        session.on('error', () => {});
        sessions.push(session);
        const stream = session.request({ ':method': 'POST', ':path': ADS_PATH, 'content-type': 'application/grpc', te: 'trailers' });
        stream.on('error', () => {});
        const req = encodeSotwRequest({
          typeUrl: EDS,
          resourceNames: names,
          node: {
            id: `sidecar~10.9.1.${i}~reviews-v1-${i}.default~default.svc.cluster.local`,
            cluster: 'reads-test',
            metadata: { NAMESPACE: 'default', LABELS: { app: 'reviews', version: 'v1' } },
            userAgentName: 'envoy',
            clientFeatures: [],
            locality: null,
          },
        });
        size = req.length;
        const frame = Buffer.alloc(5 + req.length);
        frame.writeUInt32BE(req.length, 1);
        frame.set(req, 5);
        stream.write(frame);
      }
      const end = Date.now() + 30_000;
      while (running.engine.subscribedNames() < STREAMS * NAMES) {
        if (Date.now() > end) throw new Error(`the server saw ${running.engine.subscribedNames()} names of ${STREAMS * NAMES}`);
        await sleep(20);
      }
      const retained = (await arrayBuffersAfterGc()) - before;
      assert.ok(size > 200_000, `each request is large (${size} bytes)`);
      // A stream holding its request's reads would make this ≥ STREAMS × size (~10 MB).
      assert.ok(
        retained < (STREAMS * size) / 4,
        `${STREAMS} idle streams retain ${(retained / 1e6).toFixed(1)} MB of ArrayBuffers after their ${(size / 1e3).toFixed(0)} KB requests`,
      );
    } finally {
      for (const s of sessions) s.destroy();
      await running.close();
    }
  });

  it('a message split across writes is decoded the same, with its pending chunks copied out of the reads they came in', () => {
    const read = Buffer.alloc(64 * 1024, 7);
    const decoder = {
      readState: 2,
      readCompressFlag: read.subarray(0, 1),
      readPartialSize: Buffer.alloc(4),
      readMessageSize: 300,
      readMessageRemaining: 200,
      readPartialMessage: [read.subarray(100, 200)],
      write: () => [],
    };
    decoder.readCompressFlag[0] = 0;
    unpin(decoder);
    assert.notEqual(decoder.readCompressFlag.buffer, read.buffer);
    assert.equal(decoder.readCompressFlag[0], 0);
    assert.equal(decoder.readPartialMessage.length, 1);
    assert.notEqual(decoder.readPartialMessage[0]!.buffer, read.buffer, 'a pending chunk no longer pins its read');
    assert.deepEqual([...decoder.readPartialMessage[0]!], [...read.subarray(100, 200)]);
    decoder.readState = 0;
    unpin(decoder);
    assert.deepEqual(decoder.readPartialMessage, [], 'chunks of an emitted message are let go');
  });

  it('a request split across socket reads is copied once, into the buffer handed on, and pins none of the reads', () => {
    // Three framed messages in 16 KiB DATA-frame-sized views of 64 KiB reads, as Node's HTTP/2 hands
    // them to grpc-js: a 40,000-byte one split over three views, then a small one and the head of
    // another 40,000-byte one sharing a view.
    const body = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);
    const framed = (b: Buffer): Buffer => {
      const f = Buffer.alloc(5 + b.length);
      f.writeUInt32BE(b.length, 1);
      b.copy(f, 5);
      return f;
    };
    const m1 = body(40_000, 1),
      m2 = body(100, 2),
      m3 = body(40_000, 3);
    const wire = Buffer.concat([framed(m1), framed(m2), framed(m3)]);
    const reads: Buffer[] = [];
    for (let at = 0; at < wire.length; at += 16 * 1024) {
      const read = Buffer.alloc(64 * 1024);
      const n = wire.copy(read, 0, at, Math.min(at + 16 * 1024, wire.length));
      reads.push(read.subarray(0, n));
    }
    // grpc-js's own decoder (its fields are private in its typings).
    const decoder = new StreamDecoder(-1) as unknown as Decoder;
    gatherSplitMessages(decoder);
    // The bytes allocated meanwhile by Buffer (grpc-js's decoder and this wrapper allocate through it).
    let allocated = 0;
    let inConcat = false; // Buffer.concat allocates through Buffer.allocUnsafe: counted once
    const { allocUnsafe, allocUnsafeSlow, concat } = Buffer;
    Buffer.allocUnsafe = (n: number) => ((allocated += inConcat ? 0 : n), allocUnsafe(n));
    Buffer.allocUnsafeSlow = (n: number) => ((allocated += n), allocUnsafeSlow(n));
    Buffer.concat = (list: readonly Uint8Array[], n?: number) => {
      inConcat = true;
      try {
        const r = concat(list, n);
        allocated += r.length;
        return r;
      } finally {
        inConcat = false;
      }
    };
    const out: Buffer[] = [];
    try {
      for (const r of reads) {
        out.push(...decoder.write(r));
        const held = [decoder.readCompressFlag, ...decoder.readPartialMessage];
        assert.ok(
          held.every((b) => !reads.some((x) => x.buffer === b.buffer)),
          'the decoder holds no view of a read between writes',
        );
      }
    } finally {
      Object.assign(Buffer, { allocUnsafe, allocUnsafeSlow, concat });
    }
    assert.deepEqual(
      out.map((m) => m.subarray(5)),
      [m1, m2, m3],
      'the messages are decoded as grpc-js frames them (flag, length, body)',
    );
    assert.deepEqual(
      out.map((m) => m.readUInt32BE(1)),
      [40_000, 100, 40_000],
    );
    // Once per message: before, a split message's pending chunks were copied out and then
    // concatenated again (~1.6 times each split message's bytes).
    assert.ok(allocated <= 3 * 5 + 40_000 + 100 + 40_000, `${allocated} bytes allocated for ${wire.length} bytes of requests`);
  });

  it('a request announced large and sent in part costs the server what was sent, not what was announced', () => {
    const decoder = new StreamDecoder(-1) as unknown as Decoder;
    gatherSplitMessages(decoder);
    const read = Buffer.alloc(64 * 1024);
    read.writeUInt32BE(4 * 1024 * 1024, 1); // a 4 MiB message announced
    let allocated = 0;
    const { allocUnsafeSlow } = Buffer;
    Buffer.allocUnsafeSlow = (n: number) => ((allocated += n), allocUnsafeSlow(n));
    try {
      assert.deepEqual(decoder.write(read.subarray(0, 5 + 1000)), []);
      assert.deepEqual(decoder.write(read.subarray(5 + 1000, 5 + 2000)), []);
    } finally {
      Buffer.allocUnsafeSlow = allocUnsafeSlow;
    }
    assert.ok(allocated <= 2000, `${allocated} bytes allocated for 2,000 bytes of a message announced as 4 MiB`);
  });
});
