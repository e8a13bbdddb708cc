/**
 * The engine's write throttle counts bytes as well as streams (EngineOptions.sendBudgetBytes): an
 * EDS push's small responses reach every stream at once even while the `sendConcurrency` slots
 * are all held by writes a client has not taken yet — instead of waiting for those writes to
 * complete (or time out) round by round. With the budget at 0 the throttle counts streams only.
 */
import { strict as assert } from 'node:assert';
import { EDS } from '../../proto/typeurls.js';
import { A, fixtureYaml } from './conformance/fixture.js';
import { meshOf, startHarness, NODE, type Harness } from './conformance/harness.js';
import { Peer, names } from './conformance/peer.js';

describe('server/xds send throttle: small responses are not queued behind held writes', function () {
  this.timeout(20_000);
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const setup = async (sendBudgetBytes?: number): Promise<{ stuck: Peer; live: Peer[] }> => {
    h = await startHarness('memory', meshOf(fixtureYaml()), {
      sendConcurrency: 1,
      sendTimeoutMs: 60_000,
      ...(sendBudgetBytes === undefined ? {} : { sendBudgetBytes }),
    });
    const peers = ['stuck', 'live-1', 'live-2'].map((id) => new Peer(h!.connect('sotw'), 'sotw', NODE(id)));
    for (const p of peers) {
      p.sub(EDS, [A]);
      assert.deepEqual(names(await p.recvAck()), [A]);
    }
    const [stuck, ...live] = peers;
    stuck!.c.pause(); // its next write is never taken: it holds the only slot
    return { stuck: stuck!, live };
  };

  it('with the default byte budget, every stream gets the endpoint update while the one slot is held', async () => {
    const { live } = await setup();
    h!.engine.push(meshOf(fixtureYaml({ aEndpoint: 7 })));
    for (const p of live) {
      const r = await p.next(2000);
      assert.deepEqual(names(r), [A], 'the new endpoints, without waiting for the stuck stream');
    }
  });

  it('with the budget at 0 (count only), the others wait for the held write', async () => {
    const { live } = await setup(0);
    h!.engine.push(meshOf(fixtureYaml({ aEndpoint: 7 })));
    for (const p of live) assert.ok(await p.c.none(300), 'nothing while the only slot is held');
  });
});
