/**
 * @module translators/locality.test
 * Locality load balancing as istiod applies it (applyLocalityWeights, applyLocalityFailover,
 * applyFailoverPriorities): what a proxy in a given locality receives — weights per locality,
 * failover priorities, label-based priorities — and how the proxy's locality is found (topology
 * labels, istio-locality, the xDS node's locality).
 */
import assert from 'node:assert/strict';
import type { LocalityLbSetting } from '../model/istio.js';
import { applyLocalityLb, localityMatch, type LocalityGroup } from './locality.js';
import { parseLocality, proxyLocality } from '../model/locality.js';
import { policyFields } from './policy.js';

/** Groups from `locality: [[address, labels], …]`; every endpoint weight 1. */
function mk(spec: Record<string, [string, Record<string, string>][]>): LocalityGroup<string>[] {
  return Object.keys(spec)
    .sort()
    .map((loc) => {
      const l = parseLocality(loc);
      const topo = {
        ...(l.region ? { 'topology.kubernetes.io/region': l.region } : {}),
        ...(l.zone ? { 'topology.kubernetes.io/zone': l.zone } : {}),
      };
      const members = spec[loc]!.map(([ep, labels]) => ({ ep, labels: { ...labels, ...topo }, weight: 1 }));
      return { locality: l, members, weight: members.length, priority: 0 };
    });
}
/** `locality p<priority> w<weight> [addresses]` per group, for readable assertions. */
const show = (gs: readonly LocalityGroup<string>[]): string[] =>
  gs.map(
    (g) =>
      `${[g.locality.region, g.locality.zone, g.locality.subzone].filter(Boolean).join('/')} p${g.priority} w${g.weight} [${g.members.map((m) => m.ep).join(',')}]`,
  );

const MESH = mk({
  'us-east/a/s1': [
    ['a1', { v: '1' }],
    ['a2', { v: '2' }],
  ],
  'us-east/a/s2': [['a3', { v: '1' }]],
  'us-east/b': [['b1', { v: '1' }]],
  'us-west/c': [
    ['c1', { v: '1' }],
    ['c2', { v: '2' }],
  ],
  'us-west/e': [['e1', { v: '2' }]],
  'eu-west/d': [['d1', { v: '1' }]],
});
const EAST = { 'topology.kubernetes.io/region': 'us-east', 'topology.kubernetes.io/zone': 'a', 'topology.istio.io/subzone': 's1', v: '1' };
const apply = (s: LocalityLbSetting | undefined, od: boolean, labels: Record<string, string>): string[] =>
  show(applyLocalityLb(MESH, s, od, labels));

