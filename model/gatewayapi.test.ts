/**
 * @module model/gatewayapi.test
 * statusProblems: the one-line warnings `tspilot translate` prints for Gateway API status — only
 * conditions that say something is wrong, naming the object, the listener or parent, and the reason.
 */
import assert from 'node:assert/strict';
import { statusProblems, type GwObjectStatus } from './gatewayapi.js';

describe('model/gatewayapi statusProblems', () => {
  it("lists the failing conditions of a gateway, its listeners and a route's parents; healthy ones say nothing", () => {
    const ok = { type: 'Accepted', status: 'True', reason: 'Accepted', message: '' } as const;
    const gw: GwObjectStatus = {
      kind: 'KubernetesGateway',
      namespace: 'infra',
      name: 'gw',
      generation: 1,
      conditions: [ok, { type: 'Programmed', status: 'False', reason: 'AddressNotAssigned', message: 'no Service' }],
      listeners: [
        {
          name: 'a',
          attachedRoutes: 0,
          supportedKinds: [],
          conditions: [ok, { type: 'Conflicted', status: 'True', reason: 'HostnameConflict', message: '' }],
        },
      ],
    };
    assert.deepEqual(statusProblems(gw), [
      'Gateway infra/gw: Programmed=False AddressNotAssigned: no Service',
      'Gateway infra/gw listener a: Conflicted=True HostnameConflict',
    ]);
    const route: GwObjectStatus = {
      kind: 'HTTPRoute',
      namespace: 'app',
      name: 'r',
      generation: 1,
      parents: [
        {
          parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'gw', sectionName: 'http' },
          controllerName: 'x',
          conditions: [{ type: 'Accepted', status: 'False', reason: 'NotAllowedByListeners', message: 'no' }],
        },
      ],
    };
    assert.deepEqual(statusProblems(route), ['HTTPRoute app/r parent Gateway infra/gw/http: Accepted=False NotAllowedByListeners: no']);
    assert.deepEqual(statusProblems({ kind: 'GatewayClass', namespace: '', name: 'istio', generation: 1, conditions: [ok] }), []);
  });
});
