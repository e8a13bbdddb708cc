/**
 * changeUrgency: an endpoint that stops being ready (or whose slice is deleted) is a removal,
 * pushed at once; other endpoint and Pod changes get the short endpoint maximum; anything else
 * waits for the usual debounce.
 */
import { strict as assert } from 'node:assert';
import type { ConfigKey, ConfigObject } from '../../model/config.js';
import type { EndpointSlice } from '../../model/k8s.js';
import { changeUrgency, maxWaitFor } from './urgency.js';

const slice = (eps: [string, boolean][]): EndpointSlice => ({
  kind: 'EndpointSlice',
  meta: { namespace: 'default', name: 'a-1', labels: {}, annotations: {}, resourceVersion: '' } as EndpointSlice['meta'],
  serviceName: 'a',
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] as EndpointSlice['ports'],
  endpoints: eps.map(([ip, ready]) => ({ ip, ready, targetPod: null, nodeName: '', zone: '' })),
});
const KEY = 'EndpointSlice/default/a-1' as ConfigKey;
const origin = { source: 'kube:endpointslices.discovery.k8s.io' };
const store = (o?: ConfigObject) => new Map(o ? [[KEY, { object: o }]] : []);

describe('watchers/store/urgency', () => {
  it('a ready address that disappears or turns unready is a removal', () => {
    const before = store(
      slice([
        ['10.0.0.1', true],
        ['10.0.0.2', true],
      ]),
    );
    assert.equal(changeUrgency(before, { type: 'upsert', key: KEY, object: slice([['10.0.0.1', true]]), origin }), 'removal');
    assert.equal(
      changeUrgency(before, {
        type: 'upsert',
        key: KEY,
        object: slice([
          ['10.0.0.1', true],
          ['10.0.0.2', false],
        ]),
        origin,
      }),
      'removal',
    );
    assert.equal(changeUrgency(before, { type: 'delete', key: KEY, origin }), 'removal');
  });

  it('added or unchanged addresses, and Pod changes, are endpoint changes; other kinds are config', () => {
    const before = store(
      slice([
        ['10.0.0.1', true],
        ['10.0.0.2', false],
      ]),
    );
    assert.equal(
      changeUrgency(before, {
        type: 'upsert',
        key: KEY,
        object: slice([
          ['10.0.0.1', true],
          ['10.0.0.3', true],
        ]),
        origin,
      }),
      'endpoints',
    );
    assert.equal(changeUrgency(store(), { type: 'upsert', key: KEY, object: slice([['10.0.0.1', true]]), origin }), 'endpoints');
    assert.equal(changeUrgency(store(slice([['10.0.0.2', false]])), { type: 'delete', key: KEY, origin }), 'endpoints');
    assert.equal(changeUrgency(store(), { type: 'delete', key: 'Pod/default/a-1' as ConfigKey, origin }), 'endpoints');
    assert.equal(changeUrgency(store(), { type: 'delete', key: 'VirtualService/default/a' as ConfigKey, origin }), 'config');
    assert.equal(changeUrgency(store(), { type: 'synced' }), 'config');
  });

  it('maximum waits', () => {
    assert.equal(maxWaitFor('removal', 10_000, 1000), 0);
    assert.equal(maxWaitFor('endpoints', 10_000, 1000), 1000);
    assert.equal(maxWaitFor('endpoints', 500, 1000), 500);
    assert.equal(maxWaitFor('config', 10_000, 1000), 10_000);
  });
});
