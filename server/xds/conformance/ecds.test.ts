/**
 * ECDS in the xDS conformance suite: extension configs an EnvoyFilter's EXTENSION_CONFIG ADDs
 * define are served as `envoy.config.core.v3.TypedExtensionConfig` on the ADS stream, like every
 * other type — named subscriptions (how Envoy asks, from a filter's `config_discovery`) and
 * wildcard, per-type versions, ACK/NACK, removal — for SotW and Delta, in memory and over gRPC,
 * through the same harness and Peer as conformance.test.ts.
 */
import { strict as assert } from 'node:assert';
import { CDS, ECDS, LDS, RDS } from '../../../proto/typeurls.js';
import { messageType } from '../../../proto/registry.js';
import { fixtureYaml } from './fixture.js';
import { meshOf, startHarness, NODE, type Harness, type Transport, type Variant } from './harness.js';
import { Peer, names } from './peer.js';
import { configDump } from '../../http/configdump.js';

/** An EnvoyFilter in the root namespace (every proxy) defining `configs` (name → Lua source), and an HTTP filter that loads `lua-a` over ECDS. */
function ecdsYaml(configs: Record<string, string>, extra = ''): string {
  const adds = Object.entries(configs)
    .map(
      ([name, code]) => `  - applyTo: EXTENSION_CONFIG
    patch:
      operation: ADD
      value:
        name: ${name}
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
          default_source_code: {inline_string: "${code}"}`,
    )
    .join('\n');
  return `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ecds, namespace: istio-system}
spec:
  configPatches:
${adds}
  - applyTo: HTTP_FILTER
    match:
      context: SIDECAR_OUTBOUND
      listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}
    patch:
      operation: INSERT_BEFORE
      value:
        name: lua-a
        config_discovery:
          config_source: {ads: {}, resource_api_version: V3}
          type_urls: [type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua]
${extra}`;
}

const mesh = (configs: Record<string, string>): ReturnType<typeof meshOf> => meshOf(`${fixtureYaml()}---\n${ecdsYaml(configs)}`);

const transports: Transport[] = ['memory', 'grpc'];
const variants: Variant[] = ['sotw', 'delta'];

