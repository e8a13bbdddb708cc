/**
 * server/xds/sotw's memo of partial EDS/RDS responses: a push that leaves a stream's class as it was
 * composes nothing for its named types — not even on the first push after the stream was answered
 * whole (a start, a reconnect), when the stream holds what its class was sent whole. At 2,000
 * proxies that first push otherwise diffed every class's EDS and RDS names (issue 18: the bench's
 * one VirtualService change after its cold start paid for it).
 */
import { strict as assert } from 'node:assert';
import { EDS, RDS, type XdsType } from '../../proto/typeurls.js';
import { parseNodeId } from '../../model/proxy.js';
import type { ResourceSnapshot } from '../cache/api.js';
import { SnapshotCache } from '../cache/snapshot.js';
import { fixtureYaml } from './conformance/fixture.js';
import { meshOf, NODE } from './conformance/harness.js';
import { onPush, onRequest } from './sotw.js';
import type { SotwPart, StreamState } from './state.js';

/** `snap`, counting the resources looked up through it. */
function counting(snap: ResourceSnapshot): { snap: ResourceSnapshot; gets: () => number } {
  let gets = 0;
  const wrapped = new Proxy(snap, {
    get(target, prop) {
      if (prop === 'get')
        return (t: XdsType, n: string) => {
          gets++;
          return target.get(t, n);
        };
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { snap: wrapped, gets: () => gets };
}

describe('server/xds/sotw memo', () => {
  it('the first push after a whole response composes nothing for a class left as it was', () => {
    const node = NODE();
    const r = parseNodeId(node.id, node.metadata);
    if (!r.ok) throw new Error(r.reason);
    const snap = new SnapshotCache(meshOf(fixtureYaml())).forProxy(r.proxy);
    const streams = [0, 1].map((i): StreamState<SotwPart> => ({
      id: `s${i}`,
      proxy: r.proxy,
      node,
      kind: 'sotw',
      connectedAt: 0,
      peer: '',
      types: new Map(),
      nonceSeq: 0,
    }));
    const named = [EDS, RDS].filter((t) => snap.names(t).length);
    assert.deepEqual(named, [EDS, RDS], 'the fixture serves named EDS and RDS');
    for (const st of streams)
      for (const t of named) {
        const req = { typeUrl: t, resourceNames: [...snap.names(t)], versionInfo: '', responseNonce: '', node: null, errorDetail: null };
        const sent = onRequest(st, t, req, snap, 0).response;
        assert.ok(sent?.resources.length, `${t} answered whole`);
        onRequest(st, t, { ...req, versionInfo: sent.versionInfo, responseNonce: sent.nonce }, snap, 0); // the ACK
      }
    const c = counting(snap);
    for (const st of streams) assert.deepEqual(onPush(st, c.snap, new Set(named)), [], 'nothing changed: nothing sent');
    assert.equal(c.gets(), 0, 'no resource looked up: the memo knew the class unchanged');
  });
});
