/**
 * One encoding of a response for every stream a push sends it to (frames.ts, issue 18's flat
 * cost): streams composed the same response get the same nonce (sotw.ts nonceFor), the engine
 * encodes it once into a gRPC frame, and grpc.ts hands that frame to every stream's grpc-js call
 * without grpc-js's own framing copy. What the clients receive is unchanged: the same bytes a
 * stream would get alone, each stream's nonces unique and increasing, ACKs matched.
 */
import { strict as assert } from 'node:assert';
import { CDS, EDS, LDS, RDS } from '../../proto/typeurls.js';
import { A, B, fixtureYaml } from './conformance/fixture.js';
import { meshOf, startHarness, NODE, type Harness } from './conformance/harness.js';
import { Peer, names } from './conformance/peer.js';
import { SharedFrames } from './frames.js';
import type { SotwResponse } from './state.js';

const nonceNumber = (n: string): number => parseInt(n, 36);

async function subscribeAll(p: Peer): Promise<void> {
  p.sub(CDS, []);
  await p.recvAck();
  p.sub(EDS, [A, B]);
  await p.recvAck();
  p.sub(LDS, []);
  await p.recvAck();
  p.sub(RDS, ['80']);
  await p.recvAck();
}

let h: Harness | undefined;

/** A gRPC harness with three streams of one class subscribed to every type, and the frame counts so far. */
async function threeSubscribed(): Promise<{ harness: Harness; peers: Peer[]; frames: SharedFrames; made: number; reused: number }> {
  const harness = (h = await startHarness('grpc', meshOf(fixtureYaml())));
  const peers = ['p1', 'p2', 'p3'].map((id) => new Peer(harness.connect('sotw'), 'sotw', NODE(id)));
  for (const p of peers) await subscribeAll(p);
  const frames = harness.engine.frames;
  return { harness, peers, frames, made: frames.made, reused: frames.reused };
}

describe('server/xds shared response frames', function () {
  this.timeout(20_000);
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('a route change reaching three streams of one class over gRPC is encoded once; each stream gets the same bytes and ACKs them', async () => {
    const { harness, peers, frames, made, reused } = await threeSubscribed();
    harness.engine.push(meshOf(fixtureYaml({ aRouteTimeout: '7s' })));
    const got = await Promise.all(peers.map((p) => p.recvAck(2000)));
    for (const r of got) {
      assert.equal(r.typeUrl, RDS);
      assert.deepEqual(names(r), ['80']);
    }
    assert.equal(frames.made - made, 1, 'one encoding of the changed route config');
    assert.equal(frames.reused - reused, 2, 'shared by the two other streams');
    const raws = peers.map((p) => Buffer.from(p.c.raw.at(-1)!));
    assert.deepEqual(raws[1], raws[0]);
    assert.deepEqual(raws[2], raws[0]);
    // The ACKs matched (recvAck sent them): another change is pushed to every stream again.
    harness.engine.push(meshOf(fixtureYaml({ aRouteTimeout: '8s' })));
    for (const p of peers) assert.equal((await p.recvAck(2000)).typeUrl, RDS);
  });

  it('an endpoint-only push reaching three streams of one class is composed and encoded once; each stream gets the same bytes', async () => {
    const { harness, peers, frames, made, reused } = await threeSubscribed();
    harness.engine.push(meshOf(fixtureYaml({ aEndpoint: 9 })), { kind: 'endpoints', hosts: new Set(['a.default.svc.cluster.local']) });
    const got = await Promise.all(peers.map((p) => p.recvAck(2000)));
    for (const r of got) {
      assert.equal(r.typeUrl, EDS);
      assert.deepEqual(names(r), [A]);
    }
    assert.equal(
      frames.made - made,
      1,
      `one encoding of the changed assignment (made ${frames.made - made}, reused ${frames.reused - reused}, nonces ${got.map((r) => r.nonce).join()})`,
    );
    assert.equal(frames.reused - reused, 2, 'shared by the two other streams');
    const raws = peers.map((p) => Buffer.from(p.c.raw.at(-1)!));
    assert.deepEqual(raws[1], raws[0]);
    assert.deepEqual(raws[2], raws[0]);
  });

  it("a stream's nonces stay unique and increasing when it shares responses with streams that connected earlier", async () => {
    h = await startHarness('grpc', meshOf(fixtureYaml()));
    const early = new Peer(h.connect('sotw'), 'sotw', NODE('early'));
    await subscribeAll(early);
    h.engine.push(meshOf(fixtureYaml({ aRouteTimeout: '7s' })));
    await early.recvAck(2000);
    // The late stream is sent, for its first CDS, the response the early one got: shared nonce, lower than the early stream's latest.
    const late = new Peer(h.connect('sotw'), 'sotw', NODE('late'));
    await subscribeAll(late);
    h.engine.push(meshOf(fixtureYaml({ aRouteTimeout: '8s' })));
    await late.recvAck(2000);
    await early.recvAck(2000);
    for (const p of [early, late]) {
      const nonces = p.c.received.map((r) => nonceNumber(r.nonce));
      assert.ok(
        nonces.every((n, i) => i === 0 || n > nonces[i - 1]!),
        `nonces of a stream increase: ${nonces.join(', ')}`,
      );
    }
    // Both got the same last route config under the same nonce (one encoding).
    assert.equal(late.c.received.at(-1)!.nonce, early.c.received.at(-1)!.nonce);
  });

  it("frames the first responses to requests per stream (a cold start's are not shared)", async () => {
    h = await startHarness('grpc', meshOf(fixtureYaml()));
    const peers = ['p1', 'p2'].map((id) => new Peer(h!.connect('sotw'), 'sotw', NODE(id)));
    for (const p of peers) p.sub(CDS, []);
    const got = await Promise.all(peers.map((p) => p.recvAck(2000)));
    assert.equal(got[0]!.versionInfo, got[1]!.versionInfo);
    assert.equal(h.engine.frames.reused, 0);
    assert.equal(h.engine.frames.made, 0, 'not through the shared frames at all');
  });

  it('keeps a frame only for the turn it was made in, and never shares one across nonces or versions', async () => {
    const f = new SharedFrames();
    const resources: SotwResponse['resources'] = [];
    const r = (nonce: string, versionInfo = 'v1'): SotwResponse => ({ typeUrl: RDS, versionInfo, nonce, resources });
    let n = 0;
    const make = (): Uint8Array => new Uint8Array([++n]);
    const a = f.frame(r('1'), make);
    assert.equal(f.frame(r('1'), make), a);
    assert.notEqual(f.frame(r('2'), make), a, 'another nonce');
    assert.notEqual(f.frame(r('2', 'v2'), make), a, 'another version');
    const b = f.frame(r('2', 'v2'), make);
    await new Promise((resolve) => setImmediate(resolve));
    assert.notEqual(f.frame(r('2', 'v2'), make), b, 'a later turn encodes again');
  });
});
