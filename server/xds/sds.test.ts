/**
 * Gateway secrets over SDS through the engine (in memory, with the caller's identity set on the
 * stream as the TLS port's authenticator would): a gateway authenticated in the Secret's namespace
 * gets it, anyone else gets nothing (and the stream goes on), a rotation reaches only the streams
 * subscribed to that Secret, and the key never shows in config_dump or configz.
 */
import { strict as assert } from 'node:assert';
import { messageType } from '../../proto/registry.js';
import { CDS, SDS } from '../../proto/typeurls.js';
import type { WireNode } from '../../proto/wire.js';
import type { CallerIdentity } from '../security/identity.js';
import { configDump } from '../http/configdump.js';
import { debugRoutes } from '../http/debug.js';
import { pushScope } from '../../watchers/store/scope.js';
import { meshOf, startHarness, type Harness, type Variant } from './conformance/harness.js';
import { Peer } from './conformance/peer.js';
import { b64, pem, sdsYaml } from './conformance/secrets.js';

const GW = (name = 'gw-1', ns = 'istio-system'): WireNode => ({
  id: `router~10.0.0.9~${name}.${ns}~${ns}.svc.cluster.local`,
  cluster: 'test',
  metadata: { NAMESPACE: ns, LABELS: { istio: 'ingressgateway' } },
  userAgentName: 'sds-test',
  clientFeatures: [],
  locality: null,
});
const id = (ns: string, sa = 'istio-ingressgateway'): CallerIdentity => ({
  spiffe: [`spiffe://cluster.local/ns/${ns}/sa/${sa}`],
  method: 'jwt',
});

/** The private key bytes of the Secret resource in a raw response, if any. */
function keysIn(raw: Uint8Array, variant: Variant): string[] {
  const t = messageType(
    variant === 'sotw' ? 'envoy.service.discovery.v3.DiscoveryResponse' : 'envoy.service.discovery.v3.DeltaDiscoveryResponse',
  );
  const o = t.toObject(t.decode(raw), { defaults: true, arrays: true }) as {
    resources: ({ value: Uint8Array } | { resource: { value: Uint8Array } })[];
  };
  const sec = messageType('envoy.extensions.transport_sockets.tls.v3.Secret');
  return o.resources.map((r) => {
    const bytes = 'value' in r ? r.value : r.resource.value;
    const s = sec.toObject(sec.decode(bytes)) as { tls_certificate?: { private_key?: { inline_bytes?: Uint8Array } } };
    return Buffer.from(s.tls_certificate?.private_key?.inline_bytes ?? []).toString('utf8');
  });
}

