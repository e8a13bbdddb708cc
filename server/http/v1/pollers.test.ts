/**
 * Unit tests for the v1 poller registry (what /debug/syncz shows for REST pollers) and the
 * omitted-list response header.
 */
import { strict as assert } from 'node:assert';
import { parseNodeId, type Proxy } from '../../../model/proxy.js';
import { PollerRegistry, pollerSyncz } from './pollers.js';
import { OMITTED_HEADER_MAX, omittedHeaders } from './api.js';

const proxy = (ip: string): Proxy => {
  const r = parseNodeId(`sidecar~${ip}~pp-${ip}.default~default.svc.cluster.local`, {});
  if (!r.ok) throw new Error(r.reason);
  return r.proxy;
};

describe('v1 poller registry', () => {
  it('records per node the last poll and version of each resource, shaped like an ADS syncz entry', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const reg = new PollerRegistry(() => now);
    const p = proxy('10.0.0.1');
    reg.record(p, 'productpage', '', 'lds', 'L1');
    now += 1000;
    reg.record(p, 'productpage', '', 'rds:9080', 'R1');
    reg.record(p, 'productpage', '', 'cds', 'C1');
    now += 5000;
    reg.record(p, 'productpage', '', 'lds', 'L2');
    const s = pollerSyncz(reg.list()[0]!) as Record<string, unknown>;
    assert.equal(s['proxy'], p.id);
    assert.equal(s['transport'], 'v1-rest');
    assert.equal(s['listener_sent'], 'L2');
    assert.equal(s['route_sent'], 'R1');
    assert.equal(s['cluster_sent'], 'C1');
    assert.equal(s['lastPoll'], '2026-01-01T00:00:06.000Z');
    assert.deepEqual((s['types'] as Record<string, { polls?: number }>)['lds']!.polls, 2);
  });

  it('forgets the longest-idle poller past its limit, whatever node ids clients make up', () => {
    let now = 0;
    const reg = new PollerRegistry(() => now, 10 * 60_000, 3);
    reg.record(proxy('10.0.0.1'), 'pp', '', 'cds', 'C1');
    for (let i = 2; i <= 20; i++) {
      now++;
      reg.record(proxy(`10.0.0.${i}`), 'pp', '', 'cds', 'C1');
      reg.record(proxy('10.0.0.1'), 'pp', '', 'cds', 'C1');
    }
    assert.equal(reg.list().length, 3);
    assert.ok(reg.get(proxy('10.0.0.1').id), 'the one still polling is kept');
  });

  it("shows EDS from the registration answers for the services the proxy's clusters name, only when all were served", () => {
    const reg = new PollerRegistry(() => 1000);
    reg.record(proxy('10.0.0.1'), 'pp', '', 'cds', 'C1');
    reg.recordRegistration('a', 'A1');
    const p = reg.list()[0]!;
    const partial = pollerSyncz(p, [reg.registration('a'), reg.registration('b')]) as Record<string, unknown>;
    assert.equal(partial['endpoint_sent'], '');
    assert.equal((partial['types'] as Record<string, unknown>)['eds'], undefined);
    reg.recordRegistration('b', 'B1');
    const full = pollerSyncz(p, [reg.registration('a'), reg.registration('b')]) as Record<string, unknown>;
    assert.equal(full['endpoint_sent'], 'A1.B1');
    assert.deepEqual((full['types'] as Record<string, unknown>)['eds'], {
      sent: 'A1.B1',
      acked: 'A1.B1',
      lastPoll: '1970-01-01T00:00:01.000Z',
      services: 2,
      shared: true,
    });
  });

  it('forgets pollers idle longer than the limit', () => {
    let now = 0;
    const reg = new PollerRegistry(() => now, 60_000);
    reg.record(proxy('10.0.0.1'), 'a', '', 'lds', 'x');
    now = 30_000;
    reg.record(proxy('10.0.0.2'), 'b', '', 'lds', 'x');
    now = 70_000;
    assert.deepEqual(
      reg.list().map((p) => p.proxy.ip),
      ['10.0.0.2'],
    );
  });
});

describe('v1 omitted header', () => {
  it('is absent when nothing was left out, and cut (pointing at the debug view) when long', () => {
    assert.deepEqual(omittedHeaders([], '/debug/v1z'), {});
    const many = Array.from({ length: 100 }, (_, i) => ({
      level: 'route' as const,
      where: `9080/vh/r${i}`,
      reason: 'fault injection: v1 has no per-route faults',
    }));
    const h = omittedHeaders(many, '/debug/v1z?proxyID=x');
    assert.equal(h['x-tspilot-omitted-count'], '100');
    assert.ok(h['x-tspilot-omitted']!.length <= OMITTED_HEADER_MAX + 80);
    assert.match(h['x-tspilot-omitted']!, /^route 9080\/vh\/r0: fault injection/);
    assert.match(h['x-tspilot-omitted']!, /more: see \/debug\/v1z\?proxyID=x$/);
  });

  it('lists whole resources before fields, so what changes routing is never cut off', () => {
    const fields = Array.from({ length: 50 }, (_, i) => ({
      level: 'field' as const,
      where: `9080/vh/r${i}.retry_policy`,
      reason: 'v1 cannot retry on unavailable',
    }));
    const h = omittedHeaders([...fields, { level: 'route', where: '9080/ratings/r', reason: 'fault injection' }], '/debug/v1z');
    assert.match(h['x-tspilot-omitted']!, /^route 9080\/ratings\/r: fault injection; field /);
  });
});
