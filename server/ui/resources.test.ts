/**
 * How the console reads a proxy's config_dump (server/ui/web/resources.ts and configName in
 * api.ts, loaded from their browser build): rows per section with protojson's camelCase fields,
 * provenance from the resource's `istio` metadata (for listeners also their filter chains'), and
 * istiod's provenance paths shown as `Kind namespace/name`.
 */
import { strict as assert } from 'node:assert';

interface Row {
  explainName: string;
  explainType: string;
  cells: string[];
  provenance: string[];
}
const load = async (): Promise<{ rows(d: unknown, s: string): Row[]; configName(p: string): string }> => {
  const r = (await import(new URL('./web/resources.js', import.meta.url).href)) as { rows(d: unknown, s: string): Row[] };
  const a = (await import(new URL('./web/api.js', import.meta.url).href)) as { configName(p: string): string };
  return { rows: r.rows, configName: a.configName };
};

const istio = (config: string): object => ({ filterMetadata: { istio: { config } } });
const VS = '/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews';
const DUMP = {
  configs: [
    {
      '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
      dynamicActiveClusters: [
        {
          cluster: {
            name: 'outbound|9080|v1|reviews.default.svc.cluster.local',
            type: 'EDS',
            metadata: istio('/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews'),
          },
        },
      ],
    },
    {
      '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
      dynamicListeners: [
        {
          name: '0.0.0.0_9080',
          activeState: {
            listener: {
              name: '0.0.0.0_9080',
              address: { socketAddress: { address: '0.0.0.0', portValue: 9080 } },
              filterChains: [{ metadata: istio(VS) }, {}],
            },
          },
        },
      ],
    },
    {
      '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
      dynamicRouteConfigs: [
        {
          routeConfig: {
            name: '9080',
            virtualHosts: [
              {
                name: 'reviews.default.svc.cluster.local:9080',
                routes: [
                  {
                    name: 'jason',
                    match: { prefix: '/', headers: [{ name: 'end-user', stringMatch: { exact: 'jason' } }] },
                    route: { cluster: 'outbound|9080|v2|reviews.default.svc.cluster.local' },
                    metadata: istio(VS),
                  },
                  {
                    match: { prefix: '/' },
                    route: {
                      weightedClusters: {
                        clusters: [
                          { name: 'a', weight: 50 },
                          { name: 'b', weight: 50 },
                        ],
                      },
                    },
                  },
                ],
              },
            ],
          },
        },
      ],
    },
    {
      '@type': 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
      dynamicEndpointConfigs: [
        {
          endpointConfig: {
            clusterName: 'outbound|9080|v1|reviews.default.svc.cluster.local',
            endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.1.0.5', portValue: 9080 } } } }] }],
          },
        },
      ],
    },
  ],
};

describe('server/ui/web/resources', () => {
  it('turns a config_dump into rows with their provenance', async () => {
    const { rows, configName } = await load();
    const [c] = rows(DUMP, 'clusters');
    assert.deepEqual(
      [c!.cells, c!.provenance.map(configName), c!.explainType],
      [['outbound|9080|v1|reviews.default.svc.cluster.local', 'EDS', 'ROUND_ROBIN'], ['DestinationRule default/reviews'], 'cds'],
    );
    const [l] = rows(DUMP, 'listeners');
    assert.deepEqual(
      [l!.cells, l!.provenance.map(configName)],
      [['0.0.0.0_9080', '0.0.0.0:9080', '2'], ['VirtualService default/reviews']],
    );
    const rs = rows(DUMP, 'routes');
    assert.deepEqual(
      rs.map((r) => r.cells),
      [
        [
          '9080',
          'reviews.default.svc.cluster.local:9080',
          'jason',
          'prefix /; header end-user = jason',
          'outbound|9080|v2|reviews.default.svc.cluster.local',
        ],
        ['9080', 'reviews.default.svc.cluster.local:9080', '', 'prefix /', 'a (50), b (50)'],
      ],
    );
    assert.deepEqual(
      rs.map((r) => [r.explainName, r.explainType, r.provenance.length]),
      [
        ['reviews.default.svc.cluster.local:9080', 'vhost', 1],
        ['reviews.default.svc.cluster.local:9080', 'vhost', 0],
      ],
    );
    assert.deepEqual(
      rows(DUMP, 'endpoints').map((r) => [r.cells, r.explainType]),
      [[['outbound|9080|v1|reviews.default.svc.cluster.local', '10.1.0.5:9080'], 'eds']],
    );
    assert.deepEqual(rows({}, 'routes'), [], 'a dump without that section has no rows');
  });

  it('names istiod provenance paths by kind, Gateway API objects marked', async () => {
    const { configName } = await load();
    assert.equal(configName('/apis/v1/namespaces/default/service/reviews'), 'Service default/reviews');
    assert.equal(configName('/apis/networking.istio.io/v1/namespaces/istio-system/gateway/ingress'), 'Gateway istio-system/ingress');
    assert.equal(configName('/apis/gateway.networking.k8s.io/v1/namespaces/web/http-route/shop'), 'HTTPRoute (Gateway API) web/shop');
    assert.equal(configName('something else'), 'something else');
  });
});
