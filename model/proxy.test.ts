/**
 * Tests for model/proxy.ts parseNodeId: istiod-format node IDs as sidecars, gateways and proxyless
 * gRPC clients send them, where the namespace and IPs come from, and the reasons given for IDs
 * that istiod would refuse (so an operator can tell why a proxy got no config).
 */
import assert from 'node:assert/strict';
import { parseNodeId, type Proxy } from './proxy.js';

const PRODUCTPAGE = 'sidecar~172.30.144.174~productpage-v1-c7765c886-v99jb.default~default.svc.cluster.local';

function ok(id: string, metadata: Record<string, unknown> = {}): Proxy {
  const r = parseNodeId(id, metadata);
  if (!r.ok) assert.fail(`expected ${id} to parse, got: ${r.reason}`);
  return r.proxy;
}

function reason(id: string, metadata: Record<string, unknown> = {}): string {
  const r = parseNodeId(id, metadata);
  if (r.ok) assert.fail(`expected ${id} to be refused, got ${JSON.stringify(r.proxy)}`);
  return r.reason;
}

describe('model/proxy parseNodeId', () => {
  describe('istiod node IDs', () => {
    it('parses a sidecar ID: type, IP, pod name, namespace and DNS domain', () => {
      const p = ok(PRODUCTPAGE);
      assert.equal(p.id, PRODUCTPAGE);
      assert.equal(p.type, 'sidecar');
      assert.equal(p.ip, '172.30.144.174');
      assert.deepEqual(p.ips, ['172.30.144.174']);
      assert.equal(p.workloadName, 'productpage-v1-c7765c886-v99jb');
      assert.equal(p.namespace, 'default');
      assert.equal(p.domain, 'default.svc.cluster.local');
      assert.equal(p.generator, 'envoy');
    });

    it('parses a gateway (router) ID', () => {
      const p = ok('router~10.244.0.7~istio-ingressgateway-5d8f9c7b4-abcde.istio-system~istio-system.svc.cluster.local');
      assert.equal(p.type, 'router');
      assert.equal(p.namespace, 'istio-system');
      assert.equal(p.workloadName, 'istio-ingressgateway-5d8f9c7b4-abcde');
    });

    it('accepts an IPv6 address in the ID', () => {
      const p = ok('sidecar~fd00:10:244::5~web-0.prod~prod.svc.cluster.local');
      assert.equal(p.ip, 'fd00:10:244::5');
    });

    it('takes the namespace from metadata NAMESPACE first', () => {
      const p = ok('sidecar~10.0.0.1~web-0.podns~domainns.svc.cluster.local', { NAMESPACE: 'metans' });
      assert.equal(p.namespace, 'metans');
    });

    it('falls back to the pod part, then to the DNS domain', () => {
      assert.equal(ok('sidecar~10.0.0.1~web-0.podns~domainns.svc.cluster.local').namespace, 'podns');
      const noNsInPod = ok('sidecar~10.0.0.1~vm-web~domainns.svc.cluster.local');
      assert.equal(noNsInPod.namespace, 'domainns');
      assert.equal(noNsInPod.workloadName, 'vm-web');
    });

    it('an empty NAMESPACE does not override the ID', () => {
      assert.equal(ok('sidecar~10.0.0.1~web-0.podns~x.svc.cluster.local', { NAMESPACE: '' }).namespace, 'podns');
    });

    it('INSTANCE_IPS wins over the IP in the ID, in order, trimmed', () => {
      const p = ok(PRODUCTPAGE, { INSTANCE_IPS: '10.1.2.3, fd00::3' });
      assert.equal(p.ip, '10.1.2.3');
      assert.deepEqual(p.ips, ['10.1.2.3', 'fd00::3']);
    });

    it('GENERATOR=grpc marks a proxyless gRPC client; anything else is an Envoy sidecar', () => {
      assert.equal(ok(PRODUCTPAGE, { GENERATOR: 'grpc', NAMESPACE: 'default' }).generator, 'grpc');
      assert.equal(ok(PRODUCTPAGE, { GENERATOR: 'envoy' }).generator, 'envoy');
      assert.equal(ok(PRODUCTPAGE, { GENERATOR: 'GRPC' }).generator, 'envoy');
    });

    it('keeps the string-valued LABELS of the metadata and the metadata itself', () => {
      const md = { LABELS: { app: 'web', version: 'v1', bad: 3 }, ISTIO_VERSION: '1.22.0' };
      const p = ok(PRODUCTPAGE, md);
      assert.deepEqual(p.labels, { app: 'web', version: 'v1' });
      assert.equal(p.metadata['ISTIO_VERSION'], '1.22.0');
    });
  });

  describe('malformed IDs are refused with a reason', () => {
    it('three parts: says 4 parts are needed and how many it got', () => {
      const r = reason('sidecar~10.0.0.1~web-0.default');
      assert.match(r, /4 parts/);
      assert.match(r, /got 3/);
      assert.match(r, /sidecar~10\.0\.0\.1~web-0\.default/, 'names the offending id');
    });

    it('five parts are refused too', () => {
      assert.match(reason('sidecar~10.0.0.1~web-0.default~default.svc.cluster.local~extra'), /got 5/);
    });

    it('an unknown proxy type names the type and the accepted ones', () => {
      const r = reason('envoy~10.0.0.1~web-0.default~default.svc.cluster.local');
      assert.match(r, /"envoy"/);
      assert.match(r, /sidecar/);
      assert.match(r, /router/);
    });

    it('a bad IP names the value', () => {
      assert.match(reason('sidecar~not-an-ip~web-0.default~default.svc.cluster.local'), /"not-an-ip" is not an IP address/);
      assert.match(reason('sidecar~10.0.0.256~web-0.default~default.svc.cluster.local'), /"10\.0\.0\.256" is not an IP/);
      assert.match(reason('sidecar~~web-0.default~default.svc.cluster.local'), /is not an IP/);
    });

    it('a bad IP in INSTANCE_IPS is refused even when the ID IP is good', () => {
      assert.match(reason(PRODUCTPAGE, { INSTANCE_IPS: '10.0.0.1,bogus' }), /"bogus" is not an IP/);
    });

    it('an empty pod part is refused', () => {
      assert.match(reason('sidecar~10.0.0.1~~default.svc.cluster.local', { NAMESPACE: 'default' }), /workload part .* is empty/);
    });

    it('no namespace anywhere is refused', () => {
      assert.match(reason('sidecar~10.0.0.1~vm-web~'), /no namespace/);
    });
  });
});
