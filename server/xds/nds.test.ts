/**
 * The DNS name table over a real grpc-js ADS stream, as pilot-agent asks for it: one unnamed
 * NameTable resource for a request without names (SotW and Delta), re-sent when a service's
 * address changes — also when only a headless service's endpoints move — and not otherwise.
 */
import { strict as assert } from 'node:assert';
import { messageType } from '../../proto/registry.js';
import { EDS, NDS } from '../../proto/typeurls.js';
import { meshOf, startHarness, NODE, type Harness, type Variant } from './conformance/harness.js';
import { Peer } from './conformance/peer.js';

const yaml = (opts: { vip?: string; dbIp?: string } = {}): string => `
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {clusterIP: ${opts.vip ?? '10.96.0.11'}, selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec: {clusterIP: None, selector: {app: db}, ports: [{name: tcp, port: 5432}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: db-1, namespace: default, labels: {kubernetes.io/service-name: db}}
addressType: IPv4
endpoints: [{addresses: ["${opts.dbIp ?? '10.244.1.7'}"]}]
ports: [{name: tcp, port: 5432}]
`;

function tableOf(raw: Uint8Array, variant: Variant): Record<string, { ips: string[]; shortname?: string }> {
  const t = messageType(
    variant === 'sotw' ? 'envoy.service.discovery.v3.DiscoveryResponse' : 'envoy.service.discovery.v3.DeltaDiscoveryResponse',
  );
  const o = t.toObject(t.decode(raw), { arrays: true }) as {
    resources: ({ type_url: string; value: Uint8Array } | { resource: { type_url: string; value: Uint8Array } })[];
  };
  assert.equal(o.resources.length, 1, 'one NameTable resource');
  const any = 'resource' in o.resources[0]! ? o.resources[0].resource : o.resources[0]!;
  assert.equal(any.type_url, NDS);
  const nt = messageType('istio.networking.nds.v1.NameTable');
  return (
    nt.toObject(nt.decode(any.value), { arrays: true, objects: true }) as { table: Record<string, { ips: string[]; shortname?: string }> }
  ).table;
}

for (const variant of ['sotw', 'delta'] as Variant[]) {
  describe(`NDS name table over gRPC (${variant})`, () => {
    let h: Harness;
    afterEach(async () => {
      await h?.stop();
    });

    it('a request without names gets the table; a VIP change and a headless endpoint change re-send it; an unrelated change does not', async () => {
      h = await startHarness('grpc', meshOf(yaml()));
      const p = new Peer(h.connect(variant), variant, NODE('agent'));
      p.sub(NDS, []);
      const first = await p.recvAck();
      assert.deepEqual(
        first.resources.map((r) => r.name),
        [''],
      );
      let t = tableOf(p.c.raw.at(-1)!, variant);
      assert.deepEqual(t['reviews.default.svc.cluster.local'], {
        ips: ['10.96.0.11'],
        registry: 'Kubernetes',
        shortname: 'reviews',
        namespace: 'default',
        alt_hosts: [],
      });
      assert.deepEqual(t['db.default.svc.cluster.local']?.ips, ['10.244.1.7']);

      h.engine.push(meshOf(yaml({ vip: '10.96.0.99' })));
      await p.recvAck();
      t = tableOf(p.c.raw.at(-1)!, variant);
      assert.deepEqual(t['reviews.default.svc.cluster.local']?.ips, ['10.96.0.99']);

      // Endpoint-only push of the headless service: its pod IPs are DNS answers.
      h.engine.push(meshOf(yaml({ vip: '10.96.0.99', dbIp: '10.244.1.8' })), {
        kind: 'endpoints',
        hosts: new Set(['db.default.svc.cluster.local']),
      });
      await p.recvAck();
      assert.deepEqual(tableOf(p.c.raw.at(-1)!, variant)['db.default.svc.cluster.local']?.ips, ['10.244.1.8']);

      // Nothing that the table shows changed: nothing sent.
      assert.equal(h.engine.push(meshOf(yaml({ vip: '10.96.0.99', dbIp: '10.244.1.8' }))), 0);
      assert.ok(await p.c.none());
      p.sub(EDS, ['outbound|9080||reviews.default.svc.cluster.local']);
      assert.equal((await p.next()).typeUrl, EDS, 'the stream serves other types next to NDS');
    });
  });
}
