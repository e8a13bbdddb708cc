/**
 * The engine counts the response bytes it hands to the transport and the time it spends encoding
 * and writing them (EngineCounters.bytesWritten / writeMs): the server's `config pushed` log line
 * reports a push's share of both, so the flat bench (issue 18) can split push ms into compute and
 * write. Over gRPC, so the write is grpc-js's own framing and send; a response dropped for its size
 * is not counted as written.
 */
import { strict as assert } from 'node:assert';
import { EDS } from '../../proto/typeurls.js';
import { A, B, fixtureYaml } from './conformance/fixture.js';
import { meshOf, startHarness, NODE, type Harness } from './conformance/harness.js';
import { Peer, names } from './conformance/peer.js';

describe('server/xds engine write counters', function () {
  this.timeout(20_000);
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('count every response written, and only those, with the time spent writing them', async () => {
    const sent: number[] = [];
    h = await startHarness('grpc', meshOf(fixtureYaml()), {}, { sent: (_s, _r, bytes) => sent.push(bytes) });
    const c = h.engine.counters;
    assert.equal(c.bytesWritten, 0);
    const p = new Peer(h.connect('sotw'), 'sotw', NODE('a'));
    p.sub(EDS, [A, B]);
    assert.deepEqual(names(await p.recvAck()).sort(), [A, B]);
    assert.equal(sent.length, 1);
    assert.ok(sent[0]! > 100, 'two endpoint assignments and the envelope');
    assert.equal(c.bytesWritten, sent[0]);
    assert.ok(c.writeMs > 0);
    const ms = c.writeMs;
    // A push that changes nothing writes nothing.
    h.engine.push(meshOf(fixtureYaml()));
    assert.ok(await p.c.none(200));
    assert.equal(c.bytesWritten, sent[0]);
    assert.equal(c.writeMs, ms);
    // A's endpoints change: one more (partial) response, counted.
    h.engine.push(meshOf(fixtureYaml({ aEndpoint: 9 })));
    assert.deepEqual(names(await p.next(2000)), [A]);
    assert.equal(sent.length, 2);
    assert.equal(c.bytesWritten, sent[0]! + sent[1]!);
    assert.ok(c.writeMs > ms);
  });

  it('do not count a response dropped for its size', async () => {
    h = await startHarness('grpc', meshOf(fixtureYaml()), { maxResponseBytes: 50, largeResponseBytes: 50 });
    const p = new Peer(h.connect('sotw'), 'sotw', NODE('a'));
    p.sub(EDS, [A, B]);
    assert.ok(await p.c.none(300), 'too large: dropped');
    assert.equal(h.engine.counters.droppedResponses, 1);
    assert.equal(h.engine.counters.bytesWritten, 0);
  });
});
