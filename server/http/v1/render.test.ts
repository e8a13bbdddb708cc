/**
 * Unit tests for the per-class rendering cache: one rendering per ClassSnapshot, shared by every
 * poller of the class; a new snapshot (new mesh) renders afresh; resources that do not encode as
 * v3 are not sent to v1 pollers either.
 */
import { strict as assert } from 'node:assert';
import { ClassSnapshot, Interner } from '../../cache/snapshot.js';
import type { ClusterOutput, Generated } from '../../../translators/generated.js';
import type { Cluster, ClusterLoadAssignment } from '../../../proto/types.js';
import { clustersOf, hostsOf, listenersOf, routesOf } from './render.js';

function out<T>(items: Record<string, T>): ClusterOutput<T> {
  return {
    names: () => Object.keys(items).sort(),
    get: (n) => items[n],
    key: (n) =>
      n === NAME && items[n] ? { direction: 'outbound', port: 9080, subset: '', host: 'a.default.svc.cluster.local' } : undefined,
  };
}

const NAME = 'outbound|9080||a.default.svc.cluster.local';
function generated(timeoutS: number, extra: Record<string, Cluster> = {}): Generated {
  const cla: ClusterLoadAssignment = {
    cluster_name: NAME,
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 9080 } } } }] }],
  };
  return {
    clusters: out<Cluster>({
      [NAME]: {
        name: NAME,
        type: 'EDS',
        eds_cluster_config: { eds_config: { ads: {} }, service_name: NAME },
        connect_timeout: { seconds: timeoutS },
      },
      ...extra,
    }),
    endpoints: out({ [NAME]: cla }),
    listeners: out({}),
    routes: out({}),
  };
}

const snapshot = (g: Generated, errors: string[] = []): ClassSnapshot =>
  new ClassSnapshot('envoy/sidecar/default', g, new Interner(), ({ name }) => errors.push(name));

describe('v1 rendering cache', () => {
  it('renders once per class snapshot and serves the same text to every poll', () => {
    const s = snapshot(generated(1));
    const a = clustersOf(s);
    assert.equal(clustersOf(s), a, 'second poll reuses the rendering');
    assert.match(a.text, /"connect_timeout_ms":1000/);
    assert.equal(hostsOf(s, NAME), hostsOf(s, NAME));
    assert.deepEqual(JSON.parse(hostsOf(s, NAME)!.text), {
      hosts: [{ ip_address: '10.0.0.1', port: 9080, tags: { az: '', canary: false, load_balancing_weight: 1 } }],
    });
    assert.equal(routesOf(s, 'nope'), undefined);
    assert.equal(hostsOf(s, 'nope'), undefined);
    assert.deepEqual(JSON.parse(listenersOf(s, '10.0.0.9').text), { listeners: [] });
    assert.equal(listenersOf(s, '10.0.0.9'), listenersOf(s, '10.0.0.8'), 'no inbound ports: one rendering for every IP');
  });

  it('renders afresh for a new snapshot, with a version that follows the content', () => {
    const v1 = clustersOf(snapshot(generated(1))).version;
    assert.equal(clustersOf(snapshot(generated(1))).version, v1, 'same content, same version');
    assert.notEqual(clustersOf(snapshot(generated(2))).version, v1);
  });

  it('does not send v1 pollers a cluster that does not encode as v3 (ADS leaves it out too)', () => {
    const errors: string[] = [];
    const bad = { name: 'bad', type: 'EDS', no_such_field: 1 } as unknown as Cluster;
    const r = clustersOf(snapshot(generated(1, { bad }), errors));
    assert.deepEqual(
      JSON.parse(r.text).clusters.map((c: { name: string }) => c.name),
      [NAME],
    );
    assert.deepEqual(
      r.omitted.map((o) => `${o.level} ${o.where}`),
      ['cluster bad'],
    );
    assert.deepEqual(errors, ['bad']);
  });
});
