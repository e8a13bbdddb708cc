/**
 * Tests for pushScope: endpoint-only changes become EDS pushes for exactly the services whose
 * endpoints moved; anything else is a full push.
 */
import { strict as assert } from 'node:assert';
import { meshOf } from '../../server/xds/conformance/harness.js';
import { fixtureYaml } from '../../server/xds/conformance/fixture.js';
import { pushScope } from './scope.js';

describe('watchers/store/scope pushScope', () => {
  const prev = meshOf(fixtureYaml());
  const next = meshOf(fixtureYaml({ aEndpoint: 9 }));

  it('an EndpointSlice change is an EDS-only push for its service', () => {
    const s = pushScope(prev, { mesh: next, kinds: new Set(['EndpointSlice']), keys: new Set(['EndpointSlice/default/a-1']) });
    assert.deepEqual(s.kind === 'endpoints' && [...s.hosts], ['a.default.svc.cluster.local']);
  });

  it('a deleted slice is found in the previous mesh', () => {
    const without = meshOf(fixtureYaml({ withB: false }));
    const s = pushScope(prev, { mesh: without, kinds: new Set(['EndpointSlice']), keys: new Set(['EndpointSlice/default/b-1']) });
    assert.deepEqual(s.kind === 'endpoints' && [...s.hosts], ['b.default.svc.cluster.local']);
  });

  it('any other kind in the change makes a full push', () => {
    assert.deepEqual(pushScope(prev, { mesh: next, kinds: new Set(['EndpointSlice', 'VirtualService']), keys: new Set(['EndpointSlice/default/a-1', 'VirtualService/default/x']) }), { kind: 'full' });
    assert.deepEqual(pushScope(prev, { mesh: next, kinds: new Set(['Service']), keys: new Set(['Service/default/a']) }), { kind: 'full' });
    assert.deepEqual(pushScope(prev, { mesh: next, kinds: new Set(['Secret']), keys: new Set(['Secret/default/c']) }), { kind: 'secrets' });
  });
});
