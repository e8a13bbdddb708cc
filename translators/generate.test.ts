/**
 * Tests for translators/ through generate(mesh, proxy), for both generators: the Envoy sidecar
 * (default) and istiod's proxyless "grpc" generator (node metadata GENERATOR=grpc). The mesh is
 * built the way the server builds it — examples/bookinfo/*.yaml plus the fixtures in
 * testdata/mesh.ts, through parseConfigText → reduce → buildMesh — and the assertions are about
 * what a mesh user (or istioctl, Kiali, a gRPC client) sees: istiod's resource names, vhost
 * domains, how VirtualService features land in Envoy routes, and the endpoints each subset gets.
 */
import assert from 'node:assert/strict';
import type { MeshConfig } from '../model/config.js';
import type {
  Cluster,
  ClusterLoadAssignment,
  HTTPFault,
  HeaderMatcher,
  HttpConnectionManager,
  Listener,
  Metadata,
  Route,
  RouteConfiguration,
  VirtualHost,
} from '../proto/types.js';
import { structToJson } from '../proto/struct.js';
import { generate, type Generated } from './index.js';
import { ECHO_HOST, NODE_DEFAULT, NODE_SHOP, REVIEWS_HOST } from './testdata/mesh.js';
import { buildFrom, meshFiles, proxy } from './testdata/build.js';

/** The message inside an Any as the translators build it (`{"@type": url, ...fields}`). */
function unpack<T>(any: unknown, typeName: string): T {
  const o = any as { '@type'?: string };
  assert.equal(o['@type'], `type.googleapis.com/${typeName}`);
  return any as T;
}

const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const FAULT = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

function must<T>(v: T | undefined, what: string): T {
  assert.ok(v !== undefined, `${what} is missing`);
  return v;
}

const vhost = (rc: RouteConfiguration, name: string): VirtualHost =>
  must(
    rc.virtual_hosts?.find((v) => v.name === name),
    `vhost ${name}`,
  );
const provenance = (m: Metadata | null | undefined): unknown =>
  structToJson((m?.filter_metadata as Record<string, never> | undefined)?.['istio']);
const weights = (r: Route): [string, number][] =>
  (r.route?.weighted_clusters?.clusters ?? []).map((c) => [c.name!, Number(c.weight?.value)]);

const ISTIOD_DEFAULT_RETRY = {
  retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
  num_retries: { value: 2 },
  retriable_status_codes: [503],
  retry_host_predicate: [
    {
      name: 'envoy.retry_host_predicates.previous_hosts',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' },
    },
  ],
  host_selection_retry_max_attempts: '5',
};

