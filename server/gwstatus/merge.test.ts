/**
 * @module server/gwstatus/merge.test
 * What the status writer writes: observedGeneration on every condition, transition times kept
 * while a condition's status holds, other controllers' route parents kept, and "same" meaning the
 * same content whatever the key order (what stops a write from looping).
 */
import assert from 'node:assert/strict';
import type { GwObjectStatus } from '../../model/gatewayapi.js';
import { mergeStatus, sameStatus } from './merge.js';

const route = (status: 'True' | 'False', reason: string): GwObjectStatus => ({
  kind: 'HTTPRoute',
  namespace: 'app',
  name: 'r',
  generation: 3,
  parents: [
    {
      parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'gw' },
      controllerName: 'istio.io/gateway-controller',
      conditions: [{ type: 'Accepted', status, reason, message: '' }],
    },
  ],
});

describe('server/gwstatus mergeStatus', () => {
  it('adds observedGeneration and a transition time; keeps the time while the status holds, moves it when it flips', () => {
    const first = mergeStatus(route('True', 'Accepted'), undefined, 'T1');
    const c = (s: Record<string, unknown>): Record<string, unknown> =>
      (s['parents'] as { conditions: Record<string, unknown>[] }[])[0]!.conditions[0]!;
    assert.deepEqual(c(first), {
      type: 'Accepted',
      status: 'True',
      reason: 'Accepted',
      message: '',
      observedGeneration: 3,
      lastTransitionTime: 'T1',
    });
    assert.equal(c(mergeStatus(route('True', 'Accepted'), first, 'T2'))['lastTransitionTime'], 'T1');
    assert.ok(sameStatus(mergeStatus(route('True', 'Accepted'), first, 'T2'), first), 'nothing to write when nothing changed');
    assert.equal(c(mergeStatus(route('False', 'NotAllowedByListeners'), first, 'T3'))['lastTransitionTime'], 'T3');
  });

  it('keeps the parents other controllers wrote, replaces its own', () => {
    const other = { parentRef: { name: 'x' }, controllerName: 'example.com/other', conditions: [] };
    const merged = mergeStatus(
      route('True', 'Accepted'),
      { parents: [other, { parentRef: { name: 'old' }, controllerName: 'istio.io/gateway-controller', conditions: [] }] },
      'T',
    );
    assert.deepEqual(
      (merged['parents'] as { controllerName: string }[]).map((p) => p.controllerName),
      ['example.com/other', 'istio.io/gateway-controller'],
    );
    assert.equal((merged['parents'] as { parentRef: { name: string } }[])[1]!.parentRef.name, 'gw');
  });

  it('sameStatus ignores key order, sees any value change', () => {
    assert.ok(sameStatus({ a: 1, b: [{ x: 1, y: 2 }] }, { b: [{ y: 2, x: 1 }], a: 1 }));
    assert.ok(!sameStatus({ a: 1 }, { a: 2 }));
  });

  it("a BackendTLSPolicy's status is written as ancestors with ancestorRef, keeping other controllers' ancestors and our transition times", () => {
    const policy = (reason: string, status: 'True' | 'False'): GwObjectStatus => ({
      kind: 'BackendTLSPolicy',
      namespace: 'apps',
      name: 'p',
      generation: 2,
      ancestors: [
        {
          parentRef: { group: '', kind: 'Service', namespace: 'apps', name: 'secure' },
          controllerName: 'istio.io/gateway-controller',
          conditions: [{ type: 'Accepted', status, reason, message: '' }],
        },
      ],
    });
    const theirs = { ancestorRef: { group: '', kind: 'Service', name: 'secure' }, controllerName: 'example.com/other', conditions: [] };
    const first = mergeStatus(policy('Accepted', 'True'), { ancestors: [theirs] }, 'T1');
    const ancestors = first['ancestors'] as Record<string, unknown>[];
    assert.deepEqual(ancestors[0], theirs);
    assert.deepEqual(ancestors[1]!['ancestorRef'], { group: '', kind: 'Service', namespace: 'apps', name: 'secure' });
    assert.equal(first['parents'], undefined);
    assert.ok(sameStatus(mergeStatus(policy('Accepted', 'True'), first, 'T2'), first));
    const flipped = mergeStatus(policy('TargetNotFound', 'False'), first, 'T3');
    assert.equal((flipped['ancestors'] as { conditions: Record<string, unknown>[] }[])[1]!.conditions[0]!['lastTransitionTime'], 'T3');
  });
});