describe('translators/locality', () => {
  it('parses localities and matches rules like istiod (a slash-less registry locality is a zone)', () => {
    assert.deepEqual(parseLocality('us-east/a/s1/x'), { region: 'us-east', zone: 'a', subzone: 's1/x' });
    assert.deepEqual(parseLocality('us-east1-b'), { region: '', zone: 'us-east1-b', subzone: '' });
    const l = parseLocality('us-east/a/s1');
    assert.ok(localityMatch(l, 'us-east') && localityMatch(l, 'us-east/*') && localityMatch(l, 'us-east/a/*') && localityMatch(l, '*'));
    assert.ok(!localityMatch(l, 'us-east/b') && !localityMatch(l, 'us-west/*') && !localityMatch(l, 'us-east/a/s2'));
  });

  it('finds the proxy locality in istio-locality, else the topology labels (the xDS node locality: model/resolve-proxy.test.ts)', () => {
    assert.deepEqual(proxyLocality({ 'istio-locality': 'us-west.c.s9', 'topology.kubernetes.io/region': 'x' }), {
      region: 'us-west',
      zone: 'c',
      subzone: 's9',
    });
    assert.deepEqual(proxyLocality(EAST), { region: 'us-east', zone: 'a', subzone: 's1' });
  });

  it('distribute: the matching from sets weights, a wildcard shares its weight by endpoints (rounded up), the rest gets nothing', () => {
    const s: LocalityLbSetting = {
      distribute: [
        { from: 'eu-west/*', to: { 'eu-west/*': 100 } },
        { from: 'us-east/a/*', to: { 'us-east/a/*': 70, 'us-east/b': 20, 'us-west/*': 10 } },
      ],
    };
    assert.deepEqual(apply(s, false, EAST), [
      'us-east/a/s1 p0 w47 [a1,a2]',
      'us-east/a/s2 p0 w24 [a3]',
      'us-east/b p0 w20 [b1]',
      'us-west/c p0 w7 [c1,c2]',
      'us-west/e p0 w4 [e1]',
    ]);
    assert.deepEqual(apply(s, false, { 'istio-locality': 'eu-west.d' }), ['eu-west/d p0 w100 [d1]']);
    assert.deepEqual(
      apply(s, true, { 'istio-locality': 'us-west.c' }),
      show(MESH),
      'no from matches: the plain assignment, and distribute excludes failover',
    );
  });

  it('failover: priorities by subzone, zone, region, the failover region, then the rest; only with outlier detection', () => {
    const s = { failover: [{ from: 'us-east', to: 'eu-west' }] };
    assert.deepEqual(apply(s, true, EAST), [
      'eu-west/d p3 w1 [d1]',
      'us-east/a/s1 p0 w2 [a1,a2]',
      'us-east/a/s2 p1 w1 [a3]',
      'us-east/b p2 w1 [b1]',
      'us-west/c p4 w2 [c1,c2]',
      'us-west/e p4 w1 [e1]',
    ]);
    assert.deepEqual(apply(s, false, EAST), show(MESH), 'without outlier detection Envoy would never fail over: nothing applied');
    assert.deepEqual(
      apply(undefined, true, { 'istio-locality': 'us-west.c' }),
      [
        'eu-west/d p2 w1 [d1]',
        'us-east/a/s1 p2 w2 [a1,a2]',
        'us-east/a/s2 p2 w1 [a3]',
        'us-east/b p2 w1 [b1]',
        'us-west/c p0 w2 [c1,c2]',
        'us-west/e p1 w1 [e1]',
      ],
      'the mesh default: failover by proximity, contiguous priorities',
    );
    assert.deepEqual(apply({ enabled: false, failover: s.failover }, true, EAST), show(MESH));
  });

  it('failoverPriority: splits localities by the labels shared with the proxy, in order; with failover combined as p·5 + rank', () => {
    assert.deepEqual(apply({ failoverPriority: ['topology.kubernetes.io/region', 'v'] }, true, { 'istio-locality': 'us-west.c', v: '2' }), [
      'eu-west/d p2 w1 [d1]',
      'us-east/a/s1 p2 w2 [a1,a2]',
      'us-east/a/s2 p2 w1 [a3]',
      'us-east/b p2 w1 [b1]',
      'us-west/c p0 w1 [c2]',
      'us-west/c p1 w1 [c1]',
      'us-west/e p0 w1 [e1]',
    ]);
    assert.deepEqual(
      apply({ failoverPriority: ['v=2'] }, true, EAST),
      [
        'eu-west/d p1 w1 [d1]',
        'us-east/a/s1 p0 w1 [a2]',
        'us-east/a/s1 p1 w1 [a1]',
        'us-east/a/s2 p1 w1 [a3]',
        'us-east/b p1 w1 [b1]',
        'us-west/c p0 w1 [c2]',
        'us-west/c p1 w1 [c1]',
        'us-west/e p0 w1 [e1]',
      ],
      'label=value compares with the value, not the proxy',
    );
    assert.deepEqual(apply({ failoverPriority: ['v'], failover: [{ from: 'us-east', to: 'us-west' }] }, true, EAST), [
      'eu-west/d p4 w1 [d1]',
      'us-east/a/s1 p0 w1 [a1]',
      'us-east/a/s1 p5 w1 [a2]',
      'us-east/a/s2 p1 w1 [a3]',
      'us-east/b p2 w1 [b1]',
      'us-west/c p3 w1 [c1]',
      'us-west/c p6 w1 [c2]',
      'us-west/e p6 w1 [e1]',
    ]);
    assert.deepEqual(apply({ failoverPriority: ['v'] }, true, {}), show(MESH), 'a proxy without labels: nothing to compare');
  });

  it('marks the cluster locality-weighted (Envoy ignores EDS locality weights otherwise) when istiod does', () => {
    const lbc = (loc: LocalityLbSetting, od: boolean): unknown =>
      policyFields(
        { loadBalancer: { localityLbSetting: loc }, ...(od ? { outlierDetection: { consecutive5xxErrors: 5 } } : {}) },
        '10s',
        false,
      ).common_lb_config;
    const dist = { distribute: [{ from: '*', to: { 'us-east': 100 } }] };
    const fail = { failover: [{ from: 'us-east', to: 'eu-west' }] };
    assert.deepEqual(lbc(dist, false), { locality_weighted_lb_config: {} });
    assert.deepEqual(lbc(fail, true), { locality_weighted_lb_config: {} });
    assert.deepEqual(lbc({ failoverPriority: ['version'] }, true), { locality_weighted_lb_config: {} });
    assert.equal(lbc(fail, false), undefined, 'failover without outlier detection is inert');
    assert.equal(lbc({}, true), undefined, 'the default proximity failover needs no locality weights');
    assert.equal(lbc({ ...dist, enabled: false }, true), undefined);
  });
});
