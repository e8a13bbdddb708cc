/**
 * SotW streams that subscribe to the same names share one name list and set (issue 18: memory of
 * 2,000 streams), and sharing never leaks: a stream only gets a list it sent byte for byte, a
 * stream that changes its names gets its own without touching the others', and a Delta
 * subscription that starts from a shared set copies it before changing it.
 */
import { strict as assert } from 'node:assert';
import { CDS, EDS } from '../../proto/typeurls.js';
import { A, B, fixtureYaml } from './conformance/fixture.js';
import { meshOf, startHarness, NODE, type Harness } from './conformance/harness.js';
import { Peer, names } from './conformance/peer.js';
import { nameListKey, sameNameBytes, shareNameList } from './namelists.js';
import { sotw } from './sotw.js';
import { scanSotw } from './ackscan.js';
import { encodeSotwRequest } from '../../proto/wire.js';
import type { StreamState } from './state.js';
import { newSubscription, replaceNames, subscribe, unsubscribe } from './subscription.js';

const edsNames = (h: Harness, id: string): ReadonlySet<string> => {
  const st = h.engine.streams().find((s: StreamState) => s.proxy.id === id || s.node.id.includes(id));
  const ts = st?.types.get(EDS);
  assert.ok(ts, `stream ${id} subscribes to EDS`);
  return ts.sub.names;
};

describe('server/xds/namelists: SotW name lists shared between streams', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.stop();
  });

  it('streams sending the same names share one set; a stream that changes its names gets its own, the others keep theirs', async () => {
    h = await startHarness('memory', meshOf(fixtureYaml()));
    const peers = ['one', 'two', 'three'].map((id) => new Peer(h.connect('sotw'), 'sotw', NODE(id)));
    for (const p of peers) {
      p.sub(CDS, []);
      await p.recvAck();
      p.sub(EDS, [A, B]);
      assert.deepEqual(names(await p.recvAck()).sort(), [A, B].sort());
    }
    const [one, two, three] = ['one', 'two', 'three'].map((id) => edsNames(h, id));
    assert.equal(one, two, 'the same bytes: one shared set');
    assert.equal(two, three);
    // `one` drops B: its subscription is now [A] only; the others still hold both.
    peers[0]!.unsub(EDS, [B]);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([...edsNames(h, 'one')], [A]);
    assert.deepEqual([...edsNames(h, 'two')].sort(), [A, B].sort());
    assert.equal(edsNames(h, 'two'), edsNames(h, 'three'));
    // `one` subscribes to B again (a new list of its own): it is owed B again (rule 16), the others nothing.
    peers[0]!.sub(EDS, [B]);
    assert.deepEqual(names(await peers[0]!.recvAck()).sort(), [A, B].sort());
    assert.ok(await peers[1]!.c.none());
  });

  it('a list is shared only for the same type and the same bytes', () => {
    const bytes = new TextEncoder().encode('names');
    const eds = shareNameList(nameListKey(EDS, bytes), ['x', 'y']);
    assert.equal(shareNameList(nameListKey(EDS, bytes), ['x', 'y']), eds);
    assert.notEqual(shareNameList(nameListKey(CDS, bytes), ['x', 'y']), eds, 'another type');
    assert.notEqual(shareNameList(nameListKey(EDS, new TextEncoder().encode('other')), ['x', 'y']), eds, 'other bytes');
    assert.ok(Object.isFrozen(eds.names));
    assert.deepEqual([...shareNameList(nameListKey(CDS, new TextEncoder().encode('*x')), ['*', 'x']).set], ['x'], '"*" is not a name');
  });

  it("an ACK repeating the stream's names reuses its list without a digest; other bytes of the same length never do", () => {
    const decode = sotw().decode;
    const req = (names: string[], nonce: string): Uint8Array =>
      encodeSotwRequest({ typeUrl: EDS, resourceNames: names, responseNonce: nonce });
    const first = decode(req(['a-1', 'b-1'], ''), true);
    const ack = decode(req(['a-1', 'b-1'], 'n1'), true);
    assert.equal(ack.resourceNames, first.resourceNames, 'the same shared list');
    assert.equal(ack.responseNonce, 'n1');
    assert.ok(sameNameBytes(first.resourceNames, scanSotw(req(['a-1', 'b-1'], 'x'))!.names), 'recognised by its bytes');
    // Same length, other names: decoded, never the previous list.
    const other = decode(req(['a-2', 'b-2'], 'n2'), true);
    assert.deepEqual([...other.resourceNames], ['a-2', 'b-2']);
    assert.deepEqual([...decode(req(['a-1', 'b-1'], 'n3'), true).resourceNames], ['a-1', 'b-1']);
    // A list shared without its bytes is not taken for any bytes.
    const bare = shareNameList(nameListKey(EDS, new TextEncoder().encode('bare')), ['q']);
    assert.equal(sameNameBytes(bare.names, new TextEncoder().encode('bare')), false);
  });

  it('a subscription starting from a shared set copies it before changing it in place', () => {
    const shared = shareNameList(nameListKey(EDS, new TextEncoder().encode('cow')), ['a', 'b']);
    const sub = newSubscription();
    replaceNames(sub, EDS, shared.names, shared.set);
    assert.equal(sub.names, shared.set);
    subscribe(sub, EDS, ['c'], false);
    unsubscribe(sub, ['a']);
    assert.deepEqual([...sub.names].sort(), ['b', 'c']);
    assert.deepEqual([...shared.set].sort(), ['a', 'b'], 'the shared set is unchanged');
  });
});
