/**
 * @module translators/telemetry/telemetry.test
 * The Telemetry API as an operator sees it in a proxy's config: which Telemetry wins (workload
 * selector > namespace > root), metric overrides and disabling per mode, access log providers
 * turned on and off, tracing provider and sampling — and that proxyless gRPC gets no telemetry
 * filters while the proxy class names the Telemetries that select a workload.
 */
import assert from 'node:assert/strict';
import { appliedTelemetries, type Telemetry } from '../../model/telemetry.js';
import { DEFAULT_MESH_SETTINGS, type MeshSettings } from '../../model/meshconfig.js';
import { meshFrom, proxy, snapshot } from '../harness.test.js';
import { proxyClass } from '../index.js';
import { mergeLogs, mergeMetrics, mergeTracing, chainFor } from './merge.js';
import { statsConfigs, telemetryAccessLogs } from './index.js';
import { structToJson } from '../../proto/struct.js';

type J = Record<string, unknown>;

const tel = (ns: string, name: string, spec: string): string =>
  `apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: ${spec}\n---\n`;

const settings = (extra: Partial<MeshSettings> = {}): MeshSettings => ({
  ...DEFAULT_MESH_SETTINGS,
  extensionProviders: [
    { name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 } },
    { name: 'otel', opentelemetry: { service: 'otel.istio-system.svc.cluster.local', port: 4317 } },
    { name: 'file', envoyFileAccessLog: { path: '/var/log/a.log', logFormat: { text: '%RESPONSE_CODE%' } } },
  ],
  ...extra,
});

const SVC =
  'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {clusterIP: 10.96.0.5, selector: {app: web}, ports: [{name: http, port: 80}]}\n---\n' +
  'apiVersion: v1\nkind: Service\nmetadata: {name: zipkin, namespace: istio-system}\nspec: {clusterIP: 10.96.0.6, ports: [{name: http, port: 9411}]}\n---\n' +
  'apiVersion: v1\nkind: Service\nmetadata: {name: otel, namespace: istio-system}\nspec: {clusterIP: 10.96.0.7, ports: [{name: grpc, port: 4317}]}\n';

function mesh(yaml: string, extra: Partial<MeshSettings> = {}) {
  const { mesh, rejected } = meshFrom(yaml + SVC, settings(extra));
  assert.deepEqual(rejected, []);
  return mesh;
}

const WEB = { app: 'web' };
const statsValues = (m: ReturnType<typeof mesh>, listenerClass: 'sidecar-inbound' | 'sidecar-outbound' | 'gateway', labels = WEB) =>
  statsConfigs({ mesh: m, namespace: 'shop', labels, listenerClass }).map((a) =>
    structToJson((a as unknown as J)['value'] as Parameters<typeof structToJson>[0]),
  );

