/**
 * @module model/labels.test
 * The two selector meanings: same matching, opposite answers for an empty selector.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { selectorMatches, serviceSelects } from './labels.js';

const labelMap = fc.dictionary(fc.constantFrom('app', 'version', 'tier', 'istio'), fc.constantFrom('a', 'b', 'v1', ''), { maxKeys: 4 });

describe('model/labels', () => {
  it('matches a selector whose every label is on the workload, with the same value', () => {
    assert.equal(selectorMatches({ app: 'a' }, { app: 'a', version: 'v1' }), true);
    assert.equal(selectorMatches({ app: 'a', version: 'v2' }, { app: 'a', version: 'v1' }), false);
    assert.equal(selectorMatches({ app: '' }, {}), false, 'a label with an empty value is still required');
    assert.equal(serviceSelects({ app: 'a' }, { app: 'a', version: 'v1' }), true);
    assert.equal(serviceSelects({ app: 'b' }, { app: 'a' }), false);
  });

  it('treats an empty or absent selector as istiod does: policy → every workload, service → none', () => {
    for (const sel of [undefined, null, {}]) {
      assert.equal(selectorMatches(sel, { app: 'a' }), true);
      assert.equal(selectorMatches(sel, {}), true);
      assert.equal(serviceSelects(sel, { app: 'a' }), false);
    }
  });

  it('agrees with the subset definition on arbitrary labels (property)', () => {
    fc.assert(
      fc.property(labelMap, labelMap, (sel, labels) => {
        const subset = Object.entries(sel).every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v);
        assert.equal(selectorMatches(sel, labels), subset);
        assert.equal(serviceSelects(sel, labels), subset && Object.keys(sel).length > 0);
        assert.equal(selectorMatches(sel, { ...labels, ...sel }), true, 'a workload carrying the selector is selected');
      }),
    );
  });
});
