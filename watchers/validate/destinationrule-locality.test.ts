/**
 * @module watchers/validate/destinationrule-locality.test
 * DestinationRule localityLbSetting validation with istiod's rules: the documented shapes pass and
 * keep every field for the translator; each bad setting is rejected naming kind, namespace/name,
 * the field and the reason; failover without outlier detection is accepted (istiod only warns).
 */
import assert from 'node:assert/strict';
import type { DestinationRule } from '../../model/istio.js';
import { validateObject } from './index.js';

const dr = (localityLbSetting: unknown, extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'api', namespace: 'shop' },
  spec: { host: 'api', trafficPolicy: { ...extra, loadBalancer: { localityLbSetting } } },
});
const OD = { outlierDetection: { consecutive5xxErrors: 5 } };
const LB = 'spec.trafficPolicy.loadBalancer.localityLbSetting';

function accepted(o: unknown): DestinationRule {
  const v = validateObject(o, 'default', 'dr.yaml');
  assert.equal(v.status, 'ok', JSON.stringify(v));
  if (v.status !== 'ok') throw new Error('unreachable');
  return v.object as DestinationRule;
}
function rejection(o: unknown): { field: string; reason: string; text: string } {
  const v = validateObject(o, 'default', 'dr.yaml');
  assert.equal(v.status, 'rejected', JSON.stringify(v));
  if (v.status !== 'rejected') throw new Error('unreachable');
  const r = v.rejection;
  return { field: r.field, reason: r.reason, text: `${r.kind} ${r.namespace}/${r.name}: ${r.field}: ${r.reason}` };
}

describe('watchers/validate DestinationRule localityLbSetting', () => {
  it('accepts distribute, failover, failoverPriority and enabled, and keeps them', () => {
    const d = accepted(
      dr({
        distribute: [
          { from: 'us-east/a/*', to: { 'us-east/a/*': 70, 'us-east/b': 20, 'us-west/*': 10 } },
          { from: 'eu-west/*', to: { 'eu-west/*': 100 } },
        ],
      }),
    );
    assert.deepEqual(d.spec.trafficPolicy?.loadBalancer?.localityLbSetting, {
      distribute: [
        { from: 'us-east/a/*', to: { 'us-east/a/*': 70, 'us-east/b': 20, 'us-west/*': 10 } },
        { from: 'eu-west/*', to: { 'eu-west/*': 100 } },
      ],
    });
    const f = accepted(
      dr({ enabled: true, failover: [{ from: 'us-east', to: 'eu-west' }], failoverPriority: ['version', 'network=n1'] }, OD),
    );
    assert.deepEqual(f.spec.trafficPolicy?.loadBalancer?.localityLbSetting, {
      enabled: true,
      failover: [{ from: 'us-east', to: 'eu-west' }],
      failoverPriority: ['version', 'network=n1'],
    });
    assert.deepEqual(accepted(dr({ enabled: false })).spec.trafficPolicy?.loadBalancer?.localityLbSetting, { enabled: false });
    accepted(dr({ failoverPriority: ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone'] }, OD));
  });

  it('accepts failover without outlier detection, as istiod (a warning there; the setting is inert)', () => {
    accepted(dr({ failover: [{ from: 'us-east', to: 'eu-west' }] }));
  });

  it('rejects weights that do not add up to 100 or lie outside 1..100', () => {
    const r = rejection(dr({ distribute: [{ from: 'us-east/*', to: { 'us-east/a': 60, 'us-west': 30 } }] }));
    assert.equal(r.text, `DestinationRule shop/api: ${LB}.distribute[0].to: weights must add up to 100, got 90`);
    assert.equal(
      rejection(dr({ distribute: [{ from: '*', to: { 'us-east': 0, 'us-west': 100 } }] })).field,
      `${LB}.distribute[0].to["us-east"]`,
    );
    assert.equal(rejection(dr({ distribute: [{ from: '*', to: { 'us-east': 101 } }] })).field, `${LB}.distribute[0].to["us-east"]`);
  });

  it('rejects malformed and overlapping localities in from and to', () => {
    assert.match(
      rejection(dr({ distribute: [{ from: 'us-east', to: { 'us-east': 50, 'us-east/a': 50 } }] })).reason,
      /"us-east\/a" overlaps "us-east"/,
    );
    assert.match(rejection(dr({ distribute: [{ from: '*', to: { '*': 50, 'us-east/a': 50 } }] })).reason, /overlaps "\*"/);
    const from = rejection(
      dr({
        distribute: [
          { from: 'us-east/*', to: { 'us-east': 100 } },
          { from: 'us-east/b', to: { 'us-east': 100 } },
        ],
      }),
    );
    assert.equal(from.field, `${LB}.distribute[1].from`);
    assert.match(
      rejection(dr({ distribute: [{ from: '*/a', to: { 'us-east': 100 } }] })).reason,
      /wildcard '\*' may appear once, at the end/,
    );
    assert.match(rejection(dr({ distribute: [{ from: 'us-east//a', to: { 'us-east': 100 } }] })).reason, /no empty part/);
    assert.equal(rejection(dr({ distribute: [{ to: { 'us-east': 100 } }] })).field, `${LB}.distribute[0].from`);
  });

  it('rejects failover to the same region, to a zone or a wildcard, and together with distribute', () => {
    assert.equal(
      rejection(dr({ failover: [{ from: 'us-east', to: 'us-east' }] }, OD)).text,
      `DestinationRule shop/api: ${LB}.failover[0]: from and to must be different regions (both "us-east")`,
    );
    assert.equal(rejection(dr({ failover: [{ from: 'us-east', to: 'eu-west/a' }] }, OD)).field, `${LB}.failover[0].to`);
    assert.equal(rejection(dr({ failover: [{ from: 'us-*', to: 'eu-west' }] }, OD)).field, `${LB}.failover[0].from`);
    const both = rejection(dr({ distribute: [{ from: '*', to: { 'us-east': 100 } }], failover: [{ from: 'us-east', to: 'eu-west' }] }, OD));
    assert.equal(both.field, LB);
    assert.match(both.reason, /distribute or failover, not both/);
  });

  it('rejects a topology label in failoverPriority next to failover, and malformed entries', () => {
    assert.equal(
      rejection(dr({ failover: [{ from: 'us-east', to: 'eu-west' }], failoverPriority: ['version', 'topology.istio.io/subzone'] }, OD))
        .field,
      `${LB}.failoverPriority[1]`,
    );
    assert.equal(rejection(dr({ failoverPriority: ['=x'] }, OD)).field, `${LB}.failoverPriority[0]`);
    assert.equal(rejection(dr({ failoverPriority: [''] }, OD)).field, `${LB}.failoverPriority[0]`);
    assert.equal(rejection(dr({ failoverBy: ['x'] })).field, `${LB}.failoverBy`);
  });
});
