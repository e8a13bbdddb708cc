/**
 * Amplifiers a client controls (issue 12, item 6): node id and metadata sizes, NACK text in logs
 * and state, and the `pilot_xds{version}` label values.
 */
import { strict as assert } from 'node:assert';
import { CDS } from '../../proto/typeurls.js';
import { MAX_NODE_ID_LENGTH, MAX_NODE_METADATA_BYTES } from '../../model/proxy.js';
import { SnapshotCache } from '../cache/snapshot.js';
import { Router, startHttp } from '../http/router.js';
import { restRoutes } from '../http/rest.js';
import { V1Api } from '../http/v1/api.js';
import { PilotMetrics } from '../metrics.js';
import { Observer } from '../observe.js';
import { meshOf, startHarness, NODE, type Harness } from './conformance/harness.js';
import { fixtureYaml } from './conformance/fixture.js';
import { Peer } from './conformance/peer.js';
import { NackLog, NACK_TEXT_MAX, truncateText } from './nacklog.js';
import type { StreamState } from './state.js';

const longId = `sidecar~10.0.0.1~${'x'.repeat(100_000)}.default~default.svc.cluster.local`;

describe('server/xds amplifiers', function () {
  this.timeout(30_000);
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  for (const variant of ['sotw', 'delta'] as const) {
    it(`${variant}: a 100 KB node id or 1 MB of metadata is refused with INVALID_ARGUMENT naming the limit, without echoing it`, async () => {
      h = await startHarness('memory', meshOf(fixtureYaml()));
      const rejected: string[] = [];
      const a = h.connect(variant);
      const send = (c: typeof a, node: ReturnType<typeof NODE>): void => {
        if (variant === 'sotw') c.sotw({ node, typeUrl: CDS });
        else c.delta({ node, typeUrl: CDS });
      };
      send(a, { ...NODE(), id: longId });
      const st = await a.status;
      assert.equal(st.code, 3);
      assert.match(st.details, new RegExp(`${longId.length} characters; the limit is ${MAX_NODE_ID_LENGTH}`));
      assert.ok(st.details.length < 300, `message length ${st.details.length}`);
      rejected.push(st.details);
      const b = h.connect(variant);
      send(b, { ...NODE(), metadata: { NAMESPACE: 'default', ANNOTATIONS: { big: 'y'.repeat(1024 * 1024) } } });
      const st2 = await b.status;
      assert.equal(st2.code, 3);
      assert.match(st2.details, new RegExp(`the limit is ${MAX_NODE_METADATA_BYTES} bytes`));
      assert.ok(st2.details.length < 400);
      // A real-sized node is still served.
      const ok = new Peer(h.connect(variant), variant, {
        ...NODE('real'),
        metadata: { NAMESPACE: 'default', ANNOTATIONS: { a: 'z'.repeat(200 * 1024) } },
      });
      ok.sub(CDS, variant === 'delta' ? ['*'] : []);
      assert.ok((await ok.next()).resources.length > 0);
    });
  }

  it('REST-JSON and v1 refuse an oversized node id with a 400 naming the limit', async () => {
    const cache = new SnapshotCache(meshOf(fixtureYaml()));
    const router = new V1Api({ cache, ready: () => true }).register(new Router());
    restRoutes(router, { snapshot: (p) => cache.forProxy(p), mesh: () => cache.mesh });
    const server = await startHttp(router, '127.0.0.1', 0, (e) => {
      throw e;
    });
    try {
      const r = await fetch(`http://127.0.0.1:${server.port}/v3/discovery:clusters`, {
        method: 'POST',
        body: JSON.stringify({ node: { id: longId } }),
      });
      assert.equal(r.status, 400);
      const text = await r.text();
      assert.match(text, new RegExp(`the limit is ${MAX_NODE_ID_LENGTH}`));
      assert.ok(text.length < 500);
      const v1Id = `sidecar~10.0.0.1~${'v'.repeat(5000)}.default~default.svc.cluster.local`;
      const v = await fetch(`http://127.0.0.1:${server.port}/v1/clusters/c/${v1Id}`);
      assert.equal(v.status, 400);
      assert.match(await v.text(), new RegExp(`the limit is ${MAX_NODE_ID_LENGTH}`));
    } finally {
      await server.close();
    }
  });

  it('2,000 NACKs of 10 KB: one line per proxy and type per 10 s, text cut to 1 KiB, suppressed ones counted', () => {
    let t = 0;
    const lines: { fields: Record<string, unknown>; msg: string }[] = [];
    const log = new NackLog(
      (fields, msg) => lines.push({ fields, msg }),
      () => t,
    );
    const text = 'e'.repeat(10_000);
    for (let i = 0; i < 2000; i++) {
      t = i * 2;
      log.nack({ proxy: 'p1', type: 'cds', nonce: String(i), version: 'v', message: text });
    }
    assert.equal(lines.length, 1, 'one line in 4 s');
    const bytes = lines.reduce((n, l) => n + JSON.stringify(l).length, 0);
    assert.ok(bytes < 1300, `log bytes ${bytes}`);
    assert.match(String(lines[0]!.fields['error']), /… \(10000 bytes\)$/);
    assert.ok(!lines[0]!.msg.includes('eeee'), 'the text is not repeated in the message');
    t = 10_000;
    log.nack({ proxy: 'p1', type: 'cds', nonce: 'x', version: 'v', message: 'short' });
    assert.equal(lines.length, 2);
    assert.equal(lines[1]!.fields['suppressed'], 1999);
    log.nack({ proxy: 'p1', type: 'eds', nonce: 'y', version: 'v', message: 'other type' });
    assert.equal(lines.length, 3, 'rate-limited per proxy and type');
    log.nack({ proxy: 'p1', type: 'eds', nonce: 'z', version: 'v', message: 'again' });
    log.forget('p1');
    assert.equal(lines.length, 4, 'suppressed ones are reported when the proxy goes');
    assert.equal(log.size(), 0);
    assert.equal(truncateText('ü'.repeat(1000), NACK_TEXT_MAX).startsWith('ü'.repeat(512) + '…'), true, 'cut on a character boundary');
  });

  it('NACKs from thousands of fresh identities stay within the log budget, and what was left out is summed up', () => {
    let t = 0;
    const lines: { fields: Record<string, unknown>; msg: string }[] = [];
    const log = new NackLog(
      (fields, msg) => lines.push({ fields, msg }),
      () => t,
      10_000,
      100,
    );
    for (let i = 0; i < 3000; i++) {
      t = i;
      log.nack({
        proxy: `sidecar~10.0.0.1~fresh-${i}.ns~ns.svc.cluster.local`,
        type: 'cds',
        nonce: '1',
        version: 'v',
        message: 'bad cluster',
      });
    }
    assert.equal(lines.length, 100, 'no more than the budget in one interval, however many proxies');
    t = 10_000;
    log.nack({ proxy: 'sidecar~10.0.0.2~later.ns~ns.svc.cluster.local', type: 'lds', nonce: '1', version: 'v', message: 'bad listener' });
    assert.equal(lines.length, 102);
    assert.equal(lines[100]!.fields['suppressed'], 2900);
    assert.match(lines[100]!.msg, /2900 NACKs not logged/);
    assert.match(lines[101]!.msg, /lds NACK from sidecar~10\.0\.0\.2/);
  });

  it('the stream keeps the NACK text cut to 1 KiB for syncz and proxy-status', async () => {
    h = await startHarness('memory', meshOf(fixtureYaml()));
    const p = new Peer(h.connect('sotw'), 'sotw', NODE());
    p.sub(CDS, []);
    p.nack(await p.next(), 'n'.repeat(10_000));
    assert.ok(await p.c.none());
    const msg = h.engine.streams()[0]!.types.get(CDS)!.nack!.message;
    assert.ok(msg.length < NACK_TEXT_MAX + 40 && msg.endsWith('(10000 bytes)'), msg.slice(-40));
  });

  it('pilot_xds{version}: bounded label values, bad shapes as "other", a series goes when its count is zero', async () => {
    const obs = new Observer(new PilotMetrics({ processMetrics: false }));
    const stream = (i: number, version: string): StreamState => ({
      id: `s${i}`,
      proxy: { id: `p${i}` } as StreamState['proxy'],
      node: { id: `p${i}`, cluster: '', metadata: { ISTIO_VERSION: version }, userAgentName: '', clientFeatures: [], locality: null },
      kind: 'sotw',
      connectedAt: 0,
      peer: '',
      types: new Map(),
      nonceSeq: 0,
    });
    const streams = Array.from({ length: 200 }, (_, i) => stream(i, `1.${i}.0`));
    streams.push(stream(1000, 'x'.repeat(5000)), stream(1001, 'bad version\n{}'));
    for (const s of streams) obs.events.connected!(s);
    const series = async (): Promise<string[]> => (await obs.metrics.render()).text.split('\n').filter((l) => l.startsWith('pilot_xds{'));
    const lines = await series();
    assert.ok(lines.length <= 17, `series: ${lines.length}`);
    assert.ok(lines.some((l) => l.startsWith('pilot_xds{version="other"}')));
    assert.ok(lines.some((l) => l.startsWith('pilot_xds{version="1.0.0"} 1')));
    for (const s of streams) obs.events.disconnected!(s);
    assert.deepEqual(await series(), [], 'every series removed once its proxies are gone');
  });
});
