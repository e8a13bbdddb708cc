/**
 * End to end, issue #7: the real tspilot process serves Bookinfo (subsets, a weighted and a
 * header-matched VirtualService) and is polled over its v1 REST API the way nginmesh's agent
 * polls Pilot. The answers must have the shapes of real Pilot v1 answers, and once converted by a
 * re-implementation of the agent's rules (upstream per cluster, split_clients per weighted route)
 * must route as the VirtualService says; the poller must show up in /debug/syncz.
 */
import { reviewsVs } from './fixtures/bookinfo-vs.js';
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { configFolder, REPO_ROOT, startTspilot, type Tspilot } from './tspilot.js';
import { hcmOf, poll, resolve, routingTable, splitClients, type Get, type V1Answers } from './nginmesh/agent.js';
import { CLUSTERS, LISTENERS, REGISTRATION, ROUTE_CONFIG, mismatches } from './nginmesh/shapes.js';
import { proxyStatusTable, type SyncEntry } from '../server/cli/status.js';

const REFERENCE = process.env['NGINMESH_REFERENCE'] ?? path.join(REPO_ROOT, '..', 'shared', 'reference', 'nginmesh');
const NODE = 'sidecar~10.244.0.21~productpage-v1-7d9c8b6f5-x21.default~default.svc.cluster.local';
const REVIEWS = (subset: string): string => `outbound|9080|${subset}|reviews.default.svc.cluster.local`;

function weightedVs(w1: number, w3: number): string {
  return `${reviewsVs(w1, w3)}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - fault: {delay: {fixedDelay: 2s, percentage: {value: 10}}}
    route: [{destination: {host: ratings, subset: v1}}]
`;
}

