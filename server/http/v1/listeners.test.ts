/**
 * Unit tests for the v3 → v1 listener rendering (shapes of Pilot v1's answers in
 * ../shared/reference/nginmesh/, and what is left out).
 */
import { strict as assert } from 'node:assert';
import type { Listener } from '../../../proto/types.js';
import { inboundListener, renderListener, splitInbound } from './listeners.js';
import type { Omission } from './types.js';

const HCM_T = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const hf = (name: string, cfg: object = {}): object => ({ name, typed_config: { '@type': `type.googleapis.com/${name}`, ...cfg } });

function outbound(
  over: Record<string, unknown> = {},
  filters: object[] = [hf('envoy.filters.http.fault'), hf('envoy.filters.http.cors'), hf('envoy.filters.http.router')],
): Listener {
  return {
    name: '0.0.0.0_9080',
    address: { socket_address: { address: '0.0.0.0', port_value: 9080 } },
    traffic_direction: 'OUTBOUND',
    bind_to_port: { value: false },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_T,
              stat_prefix: 'outbound_0.0.0.0_9080',
              codec_type: 'AUTO',
              rds: { config_source: { ads: {} }, route_config_name: '9080' },
              http_filters: filters,
              path_with_escaped_slashes_action: 'KEEP_UNCHANGED',
              ...over,
            } as never,
          },
        ],
      },
    ],
  } as Listener;
}

function render(l: Listener): { v1: ReturnType<typeof renderListener>; omitted: Omission[] } {
  const omitted: Omission[] = [];
  return { v1: renderListener(l, omitted), omitted };
}

