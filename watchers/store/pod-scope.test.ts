/**
 * Tests for Pod changes in pushScope (pod-scope.ts): Pod churn that changes only endpoints is an
 * EDS push of the hosts whose endpoints moved; a Pod whose own labels or annotations changed names
 * its proxy for a full push of its own; a Pod feeding anything else proxies see (inbound named
 * targetPorts, clusters that inline endpoints) makes a full push; a headless host's pod DNS names
 * bring that host (and so the name table) into the push.
 */
import { strict as assert } from 'node:assert';
import type { ConfigKey, ConfigKind, MeshConfig } from '../../model/config.js';
import type { PushScope } from '../../model/push.js';
import { meshOf } from '../../server/xds/conformance/harness.js';
import { pushScope } from './scope.js';

interface PodSpec {
  readonly name: string;
  readonly ip: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly ports?: [string, number][];
  readonly hostname?: string;
  readonly sa?: string;
}

const R = 'r.default.svc.cluster.local';

function pod(p: PodSpec): string {
  const labels = JSON.stringify(p.labels ?? { app: 'r', version: 'v1' });
  const ann = p.annotations ? `, annotations: ${JSON.stringify(p.annotations)}` : '';
  const ports = (p.ports ?? [['http', 8080]]).map(([n, c]) => `{name: ${n}, containerPort: ${c}}`).join(', ');
  const host = p.hostname ? `hostname: ${p.hostname}, subdomain: r, ` : '';
  return `apiVersion: v1
kind: Pod
metadata: {name: ${p.name}, namespace: default, labels: ${labels}${ann}}
spec: {${host}serviceAccountName: ${p.sa ?? 'reader'}, containers: [{name: c, ports: [${ports}]}]}
status: {podIP: ${p.ip}, phase: Running}
---
`;
}

function service(targetPort: string | number, clusterIP = '10.96.0.30'): string {
  return `apiVersion: v1
kind: Service
metadata: {name: r, namespace: default}
spec: {clusterIP: ${clusterIP}, selector: {app: r}, ports: [{name: http, port: 80, targetPort: ${targetPort}}]}
---
`;
}

