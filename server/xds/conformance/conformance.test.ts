/**
 * The xDS conformance suite: one test per numbered rule of ../shared/reference/xds-protocol.md,
 * run for SotW and Delta (a rule that applies to one variant says so in its name), each through
 * an in-memory stream and over real gRPC. Rule 24 (TTL) is not implemented: tspilot never sets
 * Resource.ttl, so there is nothing to heartbeat. Rule 25 (REST-JSON) is tested in
 * server/http/rest.test.ts.
 */
import { strict as assert } from 'node:assert';
import { CDS, EDS, LDS, RDS, TYPE_PREFIX } from '../../../proto/typeurls.js';
import { A, B, C, fixtureYaml, type FixtureOptions } from './fixture.js';
import { meshOf, startHarness, NODE, type Harness, type Transport, type Variant } from './harness.js';
import { Peer, names } from './peer.js';
import { generate } from '../../../translators/index.js';

const transports: Transport[] = ['memory', 'grpc'];
const variants: Variant[] = ['sotw', 'delta'];

for (const transport of transports) {
  for (const variant of variants) {
    describe(`xDS conformance: ${variant} over ${transport}`, function () {
      this.timeout(20_000);
      let h: Harness;
      const start = async (o: FixtureOptions = {}): Promise<void> => {
        h = await startHarness(transport, meshOf(fixtureYaml(o)));
      };
      const peer = (name?: string): Peer => new Peer(h.connect(variant), variant, NODE(name));
      const push = (o: FixtureOptions): number => h.engine.push(meshOf(fixtureYaml(o)));
      afterEach(async () => {
        await h?.stop();
      });

      /** Connects, subscribes wildcard CDS and ACKs it. */
      async function cds(p: Peer): Promise<void> {
        p.sub(CDS, variant === 'delta' ? ['*'] : []);
        await p.recvAck();
      }

      it('rule 1: every response carries a nonce; a nonce from a previous stream means nothing on a new one', async () => {
        await start();
        const p1 = peer();
        p1.sub(CDS, []);
        const r1 = await p1.next();
        assert.ok(r1.nonce);
        p1.c.close();
        const p2 = new Peer(h.connect(variant), variant);
        // The new stream's first request echoes the old stream's nonce: it must still get the full state.
        if (variant === 'sotw') p2.c.sotw({ node: NODE(), typeUrl: CDS, versionInfo: r1.versionInfo, responseNonce: r1.nonce });
        else p2.c.delta({ node: NODE(), typeUrl: CDS, resourceNamesSubscribe: ['*'], responseNonce: r1.nonce });
        const r2 = await p2.next();
        assert.ok(r2.nonce);
        assert.ok(names(r2).includes(A));
      });

      it('rule 2: node is required on the first request only', async () => {
        await start();
        const bad = h.connect(variant);
        if (variant === 'sotw') bad.sotw({ typeUrl: CDS });
        else bad.delta({ typeUrl: CDS });
        const st = await bad.status;
        assert.equal(st.code, 3);
        assert.match(st.details, /node/);
        const p = peer();
        await cds(p); // first carries node
        p.sub(EDS, [A]); // later ones do not
        assert.deepEqual(names(await p.next()), [A]);
      });

      it('rule 3: versions and nonces are tracked per type on one ADS stream', async () => {
        await start();
        const p = peer();
        p.sub(CDS, variant === 'delta' ? ['*'] : []);
        const c = await p.next();
        p.sub(LDS, variant === 'delta' ? ['*'] : []);
        const l = await p.next();
        assert.notEqual(c.nonce, l.nonce);
        p.ack(c);
        assert.ok(await p.c.none());
        const st = h.engine.streams()[0]!;
        assert.equal(st.types.get(CDS)!.ackedNonce, c.nonce);
        assert.equal(st.types.get(LDS)!.ackedNonce, '');
      });

      it('rule 4: the response type_url equals the type of every packed resource', async () => {
        await start();
        const p = peer();
        for (const [t, n] of [
          [CDS, []],
          [EDS, [A, B]],
          [LDS, []],
          [RDS, ['80']],
        ] as const) {
          p.sub(t, variant === 'delta' && n.length === 0 ? ['*'] : [...n]);
          const r = await p.recvAck();
          assert.equal(r.typeUrl, t);
          assert.ok(r.resources.length > 0);
          for (const x of r.resources) assert.equal(x.typeUrl, t);
        }
      });

      it('rule 5: a name requested twice is sent once', async () => {
        await start();
        const p = peer();
        p.sub(EDS, [A, A, B]);
        assert.deepEqual(names(await p.next()), [A, B]);
      });

      it('rule 6: EDS and RDS are never wildcard (an unnamed request gets nothing)', async () => {
        await start();
        const p = peer();
        p.sub(EDS, []);
        p.sub(RDS, []);
        assert.ok(await p.c.none());
      });

      it('rule 7: a name that does not exist yet is remembered and pushed when it appears', async () => {
        await start();
        const p = peer();
        p.sub(EDS, [C]);
        if (variant === 'delta')
          assert.deepEqual((await p.recvAck()).removed, [C]); // rule 21 flavour
        else assert.ok(await p.c.none());
        push({ withC: true });
        const r = await p.next();
        assert.deepEqual(names(r), [C]);
      });

      it('rule 8: after a CDS change the EDS of the cluster is sent again even if unchanged (warming)', async () => {
        await start();
        const p = peer();
        await cds(p);
        p.sub(EDS, [A, B]);
        await p.recvAck();
        push({ aMaxConnections: 5 }); // cluster a changes, its endpoints do not
        const c = await p.recvAck();
        assert.equal(c.typeUrl, CDS);
        const e = await p.recvAck();
        assert.equal(e.typeUrl, EDS);
        assert.ok(names(e).includes(A));
      });

      it('rule 8: after an LDS change its RDS is sent again (warming)', async () => {
        await start();
        const p = peer();
        p.sub(LDS, variant === 'delta' ? ['*'] : []);
        await p.recvAck();
        p.sub(RDS, ['80']);
        await p.recvAck();
        push({ bSecondPort: true }); // a new listener; route "80" itself is unchanged
        const types: string[] = [];
        for (;;) {
          const r = await p.recvAck();
          types.push(r.typeUrl);
          if (r.typeUrl === RDS) {
            assert.ok(names(r).includes('80'));
            break;
          }
        }
        assert.deepEqual(types, [LDS, RDS]);
      });

      it('rule 15: an endpoint change to one service, in a full push, sends that one EDS resource', async () => {
        await start({ withC: true });
        const p = peer();
        await cds(p);
        p.sub(EDS, [A, B, C]);
        assert.deepEqual(names(await p.recvAck()).sort(), [A, B, C]);
        push({ withC: true, aEndpoint: 9 });
        const r = await p.recvAck();
        assert.equal(r.typeUrl, EDS);
        assert.deepEqual(names(r), [A]);
        assert.ok(await p.c.none());
        const ts = h.engine.streams()[0]!.types.get(EDS)!;
        assert.equal(ts.ackedVersion, ts.versionSent, 'the partial response was ACKed as the latest version');
        if (variant === 'sotw') assert.deepEqual([...ts.sent!.keys()].sort(), [A, B, C], 'the stream still holds all three');
      });

      it('rule 15: a route change to one route config sends that one RDS resource; the version still names the whole set', async () => {
        await start({ bSecondPort: true });
        const p = peer();
        p.sub(RDS, ['80', '8080']);
        const first = await p.recvAck();
        assert.deepEqual(names(first).sort(), ['80', '8080']);
        push({ bSecondPort: true, aRouteTimeout: '3s' });
        const r = await p.recvAck();
        assert.equal(r.typeUrl, RDS);
        assert.deepEqual(names(r), ['80']);
        // Back to the first config: the version is the first one's again (it describes all the client holds).
        push({ bSecondPort: true });
        const back = await p.recvAck();
        assert.deepEqual(names(back), ['80']);
        if (variant === 'sotw') assert.equal(back.versionInfo, first.versionInfo);
      });

      it('rule 11 with partial responses: a NACKed EDS update is not resent, the next change is sent', async () => {
        await start({ withC: true });
        const p = peer();
        p.sub(EDS, [A, B, C]);
        await p.recvAck();
        push({ withC: true, aEndpoint: 9 });
        const bad = await p.next();
        assert.deepEqual(names(bad), [A]);
        p.nack(bad);
        assert.ok(await p.c.none(), 'no resend loop after a NACK');
        push({ withC: true, aEndpoint: 10 });
        const next = await p.recvAck();
        assert.deepEqual(names(next), [A]);
        assert.ok(await p.c.none(), 'the ACK has reached the server');
        const ts = h.engine.streams()[0]!.types.get(EDS)!;
        assert.equal(ts.ackedVersion, ts.versionSent);
        assert.equal(ts.nack, null, 'the ACK of the next version clears the NACK');
      });

      it('rule 9: make before break — a push that changes every type arrives CDS → EDS → LDS → RDS', async () => {
        await start();
        const p = peer();
        await cds(p);
        p.sub(EDS, [A, B]);
        await p.recvAck();
        p.sub(LDS, variant === 'delta' ? ['*'] : []);
        await p.recvAck();
        p.sub(RDS, ['80']);
        await p.recvAck();
        push({ aMaxConnections: 3, aEndpoint: 9, bSecondPort: true, withC: true });
        const order: string[] = [];
        for (let i = 0; i < 4; i++) order.push((await p.recvAck()).typeUrl);
        assert.deepEqual(order, [CDS, EDS, LDS, RDS]);
      });

      it('rule 10: an unchanged response is not resent', async () => {
        await start();
        const p = peer();
        await cds(p);
        p.sub(EDS, [A]);
        await p.recvAck();
        assert.equal(push({}), 0);
        assert.ok(await p.c.none());
      });

      if (variant === 'sotw') {
        it('rule 11 (SotW): a NACK is detected by error_detail, recorded, and the config is not resent', async () => {
          await start();
          const p = peer();
          p.sub(CDS, []);
          const r = await p.next();
          // gRPC clients report the new version in a NACK: still a NACK.
          p.c.sotw({ typeUrl: CDS, versionInfo: r.versionInfo, responseNonce: r.nonce, errorDetail: { code: 3, message: 'bad cluster' } });
          assert.ok(await p.c.none());
          const ts = h.engine.streams()[0]!.types.get(CDS)!;
          assert.equal(ts.nack?.message, 'bad cluster');
        });

        it('rule 12 (SotW): a stale nonce is no ACK, but a grown name list is honoured', async () => {
          await start();
          const p = peer();
          p.sub(EDS, [A]);
          const r1 = await p.next();
          push({ aEndpoint: 7 });
          const r2 = await p.next();
          // The client, not having seen r2 yet, ACKs r1 and adds B in the same request.
          p.c.sotw({ typeUrl: EDS, resourceNames: [A, B], versionInfo: r1.versionInfo, responseNonce: r1.nonce });
          const r3 = await p.next();
          assert.deepEqual(names(r3), [A, B]);
          const ts = h.engine.streams()[0]!.types.get(EDS)!;
          assert.notEqual(ts.ackedNonce, r2.nonce);
          assert.equal(ts.ackedVersion, '');
        });

        it('rule 13 (SotW): legacy wildcard, "*", and an empty list after naming means none', async () => {
          await start();
          const p = peer();
          p.sub(CDS, []);
          assert.ok(names(await p.recvAck()).includes(A));
          const q = peer('client-2');
          q.sub(CDS, ['*']);
          assert.ok(names(await q.recvAck()).includes(B));
          const r = peer('client-3');
          r.sub(CDS, [A]);
          assert.deepEqual(names(await r.recvAck()), [A]);
          r.unsub(CDS, [A]); // empty list now: unsubscribe from everything, not wildcard
          push({ withC: true });
          assert.ok(await r.c.none());
        });

        it('rule 14 (SotW): CDS/LDS responses carry every resource; leaving one out deletes it', async () => {
          await start();
          const p = peer();
          p.sub(CDS, []);
          assert.ok(names(await p.recvAck()).includes(B));
          push({ withB: false });
          const r = await p.recvAck();
          assert.ok(!names(r).includes(B));
          assert.ok(names(r).includes(A));
        });

        it('rule 14 (SotW): named CDS, as gRPC clients subscribe, is still whole-state — a change to one cluster resends every named one', async () => {
          await start();
          const p = peer();
          p.sub(CDS, [A, B]);
          assert.deepEqual(names(await p.recvAck()).sort(), [A, B]);
          push({ aMaxConnections: 5 });
          assert.deepEqual(names(await p.recvAck()).sort(), [A, B], 'leaving B out would delete it on the client');
        });

        it('rule 15 (SotW): an EDS response holds only the subscribed names that exist', async () => {
          await start();
          const p = peer();
          p.sub(EDS, [A, C]);
          assert.deepEqual(names(await p.next()), [A]);
        });

        it('rule 16 (SotW): a newly subscribed name is sent even if it was sent before', async () => {
          await start();
          const p = peer();
          p.sub(EDS, [A, B]);
          await p.recvAck();
          p.unsub(EDS, [B]);
          await p.c.none(); // may or may not answer the shrink; drain it
          for (const r of p.c.received.slice()) void r;
          const before = p.c.received.length;
          p.sub(EDS, [B]);
          const deadline = Date.now() + 3000;
          while (p.c.received.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
          assert.ok(names(p.c.received[p.c.received.length - 1]!).includes(B));
        });

        it('MOSN (SotW): a CDS re-request with the last version and nonce every refresh is an ACK, no push loop', async () => {
          await start();
          const p = peer();
          p.sub(CDS, []);
          const r = await p.next();
          for (let i = 0; i < 3; i++) p.c.sotw({ typeUrl: CDS, versionInfo: r.versionInfo, responseNonce: r.nonce });
          assert.ok(await p.c.none(300));
          assert.equal(h.engine.streams()[0]!.types.get(CDS)!.ackedVersion, r.versionInfo);
        });
      }

      it('a client that NACKs every version gets each new version once, never a resend loop', async () => {
        await start();
        const p = peer();
        await cds(p);
        p.sub(EDS, [A]);
        p.nack(await p.next());
        assert.ok(await p.c.none());
        push({ aEndpoint: 5 });
        const r = await p.next();
        p.nack(r);
        assert.ok(await p.c.none(300));
        assert.equal(h.engine.streams()[0]!.types.get(EDS)!.nack?.nonce, r.nonce);
      });

      if (variant === 'delta') {
        it('rule 17 (Delta): every response has a nonce; system_version_info is informational', async () => {
          await start();
          const p = peer();
          p.sub(CDS, ['*']);
          const r = await p.recvAck();
          assert.ok(r.nonce);
          for (const x of r.resources) assert.ok(x.version, `resource ${x.name} carries its own version`);
        });

        it('rule 18 (Delta): initial_resource_versions on reconnect — only what differs is sent', async () => {
          await start();
          const p = peer();
          p.sub(CDS, ['*']);
          const held = Object.fromEntries((await p.recvAck()).resources.map((x) => [x.name, x.version]));
          p.c.close();
          const same = peer('same');
          same.sub(CDS, ['*'], { initialVersions: held });
          assert.ok(await same.c.none(), 'nothing differs: nothing is sent');
          push({ aMaxConnections: 7 }); // only cluster a changes while the next client is away
          same.c.close();
          const q = peer('again');
          q.sub(CDS, ['*'], { initialVersions: held });
          const diff = await q.next();
          assert.deepEqual(names(diff), [A]);
          assert.deepEqual(diff.removed, []);
        });

        it('rule 19 (Delta): subscription changes apply even with a stale nonce', async () => {
          await start();
          const p = peer();
          p.sub(EDS, [A]);
          const r1 = await p.next();
          push({ aEndpoint: 6 });
          await p.next();
          p.c.delta({ typeUrl: EDS, responseNonce: r1.nonce, resourceNamesSubscribe: [B] });
          assert.deepEqual(names(await p.next()), [B]);
        });

        it('rule 20 (Delta): a subscribed name is sent even if the server thinks the client has it', async () => {
          await start();
          const p = peer();
          p.sub(EDS, [A]);
          const r = await p.recvAck();
          p.c.delta({ typeUrl: EDS, resourceNamesSubscribe: [A], responseNonce: r.nonce });
          assert.deepEqual(names(await p.next()), [A]);
        });

        it('rule 21 (Delta): unsubscribing a never-held name is a no-op; subscribing a missing one → removed_resources', async () => {
          await start();
          const p = peer();
          p.sub(EDS, [A]);
          await p.recvAck();
          p.unsub(EDS, [C]);
          assert.ok(await p.c.none());
          p.sub(EDS, [C]);
          const r = await p.recvAck();
          assert.deepEqual(r.removed, [C]);
          assert.deepEqual(names(r), []);
        });

        it('rule 22 (Delta): wildcard plus X, unsubscribing X gives X back', async () => {
          await start();
          const p = peer();
          p.sub(CDS, ['*', A]);
          await p.recvAck();
          p.unsub(CDS, [A]);
          const r = await p.recvAck();
          assert.ok(names(r).includes(A) || r.removed.includes(A));
        });

        it('rule 23 (Delta): deleted resources go in removed_resources; unchanged ones are not resent', async () => {
          await start();
          const p = peer();
          p.sub(CDS, ['*']);
          await p.recvAck();
          push({ withB: false, aMaxConnections: 2 });
          const r = await p.recvAck();
          assert.deepEqual(r.removed, [B]);
          assert.deepEqual(names(r), [A]);
        });
      }

      it('an unknown type URL is ignored and counted; the stream keeps working', async () => {
        await start();
        const p = peer();
        await cds(p);
        // What istio-agent also asks istiod for and tspilot does not serve (the name table it does: see nds.test.ts).
        p.sub(TYPE_PREFIX + 'istio.v1.HealthInformation', []);
        p.sub(TYPE_PREFIX + 'istio.mesh.v1alpha1.ProxyConfig', []);
        assert.ok(await p.c.none());
        assert.equal(h.engine.counters.unknownTypes, 2);
        p.sub(EDS, [A]);
        assert.deepEqual(names(await p.next()), [A]);
      });

      it('a request naming an absurd number of resources is refused with RESOURCE_EXHAUSTED; other streams go on', async () => {
        await h?.stop();
        h = await startHarness(transport, meshOf(fixtureYaml()), { maxNames: 1000 });
        const good = peer('good');
        await cds(good);
        const bad = h.connect(variant);
        const many = Array.from({ length: 1001 }, (_, i) => `n${i}`);
        if (variant === 'sotw') bad.sotw({ node: NODE('bad'), typeUrl: EDS, resourceNames: many });
        else bad.delta({ node: NODE('bad'), typeUrl: EDS, resourceNamesSubscribe: many });
        const st = await bad.status;
        assert.equal(st.code, 8);
        assert.match(st.details, /1001.*limit is 1000/);
        push({ withC: true });
        assert.ok(names(await good.next()).includes(C));
        assert.equal(h.engine.counters.rejectedStreams, 1);
      });

      it('a class whose translation throws keeps its last good config (or gets nothing yet); every other stream gets its push', async () => {
        let failing = false;
        const errors: string[] = [];
        h = await startHarness(
          transport,
          meshOf(fixtureYaml()),
          {},
          {},
          {
            generate: (m, p) => {
              if (failing && p.workloadName.startsWith('broken')) throw new Error(`translator bug for ${p.workloadName}`);
              return generate(m, p);
            },
            onTranslateError: (i) => errors.push(`${i.proxyClass}: ${i.error.message}${i.lastGood ? ' (last good kept)' : ''}`),
          },
        );
        const broken = peer('broken-1');
        const good = peer('good-1');
        await cds(broken);
        await cds(good);
        failing = true;
        push({ withC: true });
        assert.ok(names(await good.next()).includes(C), 'the other stream got its push');
        assert.ok(await broken.c.none(), 'the failing class keeps its last good config: nothing is sent');
        assert.deepEqual(errors, ['envoy/sidecar/default/pod:broken-1: translator bug for broken-1 (last good kept)']);
        // A new class that has never translated: no response yet, and the stream stays open.
        const fresh = peer('broken-2');
        fresh.sub(CDS, variant === 'delta' ? ['*'] : []);
        assert.ok(await fresh.c.none());
        assert.equal(errors.length, 2);
        assert.equal(h.engine.connectionCount(), 3);
        // Fixed: the next push brings both up to date.
        failing = false;
        push({ withC: true, aEndpoint: 3 });
        assert.ok(names(await broken.next()).includes(C));
        assert.ok(names(await fresh.next()).includes(C));
      });

      it('malformed bytes get INVALID_ARGUMENT and leave no connection behind', async () => {
        await start();
        const bad = h.connect(variant);
        bad.sendRaw(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]));
        const st = await bad.status;
        assert.equal(st.code, 3);
        assert.match(st.details, /malformed/);
        assert.equal(h.engine.connectionCount(), 0);
      });

      it('a malformed node id gets INVALID_ARGUMENT naming the problem', async () => {
        await start();
        const bad = h.connect(variant);
        const node = { ...NODE(), id: 'not-a-node-id' };
        if (variant === 'sotw') bad.sotw({ node, typeUrl: CDS });
        else bad.delta({ node, typeUrl: CDS });
        const st = await bad.status;
        assert.equal(st.code, 3);
        assert.match(st.details, /not-a-node-id/);
      });

      it('an abrupt disconnect in the middle of a push leaves no state and does not disturb others', async () => {
        await start();
        const a = peer('a1');
        const b = peer('b1');
        await cds(a);
        await cds(b);
        push({ withC: true });
        a.c.close();
        assert.ok(names(await b.next()).includes(C));
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(h.engine.connectionCount(), 1);
        assert.equal(h.engine.pendingCount(), 0);
      });
    });
  }
}

