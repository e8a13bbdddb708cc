/**
 * @module translators/versions.test
 * The version-gate table: which ISTIO_VERSION falls in which bucket, that the proxy class key
 * carries the bucket and not the raw version, and each gate's effect on a proxy reporting 1.10.6
 * against one reporting no version (the golden mosn-istio-1.10 shows whole outputs).
 */
import assert from 'node:assert/strict';
import { parseIstioVersion, versionBucket, versionGates } from './versions.js';
import { proxyClass } from './index.js';
import { meshFrom, proxy, snapshot } from './harness.test.js';

type J = Record<string, unknown>;
const ID = 'sidecar~10.0.0.1~c-1.default~default.svc.cluster.local';
const at = (v?: string) => proxy(ID, { LABELS: { app: 'c' }, ...(v === undefined ? {} : { ISTIO_VERSION: v }) });

const MESH = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {clusterIP: 10.96.3.3, selector: {app: web}, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [web]
  http:
  - match: [{headers: {x-canary: {exact: "yes"}}}]
    route: [{destination: {host: web}}]
`;

describe('translators/versions (version gates)', () => {
  it('parses major.minor from ISTIO_VERSION and buckets proxies before 1.11', () => {
    assert.deepEqual(parseIstioVersion('1.10.6'), [1, 10]);
    assert.deepEqual(parseIstioVersion('1.10-dev'), [1, 10]);
    assert.equal(parseIstioVersion('banana'), undefined);
    assert.equal(parseIstioVersion(undefined), undefined);
    assert.equal(versionBucket(at('1.10.6')), 'pre-1.11');
    assert.equal(versionBucket(at('1.9.0')), 'pre-1.11');
    assert.equal(versionBucket(at('1.11.0')), 'current');
    assert.equal(versionBucket(at('1.24.2')), 'current');
    assert.equal(versionBucket(at()), 'current', "no version: today's output");
    assert.equal(versionBucket(at('not-a-version')), 'current');
  });

  it('the proxy class key carries the bucket, not the raw version', () => {
    const { mesh } = meshFrom(MESH);
    assert.equal(proxyClass(at('1.10.3'), mesh), proxyClass(at('1.10.6'), mesh));
    assert.notEqual(proxyClass(at('1.10.6'), mesh), proxyClass(at(), mesh));
    assert.equal(proxyClass(at('1.20.1'), mesh), proxyClass(at(), mesh));
  });

  const { mesh } = meshFrom(MESH);
  const rc = (v?: string) => snapshot(mesh, at(v)).snap.routes['9080'] as J;
  const vhost = (v?: string) => (rc(v)['virtualHosts'] as J[]).find((x) => x['name'] === 'web.default.svc.cluster.local:9080')!;

  it('hostPortDomains: 1.10 lists host:port domains (no absolute FQDN, no ignore_port_in_host_matching); no version does not', () => {
    assert.ok(versionGates(at('1.10.6')).hostPortDomains);
    assert.deepEqual(vhost('1.10.6')['domains'], [
      'web.default.svc.cluster.local',
      'web.default.svc.cluster.local:9080',
      'web',
      'web:9080',
      'web.default.svc',
      'web.default.svc:9080',
      'web.default',
      'web.default:9080',
      '10.96.3.3',
      '10.96.3.3:9080',
    ]);
    assert.equal(rc('1.10.6')['ignorePortInHostMatching'], undefined);
    assert.ok(!(vhost()['domains'] as string[]).some((d) => d.endsWith(':9080')));
    assert.equal(rc()['ignorePortInHostMatching'], true);
  });

  it('legacyHeaderMatchers: 1.10 gets exact_match, no version gets string_match', () => {
    const header = (v?: string) => (((vhost(v)['routes'] as J[])[0]!['match'] as J)['headers'] as J[])[0]!;
    assert.deepEqual(header('1.10.6'), { name: 'x-canary', exactMatch: 'yes' });
    assert.deepEqual(header(), { name: 'x-canary', stringMatch: { exact: 'yes' } });
  });

  it('deprecatedV1BindToPort: 1.10 listeners that must not bind carry deprecated_v1.bind_to_port false; bound ones do not', () => {
    const l = (v?: string) => snapshot(mesh, at(v)).snap.listeners;
    assert.deepEqual((l('1.10.6')['0.0.0.0_9080'] as J)['deprecatedV1'], { bindToPort: false });
    assert.equal((l('1.10.6')['virtualOutbound'] as J)['deprecatedV1'], undefined);
    assert.equal((l()['0.0.0.0_9080'] as J)['deprecatedV1'], undefined);
  });

  it('noIstiodTelemetryFilters: 1.10 gets no istio.stats / metadata exchange / grpc_stats (istiod 1.10 sent none); no version gets them', () => {
    const text = (v?: string) => JSON.stringify(snapshot(mesh, at(v)).snap);
    for (const f of ['istio.stats', 'istio.metadata_exchange', 'envoy.filters.http.grpc_stats']) {
      assert.ok(!text('1.10.6').includes(f), `1.10: ${f}`);
      assert.ok(text().includes(f), `current: ${f}`);
    }
  });
});