describe('v1 listeners', () => {
  it('renders an outbound HTTP listener as Pilot v1 did: tcp://ip:port, read filter, RDS from cluster "rds", no mixer, no empty fault filter', () => {
    const { v1, omitted } = render(outbound());
    assert.deepEqual(v1, {
      address: 'tcp://0.0.0.0:9080',
      name: '0.0.0.0_9080',
      bind_to_port: false,
      filters: [
        {
          type: 'read',
          name: 'http_connection_manager',
          config: {
            codec_type: 'auto',
            stat_prefix: 'outbound_0.0.0.0_9080',
            rds: { cluster: 'rds', route_config_name: '9080', refresh_delay_ms: 1000 },
            filters: [
              { type: '', name: 'cors', config: {} },
              { type: 'decoder', name: 'router', config: {} },
            ],
          },
        },
      ],
    });
    assert.deepEqual(omitted, []);
  });

  it('renders an inline route config and a tcp_proxy, and use_original_dst from the listener filter', () => {
    const inbound = outbound({
      rds: undefined,
      route_config: {
        name: 'inbound|9080||',
        virtual_hosts: [
          {
            name: 'inbound|http|9080',
            domains: ['*'],
            routes: [{ match: { prefix: '/' }, route: { cluster: 'inbound|9080||', timeout: { seconds: 0 } } }],
          },
        ],
      },
    });
    const r = render({ ...inbound, name: 'virtualInbound' });
    const cfg = r.v1!.filters[0]!.config as { route_config: unknown };
    assert.deepEqual(cfg.route_config, {
      virtual_hosts: [{ name: 'inbound|http|9080', domains: ['*'], routes: [{ prefix: '/', cluster: 'inbound|9080||', timeout_ms: 0 }] }],
    });
    const tcp = render({
      name: 'tcp',
      address: { socket_address: { address: '10.96.0.1', port_value: 443 } },
      listener_filters: [{ name: 'envoy.filters.listener.original_dst' }],
      filter_chains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.tcp_proxy',
              typed_config: { '@type': 'x', stat_prefix: 'outbound|443||kubernetes', cluster: 'outbound|443||kubernetes' } as never,
            },
          ],
        },
      ],
    } as Listener);
    assert.deepEqual(tcp.v1, {
      address: 'tcp://10.96.0.1:443',
      name: 'tcp',
      bind_to_port: true,
      use_original_dst: true,
      filters: [
        {
          type: 'read',
          name: 'tcp_proxy',
          config: { stat_prefix: 'outbound|443||kubernetes', route_config: { routes: [{ cluster: 'outbound|443||kubernetes' }] } },
        },
      ],
    });
  });

  it('reports HCM knobs v1 lacks as fields and drops telemetry filters with a note', () => {
    const { v1, omitted } = render(
      outbound({ normalize_path: { value: true }, stream_idle_timeout: { seconds: 0 } }, [
        hf('istio.stats'),
        hf('envoy.filters.http.router'),
      ]),
    );
    assert.ok(v1);
    assert.deepEqual(omitted.map((o) => `${o.level} ${o.where}`).sort(), [
      'field 0.0.0.0_9080.http_filters.istio.stats',
      'field 0.0.0.0_9080.normalize_path',
      'field 0.0.0.0_9080.stream_idle_timeout',
    ]);
  });

  const leftOut: [string, Listener, RegExp][] = [
    [
      'an authorization filter',
      outbound({}, [hf('envoy.filters.http.rbac'), hf('envoy.filters.http.router')]),
      /envoy.filters.http.rbac does not exist in v1/,
    ],
    [
      'a listener-wide fault',
      outbound({}, [hf('envoy.filters.http.fault', { abort: { http_status: 503 } }), hf('envoy.filters.http.router')]),
      /listener-wide fault/,
    ],
    [
      'several filter chains',
      { ...outbound(), filter_chains: [...outbound().filter_chains!, ...outbound().filter_chains!] },
      /2 filter chains/,
    ],
    [
      'a filter chain match',
      { ...outbound(), filter_chains: [{ ...outbound().filter_chains![0]!, filter_chain_match: { destination_port: { value: 80 } } }] },
      /filter chain match/,
    ],
    [
      'TLS on the chain',
      { ...outbound(), filter_chains: [{ ...outbound().filter_chains![0]!, transport_socket: { name: 'tls' } }] },
      /TLS/,
    ],
    [
      'a UDP address',
      { ...outbound(), address: { socket_address: { address: '0.0.0.0', port_value: 53, protocol: 'UDP' } } },
      /TCP socket addresses only/,
    ],
  ];
  for (const [what, l, why] of leftOut) {
    it(`leaves out a listener with ${what}`, () => {
      const { v1, omitted } = render(l);
      assert.equal(v1, undefined);
      assert.equal(omitted.length, 1);
      assert.equal(omitted[0]!.level, 'listener');
      assert.match(omitted[0]!.reason, why);
    });
  }

  it('writes IPv6 addresses in brackets', () => {
    assert.equal(
      render({ ...outbound(), address: { socket_address: { address: '::', port_value: 9080 } } }).v1?.address,
      'tcp://[::]:9080',
    );
  });

  describe('virtualInbound, split into podIP:port listeners as Pilot v1 served them', () => {
    const tcp = (cluster: string): object => ({
      name: 'envoy.filters.network.tcp_proxy',
      typed_config: { '@type': 'x', stat_prefix: cluster, cluster },
    });
    const hcm = outbound({ stat_prefix: 'inbound_0.0.0.0_9080', rds: { config_source: { ads: {} }, route_config_name: 'inbound|9080||' } })
      .filter_chains![0]!.filters![0]!;
    const vi = (extraMatch: object = {}): Listener =>
      ({
        name: 'virtualInbound',
        address: { socket_address: { address: '0.0.0.0', port_value: 15006 } },
        traffic_direction: 'INBOUND',
        listener_filters: [{ name: 'envoy.filters.listener.original_dst' }],
        filter_chains: [
          {
            name: 'virtualInbound-blackhole',
            filter_chain_match: { destination_port: { value: 15006 } },
            filters: [tcp('BlackHoleCluster')],
          },
          { name: '0.0.0.0_9080', filter_chain_match: { destination_port: { value: 9080 }, ...extraMatch }, filters: [hcm] },
          { name: 'virtualInbound', filters: [tcp('InboundPassthroughCluster')] },
        ],
      }) as Listener;

    it('gives one listener per destination port on the proxy IP, RDS kept, and reports the catch-all chain', () => {
      const omitted: Omission[] = [];
      const ports = splitInbound(vi(), omitted)!;
      assert.deepEqual(
        ports.map((p) => p.port),
        [9080, 15006],
      );
      assert.deepEqual(inboundListener('10.244.0.21', ports[0]!), {
        address: 'tcp://10.244.0.21:9080',
        name: '10.244.0.21_9080',
        bind_to_port: false,
        filters: [
          {
            type: 'read',
            name: 'http_connection_manager',
            config: {
              codec_type: 'auto',
              stat_prefix: 'inbound_0.0.0.0_9080',
              rds: { cluster: 'rds', route_config_name: 'inbound|9080||', refresh_delay_ms: 1000 },
              filters: [
                { type: '', name: 'cors', config: {} },
                { type: 'decoder', name: 'router', config: {} },
              ],
            },
          },
        ],
      });
      assert.deepEqual(
        omitted.map((o) => `${o.level} ${o.where}`),
        ['listener virtualInbound/virtualInbound'],
      );
      assert.match(omitted[0]!.reason, /no catch-all/);
    });

    it('serves the plaintext chain of a PERMISSIVE port and leaves out its mTLS chain (a v1 proxy has no istio certificates)', () => {
      const omitted: Omission[] = [];
      const l = vi({ transport_protocol: 'raw_buffer' });
      l.filter_chains!.splice(1, 0, {
        name: '0.0.0.0_9080',
        filter_chain_match: { destination_port: { value: 9080 }, transport_protocol: 'tls' },
        transport_socket: { name: 'envoy.transport_sockets.tls' },
        filters: [hcm],
      });
      assert.deepEqual(
        splitInbound(l, omitted)!.map((p) => p.port),
        [9080, 15006],
      );
      assert.deepEqual(
        omitted.map((o) => `${o.level} ${o.where}`),
        ['listener virtualInbound/0.0.0.0_9080:9080', 'listener virtualInbound/virtualInbound'],
      );
      assert.match(omitted[0]!.reason, /TLS chain .* plaintext chain only/);
    });
    it('a STRICT port (TLS chain only) is not served; a chain matching on more than the port leaves the listener out', () => {
      const omitted: Omission[] = [];
      assert.deepEqual(
        splitInbound(vi({ transport_protocol: 'tls' }), omitted)!.map((p) => p.port),
        [15006],
      );
      const sni = vi({ server_names: ['a.example.com'] });
      const more: Omission[] = [];
      assert.equal(splitInbound(sni, more), undefined);
      assert.equal(renderListener(sni, more), undefined);
      assert.deepEqual(
        more.map((o) => `${o.level} ${o.where}`),
        ['listener virtualInbound'],
      );
    });
  });
});