describe('translators generate()', () => {
  let mesh: MeshConfig;
  let sidecar: Generated;
  let sidecarShop: Generated;
  let grpc: Generated;
  let grpcShop: Generated;

  before(() => {
    mesh = buildFrom(meshFiles());
    sidecar = generate(mesh, proxy(NODE_DEFAULT));
    sidecarShop = generate(mesh, proxy(NODE_SHOP));
    grpc = generate(mesh, proxy(NODE_DEFAULT, { GENERATOR: 'grpc', NAMESPACE: 'default' }));
    grpcShop = generate(mesh, proxy(NODE_SHOP, { GENERATOR: 'grpc' }));
  });

  describe('Envoy sidecar: istiod names', () => {
    it('clusters outbound|port||host and outbound|port|subset|host, EDS over ADS with service_name = cluster name', () => {
      const names = sidecar.clusters.names();
      for (const n of [
        `outbound|9080||${REVIEWS_HOST}`,
        `outbound|9080|v1|${REVIEWS_HOST}`,
        `outbound|9080|v2|${REVIEWS_HOST}`,
        `outbound|9080|v3|${REVIEWS_HOST}`,
        `outbound|8080||${ECHO_HOST}`,
        `outbound|7070|v2|${ECHO_HOST}`,
        'outbound|9080||cart.shop.svc.cluster.local',
        'BlackHoleCluster',
        'PassthroughCluster',
      ]) {
        assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
      }
      for (const n of names.filter((x) => x.startsWith('outbound|'))) {
        const c = must(sidecar.clusters.get(n), n);
        assert.equal(c.name, n);
        assert.equal(c.type, 'EDS');
        assert.equal(c.eds_cluster_config?.service_name, n);
        assert.deepEqual(c.eds_cluster_config?.eds_config?.ads, {});
      }
      const eds = names.filter((n) => sidecar.clusters.get(n)?.type === 'EDS');
      for (const n of eds)
        assert.ok(sidecar.endpoints.names().includes(n) && sidecar.endpoints.get(n), `EDS cluster ${n} has an assignment`);
    });

    it('load balancing: LEAST_REQUEST by default, ROUND_ROBIN where the DestinationRule asks (ratings)', () => {
      assert.equal(sidecar.clusters.get(`outbound|9080||${REVIEWS_HOST}`)?.lb_policy, 'LEAST_REQUEST');
      assert.equal(sidecar.clusters.get('outbound|9080||ratings.default.svc.cluster.local')?.lb_policy, 'ROUND_ROBIN');
      assert.equal(
        sidecar.clusters.get('outbound|9080|v1|ratings.default.svc.cluster.local')?.lb_policy,
        'ROUND_ROBIN',
        'subsets inherit the rule’s policy',
      );
    });

    it('clusters carry their DestinationRule as provenance', () => {
      const c = sidecar.clusters.get(`outbound|9080|v1|${REVIEWS_HOST}`) as Cluster;
      assert.equal(
        (provenance(c.metadata) as { config?: string }).config,
        '/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews',
      );
    });

    it('listener 0.0.0.0_<port> per HTTP port, its HCM takes route config "<port>" over ADS', () => {
      for (const n of ['0.0.0.0_7070', '0.0.0.0_8080', '0.0.0.0_9080']) assert.ok(sidecar.listeners.names().includes(n), n);
      const l = must(sidecar.listeners.get('0.0.0.0_9080'), 'listener');
      assert.deepEqual(l.address?.socket_address, { address: '0.0.0.0', port_value: 9080 });
      const f = l.filter_chains![0]!.filters![0]!;
      assert.equal(f.name, 'envoy.filters.network.http_connection_manager');
      const hcm = unpack<HttpConnectionManager>(f.typed_config, HCM);
      assert.equal(hcm.rds?.route_config_name, '9080');
      assert.deepEqual(hcm.rds?.config_source?.ads, {});
      assert.equal(hcm.http_filters!.at(-1)!.name, 'envoy.filters.http.router', 'router is the last HTTP filter');
      assert.ok(
        hcm.http_filters!.some((h) => h.name === 'envoy.filters.http.fault'),
        'fault filter present for VirtualService faults',
      );
    });

    it('route config "9080": vhost host:port with istiod’s domains in order, allow_any last, ports ignored in host matching', () => {
      const rc = must(sidecar.routes.get('9080'), 'route config 9080');
      assert.equal(rc.name, '9080');
      assert.equal(rc.ignore_port_in_host_matching, true);
      assert.deepEqual(vhost(rc, `${REVIEWS_HOST}:9080`).domains, [
        REVIEWS_HOST,
        `${REVIEWS_HOST}.`,
        'reviews',
        'reviews.default.svc',
        'reviews.default',
        '10.96.10.13',
      ]);
      const last = rc.virtual_hosts!.at(-1)!;
      assert.equal(last.name, 'allow_any');
      assert.deepEqual(last.domains, ['*']);
      assert.equal(last.routes![0]!.route?.cluster, 'PassthroughCluster');
      assert.equal(rc.virtual_hosts!.filter((v) => v.domains!.includes('*')).length, 1, 'only the catch-all matches *');
    });

    it('a proxy in another namespace does not get the bare short name (and gets its own namespace’s)', () => {
      const rc = must(sidecarShop.routes.get('9080'), 'route config 9080 (shop)');
      assert.deepEqual(vhost(rc, `${REVIEWS_HOST}:9080`).domains, [
        REVIEWS_HOST,
        `${REVIEWS_HOST}.`,
        'reviews.default.svc',
        'reviews.default',
        '10.96.10.13',
      ]);
      assert.ok(vhost(rc, 'cart.shop.svc.cluster.local:9080').domains!.includes('cart'));
      const fromDefault = must(sidecar.routes.get('9080'), 'route config 9080');
      assert.ok(!vhost(fromDefault, 'cart.shop.svc.cluster.local:9080').domains!.includes('cart'));
      assert.equal(
        new Set(fromDefault.virtual_hosts!.flatMap((v) => v.domains!)).size,
        fromDefault.virtual_hosts!.flatMap((v) => v.domains!).length,
        'no domain in two vhosts (Envoy NACKs that)',
      );
    });

    it('a host without VirtualService gets the default route to its own cluster with istiod’s default retries', () => {
      const r = vhost(must(sidecar.routes.get('9080'), '9080'), 'details.default.svc.cluster.local:9080').routes!;
      assert.equal(r.length, 1);
      assert.deepEqual(r[0]!.match, { prefix: '/' });
      assert.equal(r[0]!.route?.cluster, 'outbound|9080||details.default.svc.cluster.local');
      assert.deepEqual(r[0]!.route?.timeout, { seconds: 0 }, 'no timeout');
      assert.deepEqual(r[0]!.route?.retry_policy, ISTIOD_DEFAULT_RETRY);
    });
  });

  describe('proxyless gRPC generator', () => {
    it('LDS by requested name (FQDN or short from the same namespace) → api_listener, RDS over ADS named outbound|port||host', () => {
      for (const name of [`${REVIEWS_HOST}:9080`, 'reviews:9080', 'reviews.default:9080', 'reviews']) {
        const l = must(grpc.listeners.get(name), `listener ${name}`);
        assert.equal(l.name, name, 'the listener keeps the requested name');
        assert.equal(l.filter_chains, undefined);
        const hcm = unpack<HttpConnectionManager>(l.api_listener?.api_listener, HCM);
        assert.deepEqual(hcm.rds?.config_source, { ads: {}, resource_api_version: 'V3' });
        assert.equal(hcm.rds?.route_config_name, `outbound|9080||${REVIEWS_HOST}`);
        assert.deepEqual(
          hcm.http_filters!.map((h) => h.name),
          ['envoy.filters.http.fault', 'envoy.filters.http.router'],
        );
      }
    });

    it('names it cannot serve are undefined', () => {
      assert.equal(grpc.listeners.get('nope:9080'), undefined);
      assert.equal(grpc.listeners.get('reviews:9081'), undefined, 'port not on the service');
      assert.equal(grpc.listeners.get('echo'), undefined, 'no port given and the service has two');
      assert.equal(grpcShop.listeners.get('reviews:9080'), undefined, 'short name from another namespace');
      assert.ok(grpcShop.listeners.get('reviews.default:9080'));
      assert.equal(grpc.routes.get('9080'), undefined);
      assert.equal(grpc.routes.get(`outbound|9080||nope.default.svc.cluster.local`), undefined);
      assert.equal(grpc.routes.get(`outbound|9080|v1|${REVIEWS_HOST}`), undefined);
      assert.equal(grpc.clusters.get('PassthroughCluster'), undefined);
      assert.equal(grpc.endpoints.get(`outbound|9080|v9|${REVIEWS_HOST}`), undefined);
      assert.equal(sidecar.routes.get('1234'), undefined);
    });

    it('LDS names a client may wildcard-list are the FQDN host:port of every service port', () => {
      const names = grpc.listeners.names();
      assert.ok(names.includes(`${REVIEWS_HOST}:9080`) && names.includes(`${ECHO_HOST}:7070`));
      for (const n of names) assert.ok(grpc.listeners.get(n), n);
    });

    it('RDS: one vhost host:port whose domains keep the port; short name only in the same namespace', () => {
      const rc = must(grpc.routes.get(`outbound|9080||${REVIEWS_HOST}`), 'grpc RDS');
      assert.equal(rc.virtual_hosts!.length, 1);
      const vh = rc.virtual_hosts![0]!;
      assert.equal(vh.name, `${REVIEWS_HOST}:9080`);
      for (const d of [`${REVIEWS_HOST}:9080`, 'reviews:9080', 'reviews.default:9080', '10.96.10.13:9080'])
        assert.ok(vh.domains!.includes(d), d);
      const shop = must(grpcShop.routes.get(`outbound|9080||${REVIEWS_HOST}`), 'grpc RDS (shop)').virtual_hosts![0]!;
      assert.ok(!shop.domains!.includes('reviews:9080') && !shop.domains!.includes('reviews'));
    });

    it('CDS: the same outbound and subset clusters, round robin by default, no Passthrough/BlackHole', () => {
      assert.deepEqual(
        [...grpc.clusters.names()].sort(),
        sidecar.clusters
          .names()
          .filter((n) => n.startsWith('outbound|'))
          .sort(),
      );
      assert.equal(grpc.clusters.get(`outbound|9080||${REVIEWS_HOST}`)?.lb_policy, 'ROUND_ROBIN');
      assert.equal(
        grpc.clusters.get(`outbound|9080|v2|${REVIEWS_HOST}`)?.eds_cluster_config?.service_name,
        `outbound|9080|v2|${REVIEWS_HOST}`,
      );
    });
  });

  describe('header matches: string_match for Envoy, exact_match for gRPC C-core 1.51', () => {
    const jason = (rc: RouteConfiguration): HeaderMatcher[] =>
      must(vhost(rc, `${REVIEWS_HOST}:9080`).routes![0]!.match?.headers ?? undefined, 'jason headers');

    it('sidecar', () => {
      assert.deepEqual(jason(must(sidecar.routes.get('9080'), '9080')), [{ name: 'end-user', string_match: { exact: 'jason' } }]);
    });

    it('proxyless', () => {
      const h = jason(must(grpc.routes.get(`outbound|9080||${REVIEWS_HOST}`), 'rds'));
      assert.ok(
        h.every((m) => m.string_match === undefined),
        'no string_match (C-core 1.51 NACKs it)',
      );
      assert.deepEqual(h, [{ name: 'end-user', exact_match: 'jason' }]);
    });
  });

  describe('VirtualService → routes (echo)', () => {
    let routes: Route[];
    let grpcRoutes: Route[];
    before(() => {
      routes = vhost(must(sidecar.routes.get('8080'), '8080'), `${ECHO_HOST}:8080`).routes!;
      grpcRoutes = must(grpc.routes.get(`outbound|8080||${ECHO_HOST}`), 'grpc echo').virtual_hosts![0]!.routes!;
    });

    it('one Envoy route per match, in VirtualService order', () => {
      assert.deepEqual(
        routes.map((r) => r.name),
        ['canary', 'canary', 'chaos', 'split'],
      );
      assert.deepEqual(
        grpcRoutes.map((r) => r.name),
        ['canary', 'canary', 'chaos', 'split'],
      );
    });

    it('uri prefix/regex/exact and headers (sorted), method as :method', () => {
      assert.deepEqual(routes[0]!.match, {
        prefix: '/api',
        headers: [
          { name: 'x-canary', string_match: { exact: 'yes' } },
          { name: 'x-team', string_match: { prefix: 'web' } },
        ],
      });
      assert.deepEqual(routes[1]!.match, {
        safe_regex: { regex: '/v[0-9]+/items' },
        headers: [{ name: ':method', string_match: { exact: 'POST' } }],
      });
      assert.deepEqual(routes[2]!.match, { path: '/chaos' });
      assert.deepEqual(routes[3]!.match, { prefix: '/' });
      assert.deepEqual(grpcRoutes[0]!.match?.headers, [
        { name: 'x-canary', exact_match: 'yes' },
        { name: 'x-team', prefix_match: 'web' },
      ]);
    });

    it('subset destinations use the port of the vhost when the service has several', () => {
      assert.equal(routes[0]!.route?.cluster, `outbound|8080|v2|${ECHO_HOST}`);
      assert.equal(routes[2]!.route?.cluster, `outbound|8080|v1|${ECHO_HOST}`);
      const r7070 = vhost(must(sidecar.routes.get('7070'), '7070'), `${ECHO_HOST}:7070`).routes!;
      assert.equal(r7070[0]!.route?.cluster, `outbound|7070|v2|${ECHO_HOST}`);
    });

    it('weights as in the VirtualService, weight-0 destinations dropped, adding up to 100', () => {
      for (const r of [routes[3]!, grpcRoutes[3]!]) {
        assert.deepEqual(weights(r), [
          [`outbound|8080|v1|${ECHO_HOST}`, 70],
          [`outbound|8080|v2|${ECHO_HOST}`, 30],
        ]);
        assert.equal(r.route?.cluster, undefined);
      }
      const reviews = vhost(must(sidecar.routes.get('9080'), '9080'), `${REVIEWS_HOST}:9080`).routes!;
      assert.deepEqual(weights(reviews[1]!), [
        [`outbound|9080|v1|${REVIEWS_HOST}`, 50],
        [`outbound|9080|v3|${REVIEWS_HOST}`, 50],
      ]);
    });

    it('timeout: route timeout on sidecars, max_stream_duration for gRPC', () => {
      assert.deepEqual(routes[0]!.route?.timeout, { seconds: 1, nanos: 500_000_000 });
      assert.equal(routes[0]!.route?.max_stream_duration, undefined);
      assert.deepEqual(routes[2]!.route?.timeout, { seconds: 0 }, 'no timeout set → 0s (none), as istiod');
      assert.deepEqual(grpcRoutes[0]!.route?.max_stream_duration, { max_stream_duration: { seconds: 1, nanos: 500_000_000 } });
      assert.equal(grpcRoutes[0]!.route?.timeout, undefined);
      assert.equal(grpcRoutes[2]!.route?.max_stream_duration, undefined);
    });

    it('retries: the VirtualService’s; istiod’s default policy on sidecars only', () => {
      assert.equal(routes[0]!.route?.retry_policy?.num_retries?.value, 3);
      assert.deepEqual(routes[0]!.route?.retry_policy?.per_try_timeout, { seconds: 0, nanos: 500_000_000 });
      assert.deepEqual(routes[2]!.route?.retry_policy, ISTIOD_DEFAULT_RETRY);
      assert.deepEqual(routes[3]!.route?.retry_policy, ISTIOD_DEFAULT_RETRY);
      assert.equal(grpcRoutes[2]!.route?.retry_policy, undefined);
      assert.equal(grpcRoutes[3]!.route?.retry_policy, undefined);
    });

    it('fault: typed_per_filter_config for envoy.filters.http.fault, percentages per MILLION', () => {
      for (const r of [routes[2]!, grpcRoutes[2]!]) {
        const f = unpack<HTTPFault>(must(r.typed_per_filter_config?.['envoy.filters.http.fault'], 'fault config'), FAULT);
        assert.deepEqual(f.delay?.fixed_delay, { seconds: 0, nanos: 250_000_000 });
        assert.deepEqual(f.delay?.percentage, { numerator: 1000, denominator: 'MILLION' });
        assert.equal(f.abort?.http_status, 503);
        assert.deepEqual(f.abort?.percentage, { numerator: 125_000, denominator: 'MILLION' });
      }
      assert.equal(routes[0]!.typed_per_filter_config, undefined, 'no fault where none is configured');
      const ratings = vhost(must(sidecar.routes.get('9080'), '9080'), 'ratings.default.svc.cluster.local:9080').routes![0]!;
      const rf = unpack<HTTPFault>(ratings.typed_per_filter_config?.['envoy.filters.http.fault'], FAULT);
      assert.deepEqual(rf.delay?.fixed_delay, { seconds: 2 });
      assert.deepEqual(rf.delay?.percentage, { numerator: 100_000, denominator: 'MILLION' });
    });

    it('provenance: every VirtualService route names its config like istiod', () => {
      for (const r of [...routes, ...grpcRoutes]) {
        assert.deepEqual(provenance(r.metadata), { config: '/apis/networking.istio.io/v1/namespaces/default/virtual-service/echo' });
      }
      const reviews = vhost(must(sidecar.routes.get('9080'), '9080'), `${REVIEWS_HOST}:9080`).routes!;
      assert.deepEqual(provenance(reviews[0]!.metadata), {
        config: '/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews',
      });
    });
  });

  describe('EDS', () => {
    const flat = (cla: ClusterLoadAssignment | undefined): string[] =>
      (cla?.endpoints ?? []).flatMap((l) =>
        (l.lb_endpoints ?? []).map((e) => {
          const sa = e.endpoint?.address?.socket_address;
          return `${sa?.address}:${sa?.port_value}`;
        }),
      );

    it('subset endpoints are the pods with the subset’s labels; not-ready endpoints left out', () => {
      assert.deepEqual(flat(sidecar.endpoints.get(`outbound|8080|v1|${ECHO_HOST}`)), ['10.1.0.2:18080', '10.1.0.9:18080']);
      assert.deepEqual(flat(sidecar.endpoints.get(`outbound|8080|v2|${ECHO_HOST}`)), ['10.1.0.10:18080', '10.1.0.3:18080']);
      assert.deepEqual(flat(sidecar.endpoints.get(`outbound|7070|v2|${ECHO_HOST}`)), ['10.1.0.10:17070', '10.1.0.3:17070']);
      assert.deepEqual(flat(sidecar.endpoints.get(`outbound|9080|v2|${REVIEWS_HOST}`)), ['10.244.0.24:9080']);
      assert.deepEqual(flat(grpc.endpoints.get(`outbound|9080|v3|${REVIEWS_HOST}`)), ['10.244.0.25:9080']);
    });

    it('every locality has a locality message and a load_balancing_weight; localities and endpoints sorted', () => {
      const cla = must(sidecar.endpoints.get(`outbound|8080||${ECHO_HOST}`), 'echo CLA');
      assert.equal(cla.cluster_name, `outbound|8080||${ECHO_HOST}`);
      assert.deepEqual(
        cla.endpoints!.map((l) => [l.locality, l.load_balancing_weight]),
        [
          [{ region: 'us-east1', zone: 'us-east1-b' }, { value: 3 }],
          [{ region: 'us-east1', zone: 'us-east1-c' }, { value: 1 }],
        ],
      );
      assert.deepEqual(
        flat(cla),
        ['10.1.0.2:18080', '10.1.0.9:18080', '10.1.0.10:18080', '10.1.0.3:18080'],
        'numeric address order within a locality',
      );
      for (const g of [sidecar, grpc, sidecarShop]) {
        for (const n of g.endpoints.names()) {
          for (const l of must(g.endpoints.get(n), n).endpoints ?? []) {
            assert.ok(l.locality, `${n}: locality set`);
            assert.ok((l.load_balancing_weight?.value ?? 0) > 0, `${n}: load_balancing_weight set`);
          }
        }
      }
    });
  });

  describe('snapshot consistency', () => {
    for (const [label, pick] of [
      ['sidecar', () => sidecar],
      ['sidecar (shop)', () => sidecarShop],
      ['proxyless', () => grpc],
    ] as const) {
      it(`${label}: every cluster a route names is served by CDS, every RDS name a listener names is served`, () => {
        const g = pick();
        const listeners: Listener[] = [...g.listeners.names(), ...(label === 'proxyless' ? ['reviews:9080', 'echo:8080'] : [])].map((n) =>
          must(g.listeners.get(n), n),
        );
        // Sidecars also have virtualOutbound/virtualInbound and TCP listeners (tcp_proxy): check every HCM.
        const hcms = listeners
          .flatMap((l) =>
            l.api_listener
              ? [l.api_listener.api_listener]
              : (l.filter_chains ?? []).flatMap((c) => (c.filters ?? []).map((f) => f.typed_config)),
          )
          .filter((a) => (a as { '@type'?: string } | undefined)?.['@type'] === `type.googleapis.com/${HCM}`);
        assert.ok(hcms.length > 0, 'some listener carries an HCM');
        for (const hcmAny of hcms) {
          const hcm = unpack<HttpConnectionManager>(hcmAny, HCM);
          // The inbound catch-all (virtualInbound-catchall-http) carries its route config inline, as istiod's does.
          const rc = hcm.rds
            ? must(g.routes.get(hcm.rds.route_config_name!), `route config ${hcm.rds.route_config_name}`)
            : must(hcm.route_config ?? undefined, 'an inline route config');
          for (const vh of rc.virtual_hosts ?? []) {
            for (const r of vh.routes ?? []) {
              const targets = r.route?.cluster ? [r.route.cluster] : weights(r).map(([n]) => n);
              for (const c of targets) assert.ok(g.clusters.get(c), `${rc.name} ${vh.name} → ${c}`);
            }
          }
        }
      });
    }
  });
});