function slice(pods: readonly PodSpec[]): string {
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: r-1, namespace: default, labels: {kubernetes.io/service-name: r}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
${pods.map((p) => `- {addresses: [${p.ip}], conditions: {ready: true}, targetRef: {kind: Pod, name: ${p.name}, namespace: default}}`).join('\n')}
---
`;
}

/** A mesh of Service r (targetPort as given) backed by `pods` through one slice. */
function meshWith(pods: readonly PodSpec[], targetPort: string | number = 8080, extra = ''): MeshConfig {
  return meshOf(service(targetPort) + pods.map(pod).join('') + slice(pods) + extra);
}

/** The scope of going from `a` to `b` when the given Pods (and, with `sliceToo`, the slice) changed. */
function scope(a: MeshConfig, b: MeshConfig, pods: string[], sliceToo = true): PushScope {
  const keys = new Set<ConfigKey>([...pods.map((p) => `Pod/default/${p}`), ...(sliceToo ? ['EndpointSlice/default/r-1'] : [])]);
  const kinds = new Set<ConfigKind>(['Pod', ...(sliceToo ? (['EndpointSlice'] as const) : [])]);
  return pushScope(a, { mesh: b, kinds, keys });
}

const shown = (s: PushScope): unknown =>
  s.kind === 'endpoints' ? { hosts: [...s.hosts].sort(), proxies: [...(s.proxies ?? [])].sort() } : s.kind;

const three: PodSpec[] = [
  { name: 'r-a', ip: '10.2.0.1' },
  { name: 'r-b', ip: '10.2.0.2', labels: { app: 'r', version: 'v2' } },
  { name: 'r-c', ip: '10.2.0.3' },
];

describe('watchers/store/pod-scope Pod changes in pushScope', () => {
  it("the bench's endpoint edit (its Pods move to new IPs, the slice follows) is an EDS push of that host only", () => {
    const moved = three.map((p, i) => ({ ...p, ip: `10.2.1.${i + 1}` }));
    assert.deepEqual(shown(scope(meshWith(three), meshWith(moved), ['r-a', 'r-b', 'r-c'])), { hosts: [R], proxies: [] });
  });

  it('a rollout (new Pods named in the slice, old ones gone) is an EDS push; the Pods that came or went get a full push of their own proxy', () => {
    const next: PodSpec[] = [three[0]!, { name: 'r-d', ip: '10.2.0.4' }];
    assert.deepEqual(shown(scope(meshWith(three), meshWith(next), ['r-b', 'r-c', 'r-d'])), {
      hosts: [R],
      proxies: ['default/r-b', 'default/r-c', 'default/r-d'],
    });
  });

  it('a Pod label change moves its endpoint between subsets (EDS) and names its own proxy, whose class may change', () => {
    const relabelled = three.map((p) => (p.name === 'r-a' ? { ...p, labels: { app: 'r', version: 'v2' } } : p));
    assert.deepEqual(shown(scope(meshWith(three), meshWith(relabelled), ['r-a'], false)), { hosts: [R], proxies: ['default/r-a'] });
  });

  it("a proxy-config annotation change names the Pod's proxy for a full push (routers key their class on it) and moves no endpoint", () => {
    const annotated = three.map((p) =>
      p.name === 'r-c' ? { ...p, annotations: { 'proxy.istio.io/config': 'gatewayTopology: {numTrustedProxies: 2}' } } : p,
    );
    assert.deepEqual(shown(scope(meshWith(three), meshWith(annotated), ['r-c'], false)), { hosts: [], proxies: ['default/r-c'] });
  });

  it('a Pod change no proxy can see (phase, endpoints from the slice) pushes nothing beyond an empty EDS scope', () => {
    const a = meshWith(three);
    const b = meshOf(service(8080) + three.map(pod).join('').replace('phase: Running', 'phase: Pending') + slice(three));
    assert.deepEqual(shown(scope(a, b, ['r-a'], false)), { hosts: [], proxies: [] });
  });

  describe('inbound named targetPorts (translators/inbound.ts resolveTarget)', () => {
    it('a Pod whose named container port changes number is a full push', () => {
      const renumbered = three.map((p) => (p.name === 'r-b' ? { ...p, ports: [['http', 8081]] as [string, number][] } : p));
      assert.equal(shown(scope(meshWith(three, 'http'), meshWith(renumbered, 'http'), ['r-b'], false)), 'full');
    });

    it('a new Pod with the same labels and the same named port as an unchanged one: the answer cannot change, EDS push', () => {
      const more = [...three, { name: 'r-0', ip: '10.2.0.9' }];
      assert.deepEqual(shown(scope(meshWith(three, 'http'), meshWith(more, 'http'), ['r-0'])), { hosts: [R], proxies: ['default/r-0'] });
    });

    it('a new Pod whose labels no unchanged pod carries (a new ReplicaSet) may be the first to answer: full push', () => {
      const more = [...three, { name: 'r-n', ip: '10.2.0.9', labels: { app: 'r', version: 'v1', 'pod-template-hash': 'new' } }];
      assert.equal(shown(scope(meshWith(three, 'http'), meshWith(more, 'http'), ['r-n'])), 'full');
    });

    it('a numeric targetPort reads no container port: the same new Pod is an EDS push', () => {
      const more = [...three, { name: 'r-n', ip: '10.2.0.9', labels: { app: 'r', version: 'v1', 'pod-template-hash': 'new' } }];
      assert.deepEqual(shown(scope(meshWith(three), meshWith(more), ['r-n'])), { hosts: [R], proxies: ['default/r-n'] });
    });
  });

  it('a Pod bringing a new service account behind an endpoint is a full push (clusters carry the accounts as SANs)', () => {
    const other = three.map((p) => (p.name === 'r-a' ? { ...p, sa: 'writer' } : p));
    assert.equal(shown(scope(meshWith(three), meshWith(other), ['r-a'], false)), 'full');
  });

  it("a headless service's Pod DNS name (hostname.subdomain) brings its host into the push, so the name table is re-sent", () => {
    const headless = (pods: readonly PodSpec[]): MeshConfig => meshOf(service(8080, 'None') + pods.map(pod).join('') + slice(pods));
    const named = three.map((p) => (p.name === 'r-a' ? { ...p, hostname: 'r-0' } : p));
    assert.deepEqual(shown(scope(headless(three), headless(named), ['r-a'], false)), { hosts: [R], proxies: [] });
  });

  it('a Pod selected by a ServiceEntry whose clusters inline endpoints (resolution DNS / NONE) is a full push', () => {
    for (const resolution of ['DNS', 'NONE']) {
      const se = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec:
  hosts: [ext.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: ${resolution}
  workloadSelector: {labels: {app: r}}
---
`;
      const moved = three.map((p) => (p.name === 'r-a' ? { ...p, ip: '10.2.9.9' } : p));
      assert.equal(shown(scope(meshWith(three, 8080, se), meshWith(moved, 8080, se), ['r-a'])), 'full', resolution);
    }
  });

  it('Pods in file mode feed endpoints themselves (no slice): a Pod that starts backs the host, an EDS push', () => {
    const svcOnly = (pods: readonly PodSpec[]): MeshConfig => meshOf(service(8080) + pods.map(pod).join(''));
    assert.deepEqual(shown(scope(svcOnly(three), svcOnly([...three, { name: 'r-d', ip: '10.2.0.4' }]), ['r-d'], false)), {
      hosts: [R],
      proxies: ['default/r-d'],
    });
  });
});