for (const variant of ['sotw', 'delta'] as Variant[]) {
  describe(`SDS gateway secrets (${variant})`, () => {
    let h: Harness;
    afterEach(async () => {
      await h?.stop();
    });

    it("a gateway authenticated in the Secret's namespace gets kubernetes://<name> (cert and key) and <name>-cacert (CA only)", async () => {
      h = await startHarness('memory', meshOf(sdsYaml()));
      const p = new Peer(h.connect(variant, undefined, { identity: id('istio-system') }), variant, GW());
      p.sub(SDS, ['kubernetes://gw-cert']);
      const r = await p.recvAck();
      assert.deepEqual(
        r.resources.map((x) => x.name),
        ['kubernetes://gw-cert'],
      );
      assert.equal(r.resources[0]!.typeUrl, SDS);
      assert.deepEqual(keysIn(p.c.raw.at(-1)!, variant), [pem('gw-a.key')]);
      p.sub(SDS, ['kubernetes://gw-cert-cacert', 'kubernetes-gateway://istio-system/other-cert']);
      const r2 = await p.recvAck();
      assert.ok(r2.resources.some((x) => x.name === 'kubernetes://gw-cert-cacert'));
      assert.ok(r2.resources.some((x) => x.name === 'kubernetes-gateway://istio-system/other-cert'));
    });

    it("no identity (plaintext port), another namespace's identity, a sidecar, or another namespace's Secret: nothing, logged, the stream goes on", async () => {
      const denied: string[] = [];
      h = await startHarness(
        'memory',
        meshOf(sdsYaml()),
        {},
        { secretsDenied: (_s, d) => denied.push(...d.map((x) => `${x.name}: ${x.reason}`)) },
      );
      const anon = new Peer(h.connect(variant), variant, GW('anon'));
      anon.sub(SDS, ['kubernetes://gw-cert']);
      const other = new Peer(h.connect(variant, undefined, { identity: id('team') }), variant, GW('other'));
      other.sub(SDS, ['kubernetes://gw-cert', 'kubernetes://istio-system/gw-cert']);
      const sidecar = new Peer(h.connect(variant, undefined, { identity: id('istio-system', 'app') }), variant, {
        ...GW('app'),
        id: 'sidecar~10.0.0.5~app.istio-system~istio-system.svc.cluster.local',
      });
      sidecar.sub(SDS, ['kubernetes://gw-cert']);
      const cross = new Peer(h.connect(variant, undefined, { identity: id('istio-system') }), variant, GW('cross'));
      cross.sub(SDS, ['kubernetes://team/team-cert']);
      for (const p of [anon, other, sidecar, cross]) assert.ok(await p.c.none(), 'no secret sent');
      assert.ok(
        denied.some((d) => d.includes('no authenticated identity')),
        denied.join('\n'),
      );
      assert.ok(
        denied.some((d) => d.includes("not the caller's (team)")),
        denied.join('\n'),
      );
      assert.ok(
        denied.some((d) => d.includes('only gateways')),
        denied.join('\n'),
      );
      assert.ok(
        denied.some((d) => d.startsWith('kubernetes://team/team-cert')),
        denied.join('\n'),
      );
      assert.ok(!denied.some((d) => d.includes('BEGIN')), 'no key material in log lines');
      // The stream still works for everything else.
      anon.sub(CDS, variant === 'delta' ? ['*'] : []);
      assert.equal((await anon.next()).typeUrl, CDS);
      assert.equal(h.engine.counters.rejectedStreams, 0);
    });

    it('a rotated Secret is pushed (SDS only) to the streams subscribed to it, and to no one else', async () => {
      h = await startHarness('memory', meshOf(sdsYaml('gw-a')));
      const holder = new Peer(h.connect(variant, undefined, { identity: id('istio-system') }), variant, GW('holder'));
      holder.sub(SDS, ['kubernetes://gw-cert']);
      const first = await holder.recvAck();
      const bystander = new Peer(h.connect(variant, undefined, { identity: id('istio-system') }), variant, GW('bystander'));
      bystander.sub(SDS, ['kubernetes://other-cert']);
      await bystander.recvAck();
      bystander.sub(CDS, variant === 'delta' ? ['*'] : []);
      await bystander.recvAck();
      const before = h.cache.mesh;
      const next = meshOf(sdsYaml('gw-b'));
      const scope = pushScope(before, { mesh: next, kinds: new Set(['Secret']), keys: new Set(['Secret/istio-system/gw-cert']) });
      assert.deepEqual(scope, { kind: 'secrets' });
      assert.equal(h.engine.push(next, scope), 1);
      const rotated = await holder.recvAck();
      assert.equal(rotated.typeUrl, SDS);
      assert.notEqual(rotated.versionInfo, first.versionInfo);
      assert.deepEqual(keysIn(holder.c.raw.at(-1)!, variant), [pem('gw-b.key')]);
      assert.ok(await bystander.c.none());
    });

    it('config_dump and configz never carry the key', async () => {
      h = await startHarness('memory', meshOf(sdsYaml()));
      const p = new Peer(h.connect(variant, undefined, { identity: id('istio-system') }), variant, GW());
      p.sub(SDS, ['kubernetes://gw-cert']);
      await p.recvAck();
      const key = pem('gw-a.key').split('\n')[1]!;
      const st = h.engine.streams()[0]!;
      const dump = JSON.stringify(configDump(st, { includeEds: true }));
      assert.ok(!dump.includes(key) && !dump.includes(b64(pem('gw-a.key')).slice(0, 40)));
      const router = debugRoutes({ engine: h.engine, mesh: () => h.cache.mesh, ready: () => true, sourceErrors: () => new Map() });
      const found = router.find('GET', '/debug/configz');
      assert.ok('handler' in found);
      const configz = JSON.stringify(
        (await found.handler({ url: new URL('http://x/debug/configz'), method: 'GET', body: '', headers: {} })).json,
      );
      assert.ok(configz.includes('gw-a.example.com'), 'configz shows the certificate subject');
      assert.ok(!configz.includes(key) && !configz.includes('PRIVATE KEY') && !configz.includes(b64(pem('gw-a.key')).slice(0, 40)));
      // Even serialized whole (a log line, a future dump), the model's Secret hides its values.
      assert.ok(!JSON.stringify(h.cache.mesh.secrets.get('istio-system/gw-cert')).includes('PRIVATE KEY'));
    });
  });
}
