/**
 * Wire-level tests of the translators' output (design invariants 2 and 6): every resource of every
 * xDS type, for sidecars and proxyless clients in two namespaces, encodes (proto/encode.ts throws
 * on fields the Envoy protos do not have) and passes Envoy's own validate.rules
 * (proto/validate.ts); generating twice, or from the same files read in another order, gives
 * byte-identical resources — so two replicas serve the same versions and a proxy sees no spurious
 * pushes. Also checks on the wire what the gRPC clients insist on (a locality in every EDS group).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzParams } from '../e2e/fuzz.js';
import type { MeshConfig } from '../model/config.js';
import type { Proxy } from '../model/proxy.js';
import { encodeResource } from '../proto/encode.js';
import { messageType } from '../proto/registry.js';
import { validateMessage } from '../proto/validate.js';
import { generate, type Generated } from './index.js';
import { NODE_DEFAULT, NODE_SHOP } from './testdata/mesh.js';
import { buildFrom, meshFiles, proxy } from './testdata/build.js';

const TYPES = {
  clusters: 'envoy.config.cluster.v3.Cluster',
  endpoints: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
  listeners: 'envoy.config.listener.v3.Listener',
  routes: 'envoy.config.route.v3.RouteConfiguration',
} as const;

/** The proxies whose output is checked, with extra names a proxyless client may ask for by name. */
const PROXIES: readonly { label: string; proxy: Proxy; extraListeners: readonly string[] }[] = [
  { label: 'sidecar/default', proxy: proxy(NODE_DEFAULT), extraListeners: [] },
  { label: 'sidecar/shop', proxy: proxy(NODE_SHOP), extraListeners: [] },
  {
    label: 'grpc/default',
    proxy: proxy(NODE_DEFAULT, { GENERATOR: 'grpc', NAMESPACE: 'default' }),
    extraListeners: ['reviews:9080', 'echo:8080', 'reviews', 'ratings.default:9080'],
  },
  { label: 'grpc/shop', proxy: proxy(NODE_SHOP, { GENERATOR: 'grpc' }), extraListeners: ['cart:9080', 'reviews.default:9080'] },
];

/** Every resource `g` serves, encoded: `type/name` → bytes, in names() order. */
function encodeAll(g: Generated, extraListeners: readonly string[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [key, typeName] of Object.entries(TYPES) as [keyof typeof TYPES, string][]) {
    const names = key === 'listeners' ? [...g.listeners.names(), ...extraListeners] : g[key].names();
    assert.ok(names.length > 0, `${key}: nothing generated`);
    for (const name of names) {
      const res = g[key].get(name);
      assert.ok(res, `${key} ${name} is listed but not served`);
      out.set(`${key}/${name}`, encodeResource(typeName, name, res).bytes);
    }
  }
  return out;
}

function assertSameBytes(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>, what: string): void {
  assert.deepEqual([...b.keys()], [...a.keys()], `${what}: same resources in the same order`);
  for (const [k, bytes] of a) assert.ok(Buffer.from(bytes).equals(Buffer.from(b.get(k)!)), `${what}: ${k} differs`);
}

/** Reorders the documents of a file (a `---` line separates them) by the sort keys given. */
function shuffleDocs(text: string, keys: readonly number[]): string {
  const docs = text.split(/^---\s*$/m);
  const order = docs.map((_, i) => i).sort((a, b) => keys[a % keys.length]! - keys[b % keys.length]! || a - b);
  return order.map((i) => docs[i]).join('\n---\n');
}

describe('translators output on the wire', () => {
  let mesh: MeshConfig;
  before(() => {
    mesh = buildFrom(meshFiles());
  });

  for (const p of PROXIES) {
    it(`${p.label}: every resource encodes and passes Envoy's validate.rules`, () => {
      const g = generate(mesh, p.proxy);
      const encoded = encodeAll(g, p.extraListeners);
      const problems: string[] = [];
      for (const [key, bytes] of encoded) {
        const typeName = TYPES[key.slice(0, key.indexOf('/')) as keyof typeof TYPES];
        for (const v of validateMessage(typeName, bytes)) problems.push(`${key}: ${v.path} ${v.rule}: ${v.message}`);
      }
      assert.deepEqual(problems, []);
    });
  }

  it('every EDS locality carries a locality message and a weight on the wire (grpc-js NACKs without)', () => {
    const cla = messageType(TYPES.endpoints);
    for (const p of PROXIES) {
      const g = generate(mesh, p.proxy);
      for (const name of g.endpoints.names()) {
        const decoded = cla.decode(encodeResource(TYPES.endpoints, name, g.endpoints.get(name)).bytes) as unknown as {
          endpoints: { locality: unknown; load_balancing_weight: { value: number } | null }[];
        };
        for (const l of decoded.endpoints) {
          assert.ok(l.locality, `${p.label} ${name}: locality on the wire`);
          assert.ok(l.load_balancing_weight && l.load_balancing_weight.value > 0, `${p.label} ${name}: weight on the wire`);
        }
      }
    }
  });

  it('generating twice gives byte-identical resources', () => {
    for (const p of PROXIES) {
      assertSameBytes(encodeAll(generate(mesh, p.proxy), p.extraListeners), encodeAll(generate(mesh, p.proxy), p.extraListeners), p.label);
    }
  });

  it('the same files in any order (and documents in any order) give byte-identical resources', () => {
    const files = meshFiles();
    const expected = PROXIES.map((p) => encodeAll(generate(mesh, p.proxy), p.extraListeners));
    fc.assert(
      fc.property(
        fc.shuffledSubarray(files, { minLength: files.length, maxLength: files.length }),
        fc.array(fc.nat(1000), { minLength: 16, maxLength: 16 }),
        (shuffled, docKeys) => {
          const again = buildFrom(shuffled.map((f) => ({ source: f.source, text: shuffleDocs(f.text, docKeys) })));
          PROXIES.forEach((p, i) =>
            assertSameBytes(
              expected[i]!,
              encodeAll(generate(again, p.proxy), p.extraListeners),
              `${p.label} from ${shuffled.map((f) => f.source).join(', ')}`,
            ),
          );
        },
      ),
      fuzzParams(12),
    );
  });
});
