/**
 * The push path of the engine: endpoint-only changes send EDS only, only the affected clusters,
 * only to streams subscribed to one; versions are content hashes, so two server instances given
 * the same config send byte-identical responses and a client reconnecting to the other one with
 * its version sees no churn.
 */
import { strict as assert } from 'node:assert';
import { CDS, EDS, LDS, RDS } from '../../proto/typeurls.js';
import { A, B, fixtureYaml } from './conformance/fixture.js';
import { meshOf, startHarness, NODE, type Harness, type Variant } from './conformance/harness.js';
import { Peer, names } from './conformance/peer.js';

const A_HOST = 'a.default.svc.cluster.local';

for (const variant of ['sotw', 'delta'] as Variant[]) {
  describe(`xDS push (${variant})`, () => {
    let h: Harness;
    afterEach(async () => {
      await h?.stop();
    });

    it('an endpoint-only change sends EDS only, just the affected cluster, only to its subscribers', async () => {
      h = await startHarness('memory', meshOf(fixtureYaml()));
      const both = new Peer(h.connect(variant), variant, NODE('both'));
      both.sub(CDS, variant === 'delta' ? ['*'] : []);
      await both.recvAck();
      both.sub(EDS, [A, B]);
      await both.recvAck();
      const onlyB = new Peer(h.connect(variant), variant, NODE('only-b'));
      onlyB.sub(EDS, [B]);
      await onlyB.recvAck();
      const n = h.engine.push(meshOf(fixtureYaml({ aEndpoint: 42 })), { kind: 'endpoints', hosts: new Set([A_HOST]) });
      assert.equal(n, 1);
      const r = await both.recvAck();
      assert.equal(r.typeUrl, EDS);
      assert.deepEqual(names(r), [A]); // rule 15: a partial EDS response
      assert.ok(await both.c.none());
      assert.ok(await onlyB.c.none());
      // The version still describes everything the client holds: a full push of the same mesh sends nothing.
      assert.equal(h.engine.push(meshOf(fixtureYaml({ aEndpoint: 42 }))), 0);
    });

    it('a response over the large-response mark is sent, logged and counted; over the maximum it is held back', async () => {
      const big: number[] = [];
      h = await startHarness(
        'memory',
        meshOf(fixtureYaml()),
        { largeResponseBytes: 200, maxResponseBytes: 100_000 },
        {
          largeResponse: (_s, _r, bytes, dropped) => {
            if (!dropped) big.push(bytes);
          },
        },
      );
      const p = new Peer(h.connect(variant), variant, NODE('big'));
      p.sub(CDS, variant === 'delta' ? ['*'] : []);
      assert.ok((await p.next()).resources.length > 0);
      assert.equal(h.engine.counters.largeResponses, 1);
      assert.ok(big[0]! > 200);
      await h.stop();
      h = await startHarness('memory', meshOf(fixtureYaml()), { maxResponseBytes: big[0]! - 1 }); // just below the CDS response
      const q = new Peer(h.connect(variant), variant, NODE('big'));
      q.sub(CDS, variant === 'delta' ? ['*'] : []);
      assert.ok(await q.c.none());
      assert.equal(h.engine.counters.droppedResponses, 1);
      q.sub(EDS, [A]); // other types still flow
      assert.deepEqual(names(await q.next()), [A]);
    });

    it('the per-type service (CDS) works without type_url, over real gRPC', async () => {
      h = await startHarness('grpc', meshOf(fixtureYaml()));
      const path =
        variant === 'sotw'
          ? '/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters'
          : '/envoy.service.cluster.v3.ClusterDiscoveryService/DeltaClusters';
      const c = h.connect(variant, path);
      if (variant === 'sotw') c.sotw({ node: NODE('per-type'), typeUrl: '' });
      else c.delta({ node: NODE('per-type'), typeUrl: '', resourceNamesSubscribe: ['*'] });
      const r = await c.next();
      assert.equal(r.typeUrl, CDS);
      assert.ok(names(r).includes(A));
    });

    it('two server instances on the same config send byte-identical responses; a reconnect to the other sees no churn', async () => {
      const h1 = await startHarness('grpc', meshOf(fixtureYaml({ aMaxConnections: 4 })));
      const h2 = await startHarness('grpc', meshOf(fixtureYaml({ aMaxConnections: 4 })));
      try {
        const run = async (hx: Harness): Promise<Peer> => {
          const p = new Peer(hx.connect(variant), variant, NODE('same'));
          p.sub(CDS, variant === 'delta' ? ['*'] : []);
          await p.recvAck();
          p.sub(EDS, [A, B]);
          await p.recvAck();
          p.sub(LDS, variant === 'delta' ? ['*'] : []);
          await p.recvAck();
          p.sub(RDS, ['80']);
          await p.recvAck();
          return p;
        };
        const p1 = await run(h1);
        const p2 = await run(h2);
        assert.equal(p1.c.raw.length, 4);
        p1.c.raw.forEach((b, i) => assert.deepEqual(Buffer.from(b), Buffer.from(p2.c.raw[i]!), `response ${i} differs`));
        // Reconnect to the other instance stating what it holds.
        const cds = p1.c.received[0]!;
        const q = h2.connect(variant);
        if (variant === 'sotw') q.sotw({ node: NODE('same'), typeUrl: CDS, versionInfo: cds.versionInfo, resourceNames: [] });
        else
          q.delta({
            node: NODE('same'),
            typeUrl: CDS,
            resourceNamesSubscribe: ['*'],
            initialResourceVersions: Object.fromEntries(cds.resources.map((x) => [x.name, x.version])),
          });
        assert.ok(await q.none(300), 'nothing is resent to a client that already holds the current version');
      } finally {
        await h1.stop();
        await h2.stop();
      }
    });
  });
}
