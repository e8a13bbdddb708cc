/**
 * Tests for proto/envelope.ts: the hand-written DiscoveryResponse envelope must be byte for byte
 * what protobufjs encodes for the same fields (Envoy and grpc-js clients decode it, and versions
 * are compared across restarts), whatever the field lengths (varint boundaries, multi-byte UTF-8),
 * and must write only the first n bytes of a longer buffer its allocator lends.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { writeSotwEnvelope } from './envelope.js';
import { messageType } from './registry.js';

const RESPONSE = 'envoy.service.discovery.v3.DiscoveryResponse';

function reference(versionInfo: string, typeUrl: string, nonce: string, anys: readonly Uint8Array[], id: string): Uint8Array {
  const t = messageType(RESPONSE);
  const resources = anys.map((a) => messageType('google.protobuf.Any').decode(a));
  return t
    .encode(
      t.fromObject({
        ...(versionInfo ? { version_info: versionInfo } : {}),
        resources,
        type_url: typeUrl,
        nonce,
        control_plane: { identifier: id },
      }),
    )
    .finish();
}

function any(typeUrl: string, size: number): Uint8Array {
  const t = messageType('google.protobuf.Any');
  return t.encode(t.fromObject({ type_url: typeUrl, value: Buffer.alloc(size, 7) })).finish();
}

describe('proto/envelope writeSotwEnvelope', () => {
  it('equals protobufjs for the shapes a push sends', () => {
    const cds = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
    const cases: [string, string, string, Uint8Array[]][] = [
      ['2026-11-30T07:00:00Z/42', cds, '17', [any(cds, 10), any(cds, 200), any(cds, 20_000)]],
      ['', cds, 'n', []], // an empty version is left out (proto3 default), as the Writer-built envelope did
      ['v', cds, 'nonce-ü-€', [any(cds, 127), any(cds, 128), any(cds, 16_383), any(cds, 16_384), any(cds, 2_097_152)]],
    ];
    for (const [v, t, n, anys] of cases) {
      assert.deepEqual(Buffer.from(writeSotwEnvelope(v, t, n, anys, 'tspilot')), Buffer.from(reference(v, t, n, anys, 'tspilot')));
    }
  });

  it('equals protobufjs for any strings and resource sizes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.string({ maxLength: 200 }),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 6 }),
        (version, typeSuffix, nonce, sizes) => {
          const t = `type.googleapis.com/${typeSuffix}`;
          const anys = sizes.map((s) => any(t, s));
          return Buffer.from(writeSotwEnvelope(version, t, nonce, anys, 'tspilot')).equals(reference(version, t, nonce, anys, 'tspilot'));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes into the buffer its allocator lends and nothing past n bytes', () => {
    const cds = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
    const lent = Buffer.alloc(4096, 0xee);
    const out = writeSotwEnvelope('1', cds, '2', [any(cds, 100)], 'tspilot', () => lent);
    assert.equal(out.buffer, lent.buffer);
    assert.deepEqual(Buffer.from(out), Buffer.from(reference('1', cds, '2', [any(cds, 100)], 'tspilot')));
    assert.ok(lent.subarray(out.length).every((b) => b === 0xee));
  });
});
