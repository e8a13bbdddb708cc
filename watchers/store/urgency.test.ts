/**
 * changeUrgency: an endpoint that stops being ready (or whose slice is deleted) is a removal,
 * pushed at once; other endpoint and Pod changes get the short endpoint maximum; anything else
 * waits for the usual debounce.
 */
import { strict as assert } from 'node:assert';
import type { ConfigKey, ConfigObject } from '../../model/config.js';
import type { EndpointSlice } from '../../model/k8s.js';
import { changeUrgency, endpointsBefore, maxWaitFor, replaceUrgency } from './urgency.js';
import { parseConfigText } from '../file/parse.js';
import { emptyState, reduce, takeChanges } from './reduce.js';

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

  describe('a whole file replaced (the folder source)', () => {
    const FILE = '/mesh/ep.yaml';
    const sliceDoc = (name: string, ips: string[]): string =>
      `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}, namespace: default, labels: {kubernetes.io/service-name: a}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
${ips.map((ip) => `- {addresses: [${ip}], conditions: {ready: true}}`).join('\n')}
`;
    const podDoc = (ip: string): string =>
      `apiVersion: v1
kind: Pod
metadata: {name: a-0, namespace: default, labels: {app: a}}
spec: {containers: [{name: app, image: a}]}
status: {podIP: ${ip}}
`;
    const vsDoc = (w: number): string =>
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: default}
spec: {hosts: [a], http: [{route: [{destination: {host: a}, weight: ${w}}]}]}
`;
    /** The urgency the stage gives the second version of the file, the first being in the store. */
    const urgencyOf = (first: string[], second: string[]): string => {
      const st = emptyState();
      const replace = (docs: string[]) => {
        const r = parseConfigText(docs.join('---\n'), FILE);
        assert.ok(r.ok, 'fixture parses');
        return { type: 'replace' as const, origin: { source: FILE }, objects: r.file.objects, rejections: r.file.rejections };
      };
      reduce(st, replace(first));
      takeChanges(st);
      const ev = replace(second);
      const before = endpointsBefore(st.objects, st.byOrigin.get(FILE), ev);
      reduce(st, ev);
      return replaceUrgency(before, st.objects, takeChanges(st).keys);
    };

    it('a rolling update written to the file (one address gone, one new, its Pod changed) is a removal, pushed at once', () => {
      assert.equal(
        urgencyOf(
          [sliceDoc('a-1', ['10.0.0.1', '10.0.0.2']), podDoc('10.0.0.1')],
          [sliceDoc('a-1', ['10.0.0.2', '10.0.0.3']), podDoc('10.0.0.3')],
        ),
        'removal',
      );
    });

    it('a slice dropped from the file with ready addresses is a removal', () => {
      assert.equal(urgencyOf([sliceDoc('a-1', ['10.0.0.1']), sliceDoc('a-2', ['10.0.0.9'])], [sliceDoc('a-1', ['10.0.0.1'])]), 'removal');
    });

    it('only addresses added and Pods changed: an endpoint change; anything else changed: config', () => {
      assert.equal(
        urgencyOf([sliceDoc('a-1', ['10.0.0.1'])], [sliceDoc('a-1', ['10.0.0.1', '10.0.0.2']), podDoc('10.0.0.2')]),
        'endpoints',
      );
      assert.equal(urgencyOf([sliceDoc('a-1', ['10.0.0.1']), vsDoc(10)], [sliceDoc('a-1', ['10.0.0.1']), vsDoc(20)]), 'config');
      assert.equal(urgencyOf([sliceDoc('a-1', ['10.0.0.1']), vsDoc(10)], [sliceDoc('a-1', ['10.0.0.1', '10.0.0.2']), vsDoc(20)]), 'config');
    });

    it('a removal wins over a config change in the same file (as a removal event flushes the burst it joins)', () => {
      assert.equal(
        urgencyOf([sliceDoc('a-1', ['10.0.0.1', '10.0.0.2']), vsDoc(10)], [sliceDoc('a-1', ['10.0.0.2']), vsDoc(20)]),
        'removal',
      );
    });
  });
});