describe("e2e nginmesh: the v1 REST API polled like nginmesh's agent", function () {
  this.timeout(120_000);
  let folder: Awaited<ReturnType<typeof configFolder>>;
  let pilot: Tspilot;
  const get: Get = async (p) => {
    const res = await fetch(`http://127.0.0.1:${pilot.httpPort}${p}`);
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* error text */
    }
    return { status: res.status, body, headers: res.headers };
  };

  before(async () => {
    folder = await configFolder();
    for (const f of ['services.yaml', 'pods.yaml', 'destination-rules.yaml']) {
      await folder.write(f, await readFile(path.join(REPO_ROOT, 'examples', 'bookinfo', f), 'utf8'));
    }
    await folder.write('virtual-services.yaml', weightedVs(50, 50));
    pilot = await startTspilot(folder.dir);
  });

  after(async () => {
    await pilot?.close();
    await folder?.cleanup();
  });

  it('answers every request of a poll cycle in the shapes of Pilot v1 (field names, types, tcp://ip:port)', async () => {
    const a = await poll(get, 'productpage', NODE);
    assert.deepEqual(mismatches(a.listeners, LISTENERS), []);
    for (const [name, rc] of Object.entries(a.routes)) assert.deepEqual(mismatches(rc, ROUTE_CONFIG, `routes[${name}]`), []);
    assert.deepEqual(mismatches(a.clusters, CLUSTERS), []);
    for (const [name, r] of Object.entries(a.registrations)) assert.deepEqual(mismatches(r, REGISTRATION, `registration[${name}]`), []);
    const http = (a.listeners.listeners as { name: string; bind_to_port: boolean }[]).filter((l) => hcmOf(l) && l.bind_to_port === false);
    assert.ok(http.length >= 1, 'at least one outbound HTTP listener with bind_to_port false');
    assert.ok(Object.keys(a.routes).includes('9080'), `route config 9080 polled: ${Object.keys(a.routes).join(', ')}`);
    const mixer = JSON.stringify(a.listeners).includes('"mixer"');
    assert.equal(mixer, false, 'no mixer filter');
    for (const c of a.clusters.clusters as { type: string; service_name?: string; name: string }[]) {
      if (c.type === 'sds') assert.ok(c.service_name, `sds cluster ${c.name} names its service`);
    }
    assert.deepEqual(
      (a.registrations[REVIEWS('v1')] as { hosts: { ip_address: string; port: number }[] }).hosts.map((h) => `${h.ip_address}:${h.port}`),
      ['10.244.0.23:9080'],
    );
  });

  it('weights of every weighted route sum to 100', async () => {
    const a = await poll(get, 'productpage', NODE);
    let weighted = 0;
    for (const rc of Object.values(a.routes)) {
      for (const vh of rc.virtual_hosts) {
        for (const r of vh.routes) {
          if (!r.weighted_clusters) continue;
          weighted++;
          assert.equal(
            r.weighted_clusters.clusters.reduce((s: number, c: { weight: number }) => s + c.weight, 0),
            100,
            JSON.stringify(r),
          );
        }
      }
    }
    assert.ok(weighted >= 1, 'the reviews split is a weighted route');
  });

  it('uses only shapes the real Istio 0.3 / 0.6 / 0.7.1 Pilot answers have (the shapes above checked against them)', async function () {
    if (!existsSync(REFERENCE)) this.skip();
    for (const dir of (await readdir(REFERENCE)).filter((d) => d.startsWith('pilot-v1-')).sort()) {
      const ref = JSON.parse(await readFile(path.join(REFERENCE, dir, 'listeners.json'), 'utf8'));
      assert.deepEqual(mismatches(ref, LISTENERS, dir), [], `${dir}/listeners.json`);
      for (const l of ref.listeners) {
        const rc = hcmOf(l)?.route_config;
        if (rc) assert.deepEqual(mismatches(rc, ROUTE_CONFIG, `${dir}/${l.name}`), []);
      }
    }
  });

  it('routes reviews as the VirtualService says once converted by the agent: jason → v2, everyone else split_clients 50/50 v1/v3', async () => {
    const t = routingTable(await poll(get, 'productpage', NODE));
    assert.deepEqual(t.upstreams[REVIEWS('v1')], ['10.244.0.23:9080']);
    assert.deepEqual(t.upstreams[REVIEWS('v2')], ['10.244.0.24:9080']);
    assert.deepEqual(t.upstreams[REVIEWS('v3')], ['10.244.0.25:9080']);
    assert.deepEqual(t.upstreams[REVIEWS('')], ['10.244.0.23:9080', '10.244.0.24:9080', '10.244.0.25:9080']);
    assert.deepEqual(
      t.http.map((b) => `${b.listener} ${b.ip}:${b.port} -> ${b.listen}`),
      ['0.0.0.0_9080 0.0.0.0:9080 -> 127.0.0.1:20000', '10.244.0.21_9080 10.244.0.21:9080 -> 127.0.0.1:20001'],
    );

    const jason = resolve(t, { ip: '10.96.10.13', port: 9080, host: 'reviews:9080', path: '/reviews/0', headers: { 'end-user': 'jason' } });
    assert.deepEqual(jason?.target, { upstream: REVIEWS('v2') });
    assert.deepEqual(jason?.servers, { [REVIEWS('v2')]: ['10.244.0.24:9080'] });

    for (const host of ['reviews', 'reviews.default.svc.cluster.local:9080', '10.96.10.13']) {
      const other = resolve(t, { ip: '10.96.10.13', port: 9080, host, path: '/reviews/0', headers: { 'end-user': 'someone' } });
      assert.deepEqual(
        other?.target,
        {
          split: [
            { percent: 50, upstream: REVIEWS('v1') },
            { percent: 50, upstream: REVIEWS('v3') },
          ],
        },
        host,
      );
    }
    const split = resolve(t, { ip: '10.96.10.13', port: 9080, host: 'reviews', path: '/' });
    assert.ok(split && 'split' in split.target);
    assert.equal(
      splitClients('reviews_split', split.target.split),
      `split_clients "$request_id" $reviews_split {\n    50% ${REVIEWS('v1')};\n    * ${REVIEWS('v3')};\n}`,
    );

    const details = resolve(t, { ip: '10.96.10.12', port: 9080, host: 'details.default:9080', path: '/details/0' });
    assert.deepEqual(details?.servers, { 'outbound|9080||details.default.svc.cluster.local': ['10.244.0.22:9080'] });
  });

  it('serves the inbound side as Pilot v1 did: a podIP:port listener whose route reaches the app on 127.0.0.1', async () => {
    const a = await poll(get, 'productpage', NODE);
    const inbound = (a.listeners.listeners as { name: string; address: string }[]).find((l) => l.name === '10.244.0.21_9080');
    assert.equal(inbound?.address, 'tcp://10.244.0.21:9080');
    assert.ok(a.routes['inbound|9080||'], `inbound route config polled: ${Object.keys(a.routes).join(', ')}`);
    const t = routingTable(a);
    assert.deepEqual(t.upstreams['inbound|9080||'], ['127.0.0.1:9080']);
    const r = resolve(t, { ip: '10.244.0.21', port: 9080, host: 'productpage:9080', path: '/productpage' });
    assert.deepEqual(r?.servers, { 'inbound|9080||': ['127.0.0.1:9080'] });
    // Each pod gets its inbound listeners on its own IP.
    for (const [pod, ip] of [
      ['reviews-v1-7d9c8b6f5-x23', '10.244.0.23'],
      ['reviews-v2-7d9c8b6f5-x24', '10.244.0.24'],
    ]) {
      const r2 = await get(`/v1/listeners/reviews/${encodeURIComponent(`sidecar~${ip}~${pod}.default~default.svc.cluster.local`)}`);
      const names = (r2.body.listeners as { name: string }[]).map((l) => l.name);
      assert.ok(names.includes(`${ip}_9080`), `${pod}: ${names.join(', ')}`);
    }
  });

  it('leaves out the ratings route (per-route fault injection has no v1 form) and names it in x-tspilot-omitted', async () => {
    const r = await get(`/v1/routes/9080/productpage/${encodeURIComponent(NODE)}`);
    assert.equal(r.status, 200);
    const ratings = r.body.virtual_hosts.find((v: { name: string }) => v.name === 'ratings.default.svc.cluster.local:9080');
    assert.deepEqual(ratings.routes, []);
    assert.match(
      r.headers.get('x-tspilot-omitted') ?? '',
      /route 9080\/ratings\.default\.svc\.cluster\.local:9080\/[^:]+: fault injection/,
    );
    assert.ok(Number(r.headers.get('x-tspilot-omitted-count')) >= 1);
    const dbg = await pilot.getJson<{ omitted: { routes: Record<string, { level: string; where: string }[]> } }>(
      `/debug/v1z?proxyID=${encodeURIComponent(NODE)}`,
    );
    assert.equal(dbg.status, 200);
    assert.ok(
      dbg.body.omitted.routes['9080']!.some((o) => o.level === 'route' && o.where.startsWith('9080/ratings')),
      JSON.stringify(dbg.body.omitted.routes),
    );
  });

  it('lists the poller in /debug/syncz with transport v1-rest, the versions served and the last poll time', async () => {
    const t0 = Date.now();
    const lds = await get(`/v1/listeners/productpage/${encodeURIComponent(NODE)}`);
    const { body } =
      await pilot.getJson<
        { proxy: string; transport: string; listener_sent: string; lastPoll: string; service_cluster: string; route_sent: string }[]
      >('/debug/syncz');
    const mine = body.filter((s) => s.proxy === NODE);
    assert.equal(mine.length, 1, JSON.stringify(body.map((s) => s.proxy)));
    assert.equal(mine[0]!.transport, 'v1-rest');
    assert.equal(mine[0]!.service_cluster, 'productpage');
    assert.equal(mine[0]!.listener_sent, lds.headers.get('x-tspilot-version'));
    assert.ok(mine[0]!.route_sent);
    assert.ok(Date.parse(mine[0]!.lastPoll) >= t0 - 1000, `lastPoll ${mine[0]!.lastPoll}`);
    // After a full poll cycle, proxy-status shows every type SYNCED over v1-rest.
    await poll(get, 'productpage', NODE);
    const all = (await pilot.getJson<SyncEntry[]>('/debug/syncz')).body.filter((s) => s.proxy === NODE);
    const row = proxyStatusTable(all)
      .split('\n')
      .find((l) => l.includes('productpage-v1-7d9c8b6f5-x21.default'));
    assert.match(row ?? '', /SYNCED\s+SYNCED\s+SYNCED\s+SYNCED\s+NOT SENT\s+\S+\s+\S+\s+v1-rest$/, proxyStatusTable(all));
  });

  it('follows an edit of the VirtualService on the next poll (80/20), with a new route version in syncz', async () => {
    const before = (await pilot.getJson<{ proxy: string; route_sent: string; listener_sent: string }[]>('/debug/syncz')).body.find(
      (s) => s.proxy === NODE,
    )!;
    await folder.write('virtual-services.yaml', weightedVs(80, 20));
    let a: V1Answers | undefined;
    let split: unknown;
    for (let i = 0; i < 100; i++) {
      a = await poll(get, 'productpage', NODE);
      split = resolve(routingTable(a), { ip: '10.96.10.13', port: 9080, host: 'reviews', path: '/' })?.target;
      if (JSON.stringify(split).includes('"percent":80')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(split, {
      split: [
        { percent: 80, upstream: REVIEWS('v1') },
        { percent: 20, upstream: REVIEWS('v3') },
      ],
    });
    const after = (await pilot.getJson<{ proxy: string; route_sent: string; listener_sent: string }[]>('/debug/syncz')).body.find(
      (s) => s.proxy === NODE,
    )!;
    assert.notEqual(after.route_sent, before.route_sent);
    assert.equal(after.listener_sent, before.listener_sent, 'listeners did not change');
  });

  it('answers 400 for a malformed node and 404 for an unknown route config or service, with a message', async () => {
    const bad = await get('/v1/listeners/productpage/not-a-node');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /invalid node: node id "not-a-node" must have 4 parts/);
    const noRc = await get(`/v1/routes/8443/productpage/${encodeURIComponent(NODE)}`);
    assert.equal(noRc.status, 404);
    assert.match(noRc.body.error, /no route config "8443"/);
    const noSvc = await get(`/v1/registration/${encodeURIComponent('outbound|9080||nope.default.svc.cluster.local')}`);
    assert.equal(noSvc.status, 404);
    assert.match(noSvc.body.error, /no service "outbound\|9080\|\|nope.default.svc.cluster.local"/);
  });
});
