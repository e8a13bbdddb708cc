/**
 * Tests for proto/encode.ts encodeSpliced and the Interner's spliced RouteConfigurations
 * (server/cache/classsnapshot.ts): a RouteConfiguration assembled from separately encoded (and
 * cached) virtual hosts must be byte for byte the canonical encoding of the whole message, or
 * versions would differ between a push and a restart.
 */
import { strict as assert } from 'node:assert';
import { encodeMessage, encodeResource, encodeSpliced } from './encode.js';
import { RDS } from './typeurls.js';
import { Interner } from '../server/cache/classsnapshot.js';

const RC = 'envoy.config.route.v3.RouteConfiguration';
const VH = 'envoy.config.route.v3.VirtualHost';

function vhost(i: number, weight = 90): Record<string, unknown> {
  return {
    name: `svc-${i}.ns.svc.cluster.local:8080`,
    domains: [`svc-${i}.ns.svc.cluster.local`, `svc-${i}`, `10.0.0.${i}`],
    routes: [
      {
        name: 'default',
        match: { prefix: '/' },
        route: {
          weighted_clusters: {
            clusters: [
              { name: `outbound|8080|v1|svc-${i}.ns.svc.cluster.local`, weight: { value: weight } },
              { name: `outbound|8080|v2|svc-${i}.ns.svc.cluster.local`, weight: { value: 100 - weight } },
            ],
          },
          timeout: { seconds: i % 3 },
        },
      },
    ],
    include_request_attempt_count: true,
  };
}

function routeConfig(n: number, weightOf: (i: number) => number = () => 90): Record<string, unknown> {
  return {
    name: '8080',
    virtual_hosts: Array.from({ length: n }, (_, i) => vhost(i, weightOf(i))),
    validate_clusters: { value: false },
    ignore_port_in_host_matching: true,
    request_headers_to_add: [{ header: { key: 'x-a', value: 'b' } }],
  };
}

describe('proto/encode encodeSpliced', () => {
  it('equals the canonical encoding of the whole message (fields before and after the spliced one)', () => {
    for (const n of [0, 1, 3, 40]) {
      const rc = routeConfig(n);
      const spliced = encodeSpliced(RC, rc, 'virtual_hosts', (vh) => encodeMessage(VH, vh));
      assert.deepEqual(Buffer.from(spliced), Buffer.from(encodeMessage(RC, rc)), `${n} virtual hosts`);
    }
  });

  it('equals it without a name too (nothing before the spliced field)', () => {
    const { name: _name, ...rc } = routeConfig(5);
    const spliced = encodeSpliced(RC, rc, 'virtual_hosts', (vh) => encodeMessage(VH, vh));
    assert.deepEqual(Buffer.from(spliced), Buffer.from(encodeMessage(RC, rc)));
  });

  it('a bad virtual host is still an EncodeError naming its path in the route config', () => {
    const rc = routeConfig(20);
    (rc['virtual_hosts'] as Record<string, unknown>[])[7]!['no_such_field'] = 1;
    const i = new Interner();
    assert.throws(() => i.encode(RDS, RC, '8080', rc), /RouteConfiguration\.virtual_hosts\[7\]\.no_such_field/);
  });
});

describe('server/cache Interner route configs from cached virtual hosts', () => {
  it('gives the bytes and version of a whole encode, before and after one virtual host changes', () => {
    const i = new Interner();
    const a = routeConfig(50);
    const first = i.encode(RDS, RC, '8080', a);
    assert.deepEqual(Buffer.from(first.any), Buffer.from(encodeResource(RC, '8080', a).any));
    assert.equal(first.version, encodeResource(RC, '8080', a).version);
    i.rotate();
    const b = routeConfig(50, (k) => (k === 17 ? 70 : 90));
    const got = i.encode(RDS, RC, '8080', b);
    const want = encodeResource(RC, '8080', b);
    assert.deepEqual(Buffer.from(got.any), Buffer.from(want.any));
    assert.equal(got.version, want.version);
    assert.notEqual(got.version, encodeResource(RC, '8080', a).version);
  });
});
