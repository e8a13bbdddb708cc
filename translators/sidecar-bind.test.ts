/**
 * @module translators/sidecar-bind.test
 * What a user of Sidecar ingress/egress `captureMode`, `bind`, ingress `tls`/`connectionPool` and of
 * `INTERCEPTION_MODE: NONE` proxies notices, asserted on the golden inputs (testdata/
 * sidecar-ingress-bind, sidecar-egress-bind, interception-none): which listeners exist, where they
 * listen, whether they bind their port, which certificates they serve, and the proxy class.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { readMeshConfig } from '../watchers/validate/meshconfig.js';
import { meshFrom, proxy, snapshot, type Snapshot } from './harness.test.js';
import { readCase, TESTDATA } from './golden.test.js';
import { proxyClass } from './index.js';
import type { MeshConfig } from '../model/config.js';

type J = Record<string, unknown>;

function load(name: string): { mesh: MeshConfig; proxies: { id: string; metadata: Record<string, unknown> }[] } {
  const { text, tc } = readCase(path.join(TESTDATA, `${name}.in.yaml`));
  const { mesh } = meshFrom(text, readMeshConfig(tc.meshConfig ?? null).settings);
  return { mesh, proxies: tc.proxies.map((p) => ({ id: p.id, metadata: p.metadata ?? {} })) };
}

function snapOf(name: string, index: number): Snapshot {
  const { mesh, proxies } = load(name);
  const p = proxies[index]!;
  const { snap, problems } = snapshot(mesh, proxy(p.id, p.metadata));
  assert.deepEqual(problems, []);
  return snap;
}

const addressOf = (l: unknown): string => {
  const sa = ((l as J)['address'] as J)['socketAddress'] as J;
  return `${sa['address']}:${sa['portValue']}`;
};
const bound = (l: unknown): boolean => ((l as J)['bindToPort'] as boolean | undefined) !== false;
const chainsOf = (l: unknown): J[] => ((l as J)['filterChains'] as J[]) ?? [];
const filterNames = (l: unknown): string[] => (((l as J)['listenerFilters'] as J[]) ?? []).map((f) => f['name'] as string);
const sdsNames = (chain: J): string[] => {
  const ctx = (((chain['transportSocket'] as J | undefined)?.['typedConfig'] as J | undefined)?.['commonTlsContext'] as J) ?? {};
  const certs = ((ctx['tlsCertificateSdsSecretConfigs'] as J[]) ?? []).map((s) => s['name'] as string);
  const ca = ((ctx['combinedValidationContext'] as J | undefined)?.['validationContextSdsSecretConfig'] as J | undefined)?.['name'];
  return [...certs, ...(typeof ca === 'string' ? [ca] : [])];
};

describe('Sidecar captureMode / bind / ingress tls and INTERCEPTION_MODE NONE (issue 13 item 5)', () => {
  it('a proxy without iptables gets no capture listeners and binds every outbound listener on 127.0.0.1', () => {
    const s = snapOf('interception-none', 0);
    const names = Object.keys(s.listeners).sort();
    assert.deepEqual(names, ['127.0.0.1_443', '127.0.0.1_5432', '127.0.0.1_7000', '127.0.0.1_8080']);
    for (const n of names) {
      assert.ok(bound(s.listeners[n]), `${n} binds its port`);
      assert.equal(addressOf(s.listeners[n]).split(':')[0], '127.0.0.1');
    }
    // No inbound side from the Service selecting it: istiod would otherwise take the app's port.
    assert.deepEqual(
      Object.keys(s.clusters).filter((c) => c.startsWith('inbound|')),
      [],
    );
  });

  it('the same mesh on an iptables proxy keeps virtualOutbound/virtualInbound and unbound listeners', () => {
    const s = snapOf('interception-none', 2);
    assert.ok(s.listeners['virtualOutbound'] && s.listeners['virtualInbound']);
    assert.equal(bound(s.listeners['0.0.0.0_8080']), false);
    assert.equal(bound(s.listeners['10.96.5.2_5432']), false);
  });

  it('a NONE proxy binds its Sidecar ingress port on its own IP and skips ports below 1024 when unprivileged', () => {
    const s = snapOf('interception-none', 1);
    const l = s.listeners['10.5.0.9_9080'];
    assert.ok(l, Object.keys(s.listeners).join(', '));
    assert.equal(addressOf(l), '10.5.0.9:9080');
    assert.ok(!filterNames(l).includes('envoy.filters.listener.original_dst'));
    assert.ok(s.listeners['127.0.0.10_8080'], 'the egress bind of the port-8080 listener');
    assert.equal(s.listeners['10.5.0.9_80'], undefined);
    assert.equal(s.clusters['inbound|80||'], undefined);
    assert.equal(s.listeners['127.0.0.1_443'], undefined);
  });

  it('ingress captureMode NONE is a real listener on the bind address, not a virtualInbound chain', () => {
    const s = snapOf('sidecar-ingress-bind', 0);
    const l = s.listeners['10.244.2.7_9080'];
    assert.ok(l);
    assert.equal(addressOf(l), '10.244.2.7:9080');
    assert.ok(bound(l));
    assert.ok(!filterNames(l).includes('envoy.filters.listener.original_dst'));
    assert.ok(s.listeners['10.244.2.7_9090'], 'without bind: the workload IP');
    const vi = chainsOf(s.listeners['virtualInbound']).map((c) => c['name']);
    assert.ok(!vi.includes('10.244.2.7_9080') && !vi.includes('0.0.0.0_9080') && !vi.includes('0.0.0.0_9090'), vi.join(', '));
  });

  it('ingress tls terminates with the agent file certificates where mTLS is DISABLE; mTLS wins elsewhere', () => {
    const vi = chainsOf(snapOf('sidecar-ingress-bind', 0).listeners['virtualInbound']);
    const chain = (n: string): J[] => vi.filter((c) => c['name'] === n);
    assert.deepEqual(sdsNames(chain('0.0.0.0_8443')[0]!), ['file-cert:/etc/certs/web.pem~/etc/certs/web-key.pem']);
    assert.deepEqual(sdsNames(chain('0.0.0.0_9443')[0]!), [
      'file-cert:/etc/certs/web.pem~/etc/certs/web-key.pem',
      'file-root:/etc/certs/ca.pem',
    ]);
    // 8443 is HTTPS: after termination the chain runs the HTTP connection manager.
    // The TLS chain terminates into the HCM (after the telemetry metadata exchange istiod puts first on inbound chains).
    assert.ok((chain('0.0.0.0_8443')[0]!['filters'] as J[]).some((f) => f['name'] === 'envoy.filters.network.http_connection_manager'));
    // 7443 is PERMISSIVE mTLS: istio certificates, never the file ones.
    assert.ok(chain('0.0.0.0_7443').every((c) => !sdsNames(c).some((n) => n.startsWith('file-'))));
  });

  it('ingress connectionPool over inboundConnectionPool sets the inbound cluster circuit breakers', () => {
    const s = snapOf('sidecar-ingress-bind', 0);
    const limit = (c: string): unknown => (((s.clusters[c] as J)['circuitBreakers'] as J)['thresholds'] as J[])[0]!['maxConnections'];
    assert.equal(limit('inbound|9090||'), 10);
    assert.equal(limit('inbound|9080||'), 500);
  });

  it('egress bind/captureMode: 127.0.0.1 bound for captureMode NONE, the bind address unbound for DEFAULT', () => {
    const s = snapOf('sidecar-egress-bind', 0);
    assert.ok(bound(s.listeners['127.0.0.1_9080']));
    assert.equal(addressOf(s.listeners['127.0.0.5_3306']), '127.0.0.5:3306');
    assert.equal(bound(s.listeners['127.0.0.5_3306']), false);
    assert.equal(s.listeners['10.96.6.3_3306'], undefined, 'not on the VIP any more');
    assert.ok(s.listeners['virtualOutbound']);
    // The egress port's protocol (HTTP) wins over the undeclared Service port: no sniffing listener.
    assert.ok(s.listeners['0.0.0.0_7070'] && s.routes['7070']);
    assert.equal(s.listeners['10.96.6.5_7070'], undefined);
  });

  it('Sidecar outboundTrafficPolicy: egressProxy takes unknown destinations; a policy without mode is REGISTRY_ONLY', () => {
    const catchAll = (s: Snapshot): unknown =>
      (
        ((chainsOf(s.listeners['virtualOutbound'])[0]!['filters'] as J[]).find((f) => f['name'] === 'envoy.filters.network.tcp_proxy') ??
          {})['typedConfig'] as J
      )['cluster'];
    const app = snapOf('sidecar-egress-proxy', 0);
    assert.equal(catchAll(app), 'outbound|3128||squid.egress.svc.cluster.local');
    const vhosts = (app.routes['8080'] as J)['virtualHosts'] as J[];
    const allowAny = vhosts.find((v) => v['name'] === 'allow_any')!;
    assert.equal((((allowAny['routes'] as J[])[0]!['route'] as J) ?? {})['cluster'], 'outbound|3128||squid.egress.svc.cluster.local');
    assert.equal(catchAll(snapOf('sidecar-egress-proxy', 1)), 'BlackHoleCluster');
  });

  it('EnvoyFilters for SIDECAR_INBOUND patch a bound ingress listener', () => {
    const { mesh } = meshFrom(`apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: web, namespace: default}
spec:
  workloadSelector: {labels: {app: web}}
  ingress: [{port: {number: 9080, protocol: HTTP, name: http}, captureMode: NONE, defaultEndpoint: "127.0.0.1:8080"}]
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: buffers, namespace: default}
spec:
  workloadSelector: {labels: {app: web}}
  configPatches:
  - applyTo: LISTENER
    match: {context: SIDECAR_INBOUND, listener: {portNumber: 9080}}
    patch: {operation: MERGE, value: {per_connection_buffer_limit_bytes: 1024}}
`);
    const { snap, problems } = snapshot(
      mesh,
      proxy('sidecar~10.244.2.7~web-1.default~default.svc.cluster.local', { LABELS: { app: 'web' } }),
    );
    assert.deepEqual(problems, []);
    assert.equal((snap.listeners['10.244.2.7_9080'] as J)['perConnectionBufferLimitBytes'], 1024);
  });

  it('the interception mode and a bound ingress listener on the workload IP are part of the proxy class', () => {
    const { mesh } = load('interception-none');
    const id = (ip: string, pod: string): string => `sidecar~${ip}~${pod}.apps~apps.svc.cluster.local`;
    const none = (ip: string, pod: string): string =>
      proxyClass(proxy(id(ip, pod), { LABELS: { app: 'vm' }, INTERCEPTION_MODE: 'NONE' }), mesh);
    assert.notEqual(none('10.5.0.8', 'vm-1'), proxyClass(proxy(id('10.5.0.8', 'vm-1'), { LABELS: { app: 'vm' } }), mesh));
    assert.equal(none('10.5.0.8', 'vm-1'), none('10.5.0.18', 'vm-2'), 'VMs without a bound ingress share output');
    const gw = (ip: string, pod: string): string =>
      proxyClass(proxy(id(ip, pod), { LABELS: { app: 'gw-vm' }, INTERCEPTION_MODE: 'NONE', UNPRIVILEGED_POD: 'true' }), mesh);
    assert.notEqual(gw('10.5.0.9', 'gw-vm-1'), gw('10.5.0.19', 'gw-vm-2'), 'the ingress listener binds each one its own IP');
  });
});
