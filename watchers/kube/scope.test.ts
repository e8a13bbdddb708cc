/**
 * discoverySelectors as istiod applies them: a namespace is in scope when any selector matches its
 * labels (matchLabels and every matchExpressions operator ANDed), no selectors = all namespaces;
 * a malformed selector in the mesh config is an error naming the field and scopes nothing out.
 */
import assert from 'node:assert/strict';
import { discoverySelectorsOf, namespaceSelected, selectorMatches, type LabelSelector } from './scope.js';

const sel = (s: Partial<LabelSelector>): LabelSelector => ({ matchLabels: {}, matchExpressions: [], ...s });

describe('watchers/kube/scope (discoverySelectors)', () => {
  it('matchLabels and each operator', () => {
    const labels = { env: 'prod', team: 'a' };
    assert.equal(selectorMatches(sel({ matchLabels: { env: 'prod' } }), labels), true);
    assert.equal(selectorMatches(sel({ matchLabels: { env: 'dev' } }), labels), false);
    assert.equal(selectorMatches(sel({ matchExpressions: [{ key: 'env', operator: 'In', values: ['dev', 'prod'] }] }), labels), true);
    assert.equal(selectorMatches(sel({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }), labels), false);
    assert.equal(selectorMatches(sel({ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['x'] }] }), labels), true);
    assert.equal(selectorMatches(sel({ matchExpressions: [{ key: 'team', operator: 'Exists', values: [] }] }), labels), true);
    assert.equal(selectorMatches(sel({ matchExpressions: [{ key: 'team', operator: 'DoesNotExist', values: [] }] }), labels), false);
    // Everything in one selector must hold.
    assert.equal(
      selectorMatches(sel({ matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'team', operator: 'In', values: ['b'] }] }), labels),
      false,
    );
  });

  it('any selector may match; none configured = every namespace; an unknown namespace is out when selectors exist', () => {
    const s = [sel({ matchLabels: { a: '1' } }), sel({ matchLabels: { b: '1' } })];
    assert.equal(namespaceSelected(s, { b: '1' }), true);
    assert.equal(namespaceSelected(s, { c: '1' }), false);
    assert.equal(namespaceSelected([], undefined), true);
    assert.equal(namespaceSelected(s, undefined), false);
  });

  it('reads selectors from the mesh YAML, with field paths for mistakes', () => {
    const ok = discoverySelectorsOf(
      'trustDomain: x\ndiscoverySelectors:\n- matchLabels: {istio: on}\n- matchExpressions:\n  - {key: env, operator: In, values: [prod]}\n',
    );
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(ok.selectors, [
      { matchLabels: { istio: 'on' }, matchExpressions: [] },
      { matchLabels: {}, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
    ]);
    assert.deepEqual(discoverySelectorsOf('defaultConfig: {}\n').selectors, []);
    const bad = discoverySelectorsOf('discoverySelectors:\n- matchExpressions:\n  - {key: env, operator: Equals, values: [prod]}\n');
    assert.deepEqual(bad.selectors, [], 'a broken selector list scopes nothing out');
    assert.equal(bad.problems[0]?.field, 'discoverySelectors[0].matchExpressions[0].operator');
    assert.match(bad.problems[0]!.reason, /"Equals" is not one of In, NotIn, Exists, DoesNotExist/);
    const empty = discoverySelectorsOf('discoverySelectors:\n- matchExpressions:\n  - {key: env, operator: In}\n');
    assert.equal(empty.problems[0]?.field, 'discoverySelectors[0].matchExpressions[0].values');
    assert.equal(discoverySelectorsOf('discoverySelectors: [').problems[0]?.field, 'data.mesh');
  });
});
