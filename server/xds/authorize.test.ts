/**
 * The engine's authorization hook (TLS port): nothing is served before `authorize` decides;
 * requests sent meanwhile are replayed in order once it accepts; a refusal ends the stream with
 * its code and leaves no stream state; a client that floods requests while waiting is cut off.
 */
import { strict as assert } from 'node:assert';
import { CDS, EDS } from '../../proto/typeurls.js';
import { encodeSotwRequest } from '../../proto/wire.js';
import { SnapshotCache } from '../cache/snapshot.js';
import type { AuthResult } from '../security/identity.js';
import { AdsEngine, Status, type StreamIO } from './ads.js';
import { sotw } from './sotw.js';
import { A, fixtureYaml } from './conformance/fixture.js';
import { meshOf, NODE } from './conformance/harness.js';

function stream(engine: AdsEngine, decide: Promise<AuthResult>) {
  const written: Uint8Array[] = [];
  const failed: { code: number; message: string }[] = [];
  const io: StreamIO = {
    peer: 'mem',
    write: (b, done) => {
      written.push(b);
      queueMicrotask(() => done?.());
      return true;
    },
    onDrain: () => undefined,
    fail: (code, message) => {
      failed.push({ code, message });
    },
  };
  const h = engine.open(io, undefined, sotw, { authorize: () => decide });
  return { h, written, failed, send: (r: Parameters<typeof encodeSotwRequest>[0]) => h.onMessage(encodeSotwRequest(r)) };
}
const tick = () => new Promise((r) => setTimeout(r, 20));
const ok: AuthResult = { ok: true, identity: { spiffe: ['spiffe://cluster.local/ns/default/sa/x'], method: 'jwt' } };

describe('ADS engine: stream authorization', () => {
  it('holds requests until authorized, then serves them in order with the identity on the stream', async () => {
    const engine = new AdsEngine(new SnapshotCache(meshOf(fixtureYaml())));
    let accept!: (r: AuthResult) => void;
    const s = stream(
      engine,
      new Promise((r) => {
        accept = r;
      }),
    );
    s.send({ typeUrl: CDS, node: NODE('held') });
    s.send({ typeUrl: EDS, resourceNames: [A] });
    await tick();
    assert.equal(s.written.length, 0);
    assert.equal(engine.streams().length, 0);
    accept(ok);
    await tick();
    assert.equal(s.written.length, 2);
    assert.deepEqual(engine.streams()[0]?.identity, ok.identity);
  });

  it('a refusal ends the stream with its code and leaves no stream behind', async () => {
    const engine = new AdsEngine(new SnapshotCache(meshOf(fixtureYaml())));
    const s = stream(engine, Promise.resolve({ ok: false, code: 'PERMISSION_DENIED', message: 'no' }));
    s.send({ typeUrl: CDS, node: NODE('refused') });
    await tick();
    assert.deepEqual(s.failed, [{ code: Status.PERMISSION_DENIED, message: 'no' }]);
    assert.equal(s.written.length, 0);
    assert.equal(engine.connectionCount(), 0);
  });

  it('more than 1 MB of requests while waiting: RESOURCE_EXHAUSTED', async () => {
    const engine = new AdsEngine(new SnapshotCache(meshOf(fixtureYaml())));
    const s = stream(engine, new Promise(() => undefined));
    s.send({ typeUrl: CDS, node: NODE('big') });
    const name = 'x'.repeat(300_000);
    for (let i = 0; i < 3; i++) s.send({ typeUrl: EDS, resourceNames: [name] });
    assert.equal(s.failed.length, 0);
    s.send({ typeUrl: EDS, resourceNames: [name] });
    assert.equal(s.failed[0]?.code, Status.RESOURCE_EXHAUSTED);
  });

  it('more than 16 requests while waiting: RESOURCE_EXHAUSTED', async () => {
    const engine = new AdsEngine(new SnapshotCache(meshOf(fixtureYaml())));
    const s = stream(engine, new Promise(() => undefined));
    s.send({ typeUrl: CDS, node: NODE('flood') });
    for (let i = 0; i < 20; i++) s.send({ typeUrl: EDS, resourceNames: [A] });
    assert.equal(s.failed[0]?.code, Status.RESOURCE_EXHAUSTED);
    assert.equal(engine.connectionCount(), 0);
  });
  it('streams that never finish authorizing share one server-wide budget of held bytes, freed when they go', async () => {
    const engine = new AdsEngine(new SnapshotCache(meshOf(fixtureYaml())), {}, Date.now, { maxPendingAuthBytes: 64 * 1024 });
    const name = 'n'.repeat(20_000);
    const streams = Array.from({ length: 5 }, () => stream(engine, new Promise(() => undefined)));
    streams.forEach((s, i) => s.send({ typeUrl: EDS, resourceNames: [name], node: NODE(`stuck-${i}`) }));
    const refused = streams.filter((s) => s.failed.length);
    assert.equal(refused.length, 2, 'three 20 KB first requests fit in 64 KB, the rest are refused');
    assert.equal(refused[0]!.failed[0]!.code, Status.RESOURCE_EXHAUSTED);
    assert.match(refused[0]!.failed[0]!.message, /server limit is 65536/);
    for (const s of streams) s.h.onEnd();
    const again = stream(engine, new Promise(() => undefined));
    again.send({ typeUrl: EDS, resourceNames: [name], node: NODE('after') });
    assert.equal(again.failed.length, 0, 'closed streams gave their bytes back');
  });
});