describe('Telemetry API (translators/telemetry)', () => {
  it('applies root, then namespace, then every workload Telemetry whose selector matches; selectors in the root namespace are not workload policies', () => {
    const m = mesh(
      tel('istio-system', 'mesh', '{}') +
        tel('istio-system', 'root-selector', '{selector: {matchLabels: {app: web}}}') +
        tel('shop', 'ns', '{}') +
        tel('shop', 'a-other', '{selector: {matchLabels: {app: other}}}') +
        tel('shop', 'b-web', '{selector: {matchLabels: {app: web}}}') +
        tel('shop', 'c-web', '{selector: {matchLabels: {app: web}}}'),
    );
    const a = appliedTelemetries(m.telemetries as Telemetry[], 'istio-system', 'shop', WEB);
    assert.deepEqual([a.root?.meta.name, a.namespace?.meta.name, a.workloads?.map((t) => t.meta.name)], ['mesh', 'ns', ['b-web', 'c-web']]);
    const other = appliedTelemetries(m.telemetries as Telemetry[], 'istio-system', 'shop', { app: 'db' });
    assert.equal(other.workloads, undefined);
    assert.match(
      proxyClass(proxy('sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local', { LABELS: WEB }), m),
      /\|telemetry:istio-system\/mesh,shop\/ns,shop\/b-web,shop\/c-web$/,
    );
    assert.doesNotMatch(proxyClass(proxy('sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local', { LABELS: WEB })), /telemetry/);
  });

  it('puts default istio.stats on every class, host-header fallback off on inbound and gateways', () => {
    const m = mesh('');
    assert.deepEqual(statsValues(m, 'sidecar-outbound'), [{}]);
    assert.deepEqual(statsValues(m, 'sidecar-inbound'), [{ disable_host_header_fallback: true }]);
    assert.deepEqual(statsValues(m, 'gateway'), [{ disable_host_header_fallback: true }]);
    // defaultProviders without metrics: no stats filter at all.
    assert.deepEqual(statsValues(mesh('', { defaultProviders: { accessLogging: ['file'] } }), 'sidecar-outbound'), []);
  });

  it('maps overrides onto istio.stats: a workload disables CLIENT metrics, a namespace re-enables after root disabled all, tags are upserted and removed', () => {
    const m = mesh(
      tel('istio-system', 'mesh', '{metrics: [{overrides: [{match: {metric: ALL_METRICS}, disabled: true}]}]}') +
        tel(
          'shop',
          'ns',
          '{metrics: [{overrides: [{match: {metric: REQUEST_COUNT, mode: SERVER}, tagOverrides: {team: {value: "\'shop\'"}, source_version: {operation: REMOVE}}}]}]}',
        ),
    );
    assert.deepEqual(statsValues(m, 'sidecar-outbound'), [], 'root turned all client metrics off');
    assert.deepEqual(statsValues(m, 'sidecar-inbound'), [
      {
        disable_host_header_fallback: true,
        metrics: [{ name: 'requests_total', dimensions: { team: "'shop'" }, tags_to_remove: ['source_version'] }],
      },
    ]);
    const w = mesh(
      tel(
        'shop',
        'web',
        '{selector: {matchLabels: {app: web}}, metrics: [{overrides: [{match: {metric: TCP_SENT_BYTES}, disabled: true}, {match: {mode: CLIENT}, disabled: true}]}]}',
      ),
    );
    assert.deepEqual(statsValues(w, 'sidecar-outbound'), []);
    assert.deepEqual(statsValues(w, 'sidecar-inbound'), [
      { disable_host_header_fallback: true, metrics: [{ name: 'tcp_sent_bytes_total', drop: true }] },
    ]);
    assert.deepEqual(statsValues(w, 'sidecar-outbound', { app: 'db' }), [{}], 'the selector decides');
    // A provider that is not Prometheus gets no istio.stats, and the default one is then out of scope.
    const z = mesh(tel('shop', 'ns', '{metrics: [{providers: [{name: zipkin}]}]}'));
    assert.deepEqual(statsValues(z, 'sidecar-outbound'), []);
    assert.equal(mergeMetrics(z, chainFor(z, 'shop', WEB), 'CLIENT').has('prometheus'), false);
  });

  it('access logs: defaults, a namespace switching provider, a workload disabling it for one mode, a CEL filter', () => {
    const m = mesh(
      tel('istio-system', 'mesh', '{accessLogging: [{providers: [{name: envoy}]}]}') +
        tel(
          'shop',
          'web',
          '{selector: {matchLabels: {app: web}}, accessLogging: [{providers: [{name: file}], filter: {expression: "response.code >= 500"}}, {providers: [{name: file}], match: {mode: SERVER}, disabled: true}]}',
        ),
    );
    const logs = (labels: Record<string, string>, c: 'sidecar-inbound' | 'sidecar-outbound') =>
      telemetryAccessLogs({ mesh: m, namespace: 'shop', labels, listenerClass: c }) as unknown as J[];
    const other = logs({ app: 'db' }, 'sidecar-outbound');
    assert.deepEqual(
      other.map((l) => [
        (l['typed_config'] as J)['path'],
        ((l['typed_config'] as J)['log_format'] as J)['text_format_source'] !== undefined,
      ]),
      [['/dev/stdout', true]],
      'root: the built-in envoy provider, text format',
    );
    const out = logs(WEB, 'sidecar-outbound');
    assert.equal(out.length, 1);
    assert.equal((out[0]!['typed_config'] as J)['path'], '/var/log/a.log');
    assert.deepEqual(((out[0]!['typed_config'] as J)['log_format'] as J)['text_format_source'], { inline_string: '%RESPONSE_CODE%\n' });
    assert.equal((((out[0]!['filter'] as J)['extension_filter'] as J)['typed_config'] as J)['expression'], 'response.code >= 500');
    assert.deepEqual(logs(WEB, 'sidecar-inbound'), [], 'disabled on the server side only');
    assert.equal(mergeLogs(mesh(''), [], 'CLIENT'), undefined, 'no Telemetry and no default: fallback to the mesh accessLogFile');
    const legacy = mesh('', { accessLogFile: '/dev/stdout' });
    assert.equal(telemetryAccessLogs({ mesh: legacy, namespace: 'shop', labels: WEB, listenerClass: 'gateway' }).length, 1);
  });

  it('tracing: a level naming a provider switches to it; sampling and tags from later levels; span reporting off removes the provider', () => {
    const m = mesh(
      tel('istio-system', 'mesh', '{tracing: [{providers: [{name: zipkin}], randomSamplingPercentage: 5}]}') +
        tel('shop', 'ns', '{tracing: [{providers: [{name: otel}]}]}') +
        tel(
          'shop',
          'web',
          '{selector: {matchLabels: {app: web}}, tracing: [{randomSamplingPercentage: 50, customTags: {env: {environment: {name: ENV, defaultValue: dev}}}}]}',
        ),
    );
    const t = mergeTracing(m, chainFor(m, 'shop', WEB), 'CLIENT');
    assert.equal(t?.provider, 'otel');
    assert.equal(t?.randomSamplingPercentage, 50);
    const { snap } = snapshot(m, proxy('sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local', { LABELS: WEB }));
    const hcm = ((((snap.listeners['0.0.0.0_80'] as J)['filterChains'] as J[])[0]!['filters'] as J[])[0]!['typedConfig'] as J)[
      'tracing'
    ] as J;
    assert.deepEqual(hcm['randomSampling'], { value: 50 });
    assert.equal((hcm['provider'] as J)['name'], 'envoy.tracers.opentelemetry');
    assert.equal(((hcm['provider'] as J)['typedConfig'] as J)['serviceName'], 'web.shop');
    assert.deepEqual((hcm['customTags'] as J[]).at(-1), { tag: 'env', environment: { name: 'ENV', defaultValue: 'dev' } });
    const off = mesh(tel('istio-system', 'mesh', '{tracing: [{providers: [{name: zipkin}], disableSpanReporting: true}]}'));
    const { snap: s2 } = snapshot(off, proxy('sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local', { LABELS: WEB }));
    const t2 = ((((s2.listeners['0.0.0.0_80'] as J)['filterChains'] as J[])[0]!['filters'] as J[])[0]!['typedConfig'] as J)['tracing'] as J;
    assert.equal(t2['provider'], undefined);
  });

  it('gives proxyless gRPC no telemetry filters and Envoy sidecars metadata exchange on inbound chains and outbound clusters', () => {
    const m = mesh('');
    const grpc = snapshot(m, proxy('sidecar~10.0.0.2~g-1.shop~shop.svc.cluster.local', { GENERATOR: 'grpc', LABELS: { app: 'g' } }));
    const text = JSON.stringify(grpc.snap);
    for (const n of ['istio.stats', 'istio.metadata_exchange', 'istio.alpn', 'grpc_stats']) assert.ok(!text.includes(n), n);
    const { snap, problems } = snapshot(m, proxy('sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local', { LABELS: WEB }));
    assert.deepEqual(problems, []);
    for (const c of (snap.listeners['virtualInbound'] as J)['filterChains'] as J[])
      assert.equal(((c['filters'] as J[])[0] as J)['name'], 'istio.metadata_exchange', String(c['name']));
    assert.deepEqual(
      ((snap.clusters['outbound|80||web.shop.svc.cluster.local'] as J)['filters'] as J[]).map((f) => f['name']),
      ['istio.metadata_exchange'],
    );
    assert.equal((snap.clusters['BlackHoleCluster'] as J)['filters'], undefined);
  });
});
