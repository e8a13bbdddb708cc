/**
 * Tests for watchers/validate/telemetry.ts and the mesh config's telemetry providers: Telemetry
 * objects in v1 and v1alpha1 are read into the model; bad values are rejected with a reason naming
 * the object and field (istiod's validateTelemetry rules); the mesh config reads Prometheus, file
 * and OpenTelemetry access log, OpenTelemetry and Zipkin tracing providers, defaultProviders and the
 * legacy access log settings, reporting bad fields.
 */
import assert from 'node:assert/strict';
import { validateObject } from './index.js';
import { parseMeshConfigText } from './meshconfig.js';
import type { Telemetry } from '../../model/telemetry.js';

const tel = (spec: unknown, apiVersion = 'telemetry.istio.io/v1'): unknown => ({
  apiVersion,
  kind: 'Telemetry',
  metadata: { name: 't', namespace: 'shop' },
  spec,
});

function rejected(o: unknown): { field: string; reason: string; key: string } {
  const v = validateObject(o, 'default', 'f.yaml');
  assert.equal(v.status, 'rejected', JSON.stringify(v));
  if (v.status !== 'rejected') throw new Error('unreachable');
  return { field: v.rejection.field, reason: v.rejection.reason, key: v.rejection.key };
}

describe("Telemetry validation (istiod's rules)", () => {
  it('reads metrics overrides, access logging and tracing in v1 and v1alpha1', () => {
    for (const apiVersion of ['telemetry.istio.io/v1', 'telemetry.istio.io/v1alpha1']) {
      const v = validateObject(
        tel(
          {
            selector: { matchLabels: { app: 'web' } },
            metrics: [
              {
                providers: [{ name: 'prometheus' }],
                reportingInterval: '15s',
                overrides: [
                  { match: { metric: 'REQUEST_COUNT', mode: 'SERVER' }, tagOverrides: { a: { value: 'x' }, b: { operation: 'REMOVE' } } },
                ],
              },
            ],
            accessLogging: [{ providers: [{ name: 'envoy' }], match: { mode: 'CLIENT' }, filter: { expression: 'response.code >= 400' } }],
            tracing: [{ providers: [{ name: 'zipkin' }], randomSamplingPercentage: 12.5, customTags: { t: { header: { name: 'x-t' } } } }],
          },
          apiVersion,
        ),
        'default',
        'f.yaml',
      );
      assert.equal(v.status, 'ok', JSON.stringify(v));
      const t = (v as { object: Telemetry }).object;
      assert.deepEqual(t.spec.metrics?.[0]?.overrides?.[0]?.tagOverrides, {
        a: { operation: 'UPSERT', value: 'x' },
        b: { operation: 'REMOVE' },
      });
      assert.equal(t.spec.tracing?.[0]?.randomSamplingPercentage, 12.5);
      assert.deepEqual(t.spec.accessLogging?.[0]?.match, { mode: 'CLIENT' });
    }
  });

  it('rejects bad values naming object and field', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ tracing: [{ randomSamplingPercentage: 101 }] }, 'spec.tracing[0].randomSamplingPercentage', /100/],
      [{ tracing: [{ providers: [{ name: 'a' }, { name: 'b' }] }] }, 'spec.tracing[0].providers', /at most one/],
      [{ metrics: [{ overrides: [{ match: { metric: 'REQUEST_COUNTS' } }] }] }, 'spec.metrics[0].overrides[0].match.metric', /not one of/],
      [{ metrics: [{ overrides: [{ match: { mode: 'BOTH' } }] }] }, 'spec.metrics[0].overrides[0].match.mode', /CLIENT_AND_SERVER/],
      [
        { metrics: [{ overrides: [{ tagOverrides: { a: { operation: 'REMOVE', value: 'x' } } }] }] },
        'spec.metrics[0].overrides[0].tagOverrides.a.value',
        /REMOVE/,
      ],
      [
        { metrics: [{ overrides: [{ tagOverrides: { a: { operation: 'UPSERT' } } }] }] },
        'spec.metrics[0].overrides[0].tagOverrides.a.value',
        /UPSERT/,
      ],
      [{ metrics: [{ reportingInterval: 'soon' }] }, 'spec.metrics[0].reportingInterval', /./],
      [{ accessLogging: [{ providers: [{}] }] }, 'spec.accessLogging[0].providers[0].name', /./],
      [
        { tracing: [{ customTags: { a: { literal: { value: 'x' }, header: { name: 'h' } } } }] },
        'spec.tracing[0].customTags.a',
        /exactly one/,
      ],
      [{ selector: { matchLabels: { app: 'w*' } } }, 'spec.selector.matchLabels.app', /wildcard/],
      [{ targetRefs: [{ kind: 'Service', name: 'web' }] }, 'spec.targetRefs', /selector/],
    ];
    for (const [spec, field, reason] of cases) {
      const r = rejected(tel(spec));
      assert.equal(r.key, 'Telemetry/shop/t');
      assert.equal(r.field, field, JSON.stringify(spec));
      assert.match(r.reason, reason, field);
    }
  });
});

describe('mesh config telemetry providers', () => {
  it('reads the telemetry provider kinds, defaultProviders and the legacy access log, reporting bad fields', () => {
    const good = parseMeshConfigText(
      [
        'accessLogFile: /dev/stdout',
        'accessLogEncoding: JSON',
        'defaultProviders: {metrics: [prometheus], tracing: [zipkin]}',
        'extensionProviders:',
        '- {name: prom, prometheus: {}}',
        '- {name: file, envoyFileAccessLog: {path: /tmp/a, logFormat: {labels: {code: "%RESPONSE_CODE%"}}}}',
        '- {name: als, envoyOtelAls: {service: otel.obs.svc.cluster.local, port: 4317, logName: mesh}}',
        '- {name: otel, opentelemetry: {service: otel.obs.svc.cluster.local, port: 4317}}',
        '- {name: zipkin, zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411, maxTagLength: 100}}',
      ].join('\n'),
    );
    assert.deepEqual(good.problems, []);
    assert.deepEqual(
      good.settings.extensionProviders?.map((p) => p.name),
      ['als', 'file', 'otel', 'prom', 'zipkin'],
    );
    assert.deepEqual(good.settings.defaultProviders, { metrics: ['prometheus'], tracing: ['zipkin'] });
    assert.equal(good.settings.accessLogEncoding, 'JSON');
    assert.deepEqual(good.settings.extensionProviders?.find((p) => p.name === 'file')?.envoyFileAccessLog, {
      path: '/tmp/a',
      logFormat: { labels: { code: '%RESPONSE_CODE%' } },
    });
    const bad = parseMeshConfigText(
      [
        'accessLogEncoding: XML',
        'defaultProviders: {logs: [x]}',
        'extensionProviders:',
        '- {name: z, zipkin: {service: z, port: 0}}',
        '- {name: f, envoyFileAccessLog: {logFormat: {text: a, labels: {b: c}}}}',
      ].join('\n'),
    );
    assert.deepEqual(
      bad.problems.map((p) => p.field).sort(),
      [
        'accessLogEncoding',
        'defaultProviders.logs',
        'extensionProviders[0].zipkin.port',
        'extensionProviders[1].envoyFileAccessLog.logFormat',
      ].sort(),
    );
  });
});
