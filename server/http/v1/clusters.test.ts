/**
 * Unit tests for the v3 → v1 cluster and SDS host rendering, including what is left out and why.
 */
import { strict as assert } from 'node:assert';
import type { Cluster, ClusterLoadAssignment } from '../../../proto/types.js';
import { renderCluster } from './clusters.js';
import { renderHosts } from './registration.js';
import type { Omission } from './types.js';

const EDS_NAME = 'outbound|9080|v1|reviews.default.svc.cluster.local';
const eds = (over: Partial<Cluster> = {}): Cluster => ({
  name: EDS_NAME,
  type: 'EDS',
  eds_cluster_config: { eds_config: { ads: {} }, service_name: EDS_NAME },
  connect_timeout: { seconds: 10 },
  lb_policy: 'LEAST_REQUEST',
  metadata: { filter_metadata: {} },
  ...over,
});
const TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

function render(c: Cluster): { v1: ReturnType<typeof renderCluster>; omitted: Omission[] } {
  const omitted: Omission[] = [];
  return { v1: renderCluster(c, omitted), omitted };
}

describe('v1 clusters', () => {
  it('renders an EDS cluster as type sds with its EDS service name', () => {
    assert.deepEqual(render(eds()).v1, {
      name: EDS_NAME,
      type: 'sds',
      service_name: EDS_NAME,
      lb_type: 'least_request',
      connect_timeout_ms: 10000,
    });
    assert.equal(render(eds({ lb_policy: undefined, connect_timeout: { seconds: 0, nanos: 250_000_000 } })).v1?.lb_type, 'round_robin');
  });

  it('renders static and original-dst clusters', () => {
    assert.deepEqual(render({ name: 'BlackHoleCluster', type: 'STATIC', connect_timeout: { seconds: 10 } }).v1, {
      name: 'BlackHoleCluster',
      type: 'static',
      lb_type: 'round_robin',
      connect_timeout_ms: 10000,
      hosts: [],
    });
    assert.deepEqual(
      render({ name: 'PassthroughCluster', type: 'ORIGINAL_DST', connect_timeout: { seconds: 10 }, lb_policy: 'CLUSTER_PROVIDED' }).v1,
      { name: 'PassthroughCluster', type: 'original_dst', lb_type: 'original_dst_lb', connect_timeout_ms: 10000 },
    );
    const dns = render({
      name: 'ext',
      type: 'STRICT_DNS',
      connect_timeout: { seconds: 1 },
      load_assignment: {
        cluster_name: 'ext',
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'example.com', port_value: 443 } } } }] }],
      },
    });
    assert.deepEqual(dns.v1?.hosts, [{ url: 'tcp://example.com:443' }]);
  });

  it('renders file-based TLS as an ssl_context', () => {
    const c = eds({
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': TLS,
          sni: 'reviews',
          common_tls_context: {
            tls_certificates: [
              { certificate_chain: { filename: '/etc/certs/cert-chain.pem' }, private_key: { filename: '/etc/certs/key.pem' } },
            ],
            validation_context: {
              trusted_ca: { filename: '/etc/certs/root-cert.pem' },
              match_subject_alt_names: [{ exact: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews' }],
            },
          },
        } as never,
      },
    });
    assert.deepEqual(render(c).v1?.ssl_context, {
      cert_chain_file: '/etc/certs/cert-chain.pem',
      private_key_file: '/etc/certs/key.pem',
      ca_cert_file: '/etc/certs/root-cert.pem',
      verify_subject_alt_name: ['spiffe://cluster.local/ns/default/sa/bookinfo-reviews'],
      sni: 'reviews',
    });
  });

  it('maps circuit breakers and outlier detection, reporting what v1 lacks', () => {
    const { v1, omitted } = render(
      eds({
        circuit_breakers: { thresholds: [{ max_connections: { value: 100 }, max_requests: { value: 10 }, track_remaining: true }] },
        outlier_detection: {
          consecutive_5xx: { value: 5 },
          interval: { seconds: 10 },
          base_ejection_time: { seconds: 30 },
          max_ejection_percent: { value: 50 },
          split_external_local_origin_errors: true,
        },
      }),
    );
    assert.deepEqual(v1?.circuit_breakers, { default: { max_connections: 100, max_requests: 10 } });
    assert.deepEqual(v1?.outlier_detection, {
      consecutive_5xx: 5,
      max_ejection_percent: 50,
      interval_ms: 10000,
      base_ejection_time_ms: 30000,
    });
    assert.deepEqual(
      omitted.map((o) => `${o.level} ${o.reason}`),
      ['field track_remaining do not exist in v1', 'field split_external_local_origin_errors do not exist in v1'],
    );
  });

  const leftOut: [string, Cluster, RegExp][] = [
    [
      'SDS certificates',
      eds({
        transport_socket: {
          name: 'tls',
          typed_config: { '@type': TLS, common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'default' }] } } as never,
        },
      }),
      /SDS/,
    ],
    ['per-endpoint TLS choice', eds({ transport_socket_matches: [{ name: 'tlsMode-istio' }] }), /transport_socket_matches/],
    ['a Maglev balancer', eds({ lb_policy: 'MAGLEV' }), /MAGLEV/],
  ];
  for (const [what, c, why] of leftOut) {
    it(`leaves out a cluster with ${what} (a plaintext or differently balanced stand-in would be half-right)`, () => {
      const { v1, omitted } = render(c);
      assert.equal(v1, undefined);
      assert.deepEqual(
        omitted.map((o) => o.level),
        ['cluster'],
      );
      assert.match(omitted[0]!.reason, why);
    });
  }
});

describe('v1 registration hosts', () => {
  const cla: ClusterLoadAssignment = {
    cluster_name: EDS_NAME,
    endpoints: [
      {
        locality: { region: 'eu', zone: 'a' },
        load_balancing_weight: { value: 2 },
        lb_endpoints: [
          { endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 9080 } } }, load_balancing_weight: { value: 3 } },
          { endpoint: { address: { socket_address: { address: '10.0.0.2', port_value: 9080 } } }, health_status: 'UNHEALTHY' },
        ],
      },
      {
        locality: { zone: 'b' },
        priority: 1,
        lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.3', port_value: 9080 } } } }],
      },
    ],
  };

  it('lists serving endpoints as {ip_address, port, tags} and leaves out unhealthy and failover ones', () => {
    const omitted: Omission[] = [];
    assert.deepEqual(renderHosts(cla, omitted), [
      { ip_address: '10.0.0.1', port: 9080, tags: { az: 'eu/a', canary: false, load_balancing_weight: 3 } },
    ]);
    assert.deepEqual(
      omitted.map((o) => `${o.level} ${o.where}`),
      [`host ${EDS_NAME}/10.0.0.2:9080`, `host ${EDS_NAME}/b`],
    );
  });
});