for (const transport of transports) {
  for (const variant of variants) {
    describe(`xDS conformance, ECDS: ${variant} over ${transport}`, function () {
      this.timeout(20_000);
      let h: Harness;
      const peer = (name?: string): Peer => new Peer(h.connect(variant), variant, NODE(name));
      afterEach(async () => {
        await h?.stop();
      });

      it('a named subscription gets exactly the named extension configs, packed as TypedExtensionConfig', async () => {
        h = await startHarness(transport, mesh({ 'lua-a': 'a', 'lua-b': 'b' }));
        const p = peer();
        p.sub(ECDS, ['lua-a']);
        const r = await p.recvAck();
        assert.equal(r.typeUrl, ECDS);
        assert.deepEqual(names(r), ['lua-a']);
        assert.deepEqual(
          r.resources.map((x) => x.typeUrl),
          [ECDS],
        );
        // The bytes are a TypedExtensionConfig carrying the Lua config the EnvoyFilter defined.
        const raw = h.engine.streams()[0]!.types.get(ECDS)!.sent!.get('lua-a')!;
        const msg = messageType('envoy.config.core.v3.TypedExtensionConfig').decode(raw.bytes) as unknown as {
          name: string;
          typed_config: { type_url: string };
        };
        assert.equal(msg.name, 'lua-a');
        assert.equal(msg.typed_config.type_url, 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua');
      });

      it('config_dump shows the extension configs the stream holds (EcdsConfigDump), and only for a stream that subscribed', async () => {
        h = await startHarness(transport, mesh({ 'lua-a': 'a', 'lua-b': 'b' }));
        const p = peer();
        p.sub(CDS, variant === 'delta' ? ['*'] : []);
        await p.recvAck();
        const typesOf = (d: unknown): string[] => (d as { configs: { '@type': string }[] }).configs.map((c) => c['@type']);
        assert.ok(!typesOf(configDump(h.engine.streams()[0]!)).some((t) => t.endsWith('EcdsConfigDump')));
        p.sub(ECDS, ['lua-a']);
        await p.recvAck();
        assert.ok(await p.c.none()); // the ACK has arrived
        const dump = configDump(h.engine.streams()[0]!) as {
          configs: { '@type': string; ecds_filters?: unknown; ecdsFilters?: unknown }[];
        };
        const ecds = dump.configs.find((c) => c['@type'].endsWith('EcdsConfigDump'));
        assert.ok(ecds, JSON.stringify(typesOf(dump)));
        const filters = (ecds.ecdsFilters ?? ecds.ecds_filters) as { ecdsFilter: { name: string; '@type': string } }[];
        assert.deepEqual(
          filters.map((f) => f.ecdsFilter.name),
          ['lua-a'],
        );
      });

      it('a wildcard subscription gets every extension config the proxy has', async () => {
        h = await startHarness(transport, mesh({ 'lua-a': 'a', 'lua-b': 'b' }));
        const p = peer();
        p.sub(ECDS, variant === 'delta' ? ['*'] : []);
        assert.deepEqual(names(await p.recvAck()).sort(), ['lua-a', 'lua-b']);
      });

      it('the listener that references a config and the config itself are on the same stream, ECDS after LDS', async () => {
        h = await startHarness(transport, mesh({ 'lua-a': 'a' }));
        const p = peer();
        p.sub(LDS, variant === 'delta' ? ['*'] : []);
        p.sub(ECDS, ['lua-a']);
        const order = [(await p.recvAck()).typeUrl, (await p.recvAck()).typeUrl];
        assert.deepEqual(order, [LDS, ECDS]);
        h.engine.push(mesh({ 'lua-a': 'changed' }));
        // Only the config changed: no LDS, CDS or RDS is resent, just the new ECDS version.
        const r = await p.recvAck();
        assert.equal(r.typeUrl, ECDS);
        assert.deepEqual(names(r), ['lua-a']);
        assert.ok(await p.c.none());
      });

      it('a changed config gets a new version; an unchanged push sends nothing', async () => {
        h = await startHarness(transport, mesh({ 'lua-a': 'a', 'lua-b': 'b' }));
        const p = peer();
        p.sub(ECDS, ['lua-a', 'lua-b']);
        const r1 = await p.recvAck();
        h.engine.push(mesh({ 'lua-a': 'a', 'lua-b': 'b' }));
        assert.ok(await p.c.none(), 'same configs: nothing resent');
        h.engine.push(mesh({ 'lua-a': 'a', 'lua-b': 'b2' }));
        const r2 = await p.recvAck();
        assert.notEqual(r2.versionInfo, r1.versionInfo);
        if (variant === 'delta') assert.deepEqual(names(r2), ['lua-b'], 'delta sends only what changed');
        else assert.deepEqual(names(r2).sort(), ['lua-a', 'lua-b']);
        assert.ok(await p.c.none(), 'the ACK is not answered'); // and, over gRPC, has arrived
        const st = h.engine.streams()[0]!.types.get(ECDS)!;
        assert.equal(st.ackedNonce, r2.nonce);
      });

      it('a NACKed config is recorded and not resent; the next change is sent', async () => {
        h = await startHarness(transport, mesh({ 'lua-a': 'a' }));
        const p = peer();
        p.sub(ECDS, ['lua-a']);
        await p.recvAck();
        h.engine.push(mesh({ 'lua-a': 'bad' }));
        const bad = await p.next();
        p.nack(bad, 'lua: syntax error');
        assert.ok(await p.c.none());
        assert.equal(h.engine.streams()[0]!.types.get(ECDS)!.nack?.message, 'lua: syntax error');
        h.engine.push(mesh({ 'lua-a': 'fixed' }));
        const r = await p.recvAck();
        assert.deepEqual(names(r), ['lua-a']);
        assert.notEqual(r.versionInfo, bad.versionInfo);
      });

      it('an EnvoyFilter that stops defining a config removes it (Delta: removed_resources; SotW: left out)', async () => {
        h = await startHarness(transport, mesh({ 'lua-a': 'a', 'lua-b': 'b' }));
        const p = peer();
        p.sub(ECDS, variant === 'delta' ? ['*'] : []);
        await p.recvAck();
        h.engine.push(mesh({ 'lua-a': 'a' }));
        const r = await p.recvAck();
        if (variant === 'delta') assert.deepEqual(r.removed, ['lua-b']);
        else assert.deepEqual(names(r), ['lua-a']);
      });

      it('a proxy no EnvoyFilter selects has no extension configs, and the other types are unaffected', async () => {
        h = await startHarness(transport, meshOf(fixtureYaml()));
        const p = peer();
        p.sub(ECDS, ['lua-a']);
        if (variant === 'delta') assert.deepEqual((await p.recvAck()).removed, ['lua-a']);
        else assert.ok(await p.c.none());
        p.sub(CDS, variant === 'delta' ? ['*'] : []);
        assert.equal((await p.recvAck()).typeUrl, CDS);
        p.sub(RDS, ['80']);
        assert.equal((await p.recvAck()).typeUrl, RDS);
      });
    });
  }
}
