/**
 * Subscriptions are bounded per stream and per server (issue 12, item 4): Delta names accumulate
 * across requests, so the per-request limit alone let one stream hold millions of names.
 */
import { strict as assert } from 'node:assert';
import { CDS, EDS, RDS } from '../../proto/typeurls.js';
import { meshOf, startHarness, NODE, type Harness } from './conformance/harness.js';
import { A, B, fixtureYaml } from './conformance/fixture.js';
import { Peer, names } from './conformance/peer.js';
import { deltaNamesAfter, sotwNamesAfter } from './limits.js';
import { deltaPart, newTypeState, sotwPart, type DeltaPart, type SotwPart, type StreamState } from './state.js';

const many = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('server/xds subscription limits', function () {
  this.timeout(30_000);
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('delta: names piling up across requests past the per-stream limit get RESOURCE_EXHAUSTED naming it; others go on', async () => {
    h = await startHarness('memory', meshOf(fixtureYaml()), { maxNames: 1000, maxStreamNames: 1500 });
    const good = new Peer(h.connect('delta'), 'delta', NODE('good'));
    good.sub(CDS, ['*']);
    await good.recvAck();
    const bad = new Peer(h.connect('delta'), 'delta', NODE('bad'));
    bad.sub(EDS, many('e', 900));
    await bad.next();
    bad.sub(EDS, many('e', 900)); // the same names again: no growth
    bad.sub(RDS, many('r', 500)); // 1,400 in all: still under
    bad.sub(EDS, many('x', 200)); // 1,600
    const st = await bad.c.status;
    assert.equal(st.code, 8);
    assert.match(st.details, /1600 resource names; the per-stream limit is 1500/);
    good.sub(EDS, [A, B]);
    assert.deepEqual(names(await good.next()), [A, B]);
    assert.equal(h.engine.subscribedNames(), 2, "the refused stream's names are released");
  });

  it("the server-wide limit counts every stream (SotW and Delta) and frees a stream's names when it goes", async () => {
    h = await startHarness('memory', meshOf(fixtureYaml()), { maxNames: 1000, maxServerNames: 1500 });
    const s1 = new Peer(h.connect('sotw'), 'sotw', NODE('s1'));
    s1.sub(EDS, [A, ...many('e', 999)]); // SotW answers only when a named resource exists
    await s1.next();
    const d1 = new Peer(h.connect('delta'), 'delta', NODE('d1'));
    d1.sub(EDS, many('e', 400));
    await d1.next();
    assert.equal(h.engine.subscribedNames(), 1400);
    d1.sub(EDS, many('f', 200));
    const st = await d1.c.status;
    assert.equal(st.code, 8);
    assert.match(st.details, /1600 resource names together; the server limit is 1500/);
    assert.equal(h.engine.subscribedNames(), 1000);
    s1.c.close();
    assert.equal(h.engine.subscribedNames(), 0);
    const d2 = new Peer(h.connect('delta'), 'delta', NODE('d2'));
    d2.sub(EDS, many('g', 1000));
    await d2.next();
    assert.equal(h.engine.subscribedNames(), 1000);
  });

  it('namesAfter is exact past the limit (duplicates and unsubscribes do not count), a cheap bound below it', () => {
    const st: StreamState<DeltaPart> = {
      id: 's',
      proxy: null as never,
      node: null as never,
      kind: 'delta',
      connectedAt: 0,
      peer: '',
      types: new Map(),
      nonceSeq: 0,
    };
    const ts = newTypeState(deltaPart());
    ts.sub.names = new Set(['a', 'b', 'c']);
    st.types.set(EDS, ts);
    const req = {
      typeUrl: EDS,
      node: null,
      responseNonce: '',
      errorDetail: null,
      initialResourceVersions: {},
      resourceNamesSubscribe: ['a', 'd', 'd', 'e'],
      resourceNamesUnsubscribe: ['b'],
    };
    assert.equal(deltaNamesAfter(st, req, 3, 0), 4); // exact: {a,c,d,e}
    assert.equal(deltaNamesAfter(st, req, 3, 100), 7); // the bound 3 + 4 is under the limit
    const sst: StreamState<SotwPart> = { ...st, kind: 'sotw', types: new Map([[EDS, { ...newTypeState(sotwPart()), sub: ts.sub }]]) };
    const sotw = { typeUrl: EDS, node: null, responseNonce: '', errorDetail: null, versionInfo: '', resourceNames: ['x', 'x', '*'] };
    assert.equal(sotwNamesAfter(sst, sotw, 3, 0), 1);
  });
});