describe('xDS: a client that never reads holds at most one pending response per type', function () {
  this.timeout(30_000);
  for (const variant of variants) {
    it(`${variant}: 1,000 pushes, pending stays ≤ 1 per type, other clients get the latest`, async () => {
      const h = await startHarness('memory', meshOf(fixtureYaml()), { sendTimeoutMs: 20 });
      try {
        const stuck = new Peer(h.connect(variant), variant, NODE('stuck'));
        stuck.sub(EDS, [A]);
        stuck.c.pause();
        await stuck.next(); // the first response is written; its transport never takes it
        const live = new Peer(h.connect(variant), variant, NODE('live'));
        live.sub(EDS, [A]);
        await live.recvAck();
        let maxPending = 0;
        for (let i = 0; i < 1000; i++) {
          h.engine.push(meshOf(fixtureYaml({ aEndpoint: 2 + (i % 200) })));
          maxPending = Math.max(maxPending, h.engine.pendingCount());
          if (i % 100 === 0) await new Promise((r) => setImmediate(r));
        }
        // Two streams with one type each: at most one pending response each, however many pushes.
        assert.ok(maxPending <= 2, `pending responses peaked at ${maxPending}`);
        assert.equal(stuck.c.received.length, 1);
        await new Promise((r) => setTimeout(r, 50));
        assert.ok(live.c.received.length > 1);
      } finally {
        await h.stop();
      }
    });
  }
});
