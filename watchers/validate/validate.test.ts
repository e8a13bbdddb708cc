/**
 * Tests for watchers/validate through its one entry point, validateObject: the kinds tspilot reads
 * are accepted in every served version, and each mistake a user makes in an Istio object is
 * rejected with a message that names kind, namespace/name, the field path and the reason (what
 * shows up in logs and /debug/configz). Kinds tspilot does not read are ignored, never rejected.
 * Two fast-check properties: arbitrary JSON values, and valid objects with one field replaced by
 * arbitrary JSON, never make the validator throw or fail internally.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzParams } from '../../e2e/fuzz.js';
import type { Rejection } from '../../model/config.js';
import type { DestinationRule, VirtualService } from '../../model/istio.js';
import type { EndpointSlice, Endpoints, Pod, Service } from '../../model/k8s.js';
import { validateObject, type Validated } from './index.js';

const SRC = 'mesh/test.yaml';
const ISTIO_VERSIONS = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'];

type Obj = Record<string, unknown>;

const service = (): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'reviews', namespace: 'bookinfo', labels: { app: 'reviews' } },
  spec: {
    clusterIP: '10.96.0.13',
    selector: { app: 'reviews' },
    ports: [
      { name: 'http', port: 9080, targetPort: 'http-web' },
      { name: 'grpc', port: 9090 },
    ],
  },
});

const slice = (): Obj => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'reviews-abc12', namespace: 'bookinfo', labels: { 'kubernetes.io/service-name': 'reviews' } },
  addressType: 'IPv4',
  endpoints: [
    {
      addresses: ['10.244.1.5'],
      conditions: { ready: true },
      targetRef: { kind: 'Pod', name: 'reviews-v1-x', namespace: 'bookinfo' },
      zone: 'us-east1-b',
    },
    { addresses: ['10.244.1.6'], conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'reviews-v2-y' } },
  ],
  ports: [{ name: 'http', port: 9080, protocol: 'TCP' }],
});

const endpoints = (): Obj => ({
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name: 'ratings', namespace: 'bookinfo' },
  subsets: [
    {
      addresses: [{ ip: '10.244.2.1', targetRef: { kind: 'Pod', name: 'ratings-v1-a' } }],
      notReadyAddresses: [{ ip: '10.244.2.2' }],
      ports: [{ name: 'http', port: 9080 }],
    },
  ],
});

const pod = (): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'reviews-v1-x', namespace: 'bookinfo', labels: { app: 'reviews', version: 'v1' } },
  spec: {
    serviceAccountName: 'bookinfo-reviews',
    nodeName: 'node-1',
    containers: [{ name: 'reviews', ports: [{ name: 'http-web', containerPort: 9080 }] }],
  },
  status: { phase: 'Running', podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }] },
});

const virtualService = (apiVersion = 'networking.istio.io/v1'): Obj => ({
  apiVersion,
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'bookinfo' },
  spec: {
    hosts: ['reviews'],
    http: [
      {
        name: 'jason',
        match: [{ headers: { 'end-user': { exact: 'jason' } }, uri: { prefix: '/reviews' } }, { uri: { regex: '/api/v[0-9]+/.*' } }],
        route: [{ destination: { host: 'reviews', subset: 'v2' } }],
        timeout: '1.5s',
        retries: { attempts: 3, perTryTimeout: '250ms', retryOn: '5xx' },
      },
      {
        fault: { delay: { fixedDelay: '2s', percentage: { value: 10 } }, abort: { httpStatus: 503, percentage: { value: 0.5 } } },
        route: [
          { destination: { host: 'reviews', subset: 'v1' }, weight: 50 },
          { destination: { host: 'reviews.bookinfo.svc.cluster.local', subset: 'v3', port: { number: 9080 } }, weight: 50 },
        ],
      },
    ],
  },
});

const destinationRule = (apiVersion = 'networking.istio.io/v1'): Obj => ({
  apiVersion,
  kind: 'DestinationRule',
  metadata: { name: 'reviews', namespace: 'bookinfo' },
  spec: {
    host: 'reviews',
    trafficPolicy: {
      loadBalancer: { simple: 'ROUND_ROBIN' },
      connectionPool: { tcp: { connectTimeout: '5s' } },
      outlierDetection: { interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
    },
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } },
      { name: 'v3', labels: { version: 'v3' } },
    ],
  },
});

/** Applies `edit` to a deep copy of `o`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- edits reach into arbitrary nested spec fields of a test object
function edited(o: Obj, edit: (c: any) => void): Obj {
  const c = structuredClone(o);
  edit(c);
  return c;
}

function accepted(v: Validated): { key: string; object: unknown } {
  if (v.status !== 'ok') assert.fail(`expected ok, got ${JSON.stringify(v)}`);
  return v;
}

function rejected(v: Validated): Rejection {
  if (v.status !== 'rejected') assert.fail(`expected a rejection, got ${JSON.stringify(v).slice(0, 300)}`);
  return v.rejection;
}

/** Asserts the rejection names kind, namespace/name, source, field and a reason matching `reason`. */
function assertRejection(r: Rejection, kind: string, ns: string, name: string, field: string, reason: RegExp): void {
  assert.equal(r.kind, kind);
  assert.equal(r.namespace, ns);
  assert.equal(r.name, name);
  assert.equal(r.key, `${kind}/${ns}/${name}`);
  assert.equal(r.source, SRC);
  assert.equal(r.field, field);
  assert.match(r.reason, reason);
}

describe('watchers/validate validateObject', () => {
  describe('accepts the kinds tspilot reads', () => {
    it('Service: ports (numeric and named targetPort, default TCP), selector, clusterIP', () => {
      const v = accepted(validateObject(service(), 'default', SRC));
      assert.equal(v.key, 'Service/bookinfo/reviews');
      const s = v.object as Service;
      assert.equal(s.clusterIP, '10.96.0.13');
      assert.deepEqual(s.selector, { app: 'reviews' });
      assert.deepEqual(
        s.ports.map((p) => [p.name, p.port, p.targetPort, p.protocol]),
        [
          ['http', 9080, 'http-web', 'TCP'],
          ['grpc', 9090, 9090, 'TCP'],
        ],
      );
    });

    it('Service: one port number over UDP and TCP (kube-dns) is accepted, as the API server does; the same port and protocol twice is not', () => {
      const dns = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kube-dns', namespace: 'kube-system' },
        spec: {
          clusterIP: '10.96.0.10',
          selector: { 'k8s-app': 'kube-dns' },
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP' },
            { name: 'dns-tcp', port: 53, protocol: 'TCP' },
            { name: 'metrics', port: 9153 },
          ],
        },
      };
      const s = accepted(validateObject(dns, 'default', SRC)).object as Service;
      assert.deepEqual(
        s.ports.map((p) => `${p.port}/${p.protocol}`),
        ['53/UDP', '53/TCP', '9153/TCP'],
      );
      const twice = rejected(
        validateObject(
          {
            ...dns,
            spec: {
              ...dns.spec,
              ports: [
                { name: 'a', port: 53 },
                { name: 'b', port: 53, protocol: 'TCP' },
              ],
            },
          },
          'default',
          SRC,
        ),
      );
      assertRejection(twice, 'Service', 'kube-system', 'kube-dns', 'spec.ports[1].port', /duplicate port 53\/TCP/);
    });

    it('EndpointSlice without the service-name label (managed by another controller): accepted, as the API server does', () => {
      const v = accepted(
        validateObject(
          edited(slice(), (c) => {
            c.metadata.labels = {};
          }),
          'default',
          SRC,
        ),
      );
      assert.equal((v.object as EndpointSlice).serviceName, '');
    });

    it('EndpointSlice: service name from its label, readiness, targetRef pod (namespace defaulted), zone, ports', () => {
      const v = accepted(validateObject(slice(), 'default', SRC));
      assert.equal(v.key, 'EndpointSlice/bookinfo/reviews-abc12');
      const s = v.object as EndpointSlice;
      assert.equal(s.serviceName, 'reviews');
      assert.deepEqual(
        s.endpoints.map((e) => [e.ip, e.ready, e.targetPod, e.zone]),
        [
          ['10.244.1.5', true, 'bookinfo/reviews-v1-x', 'us-east1-b'],
          ['10.244.1.6', false, 'bookinfo/reviews-v2-y', ''],
        ],
      );
      assert.deepEqual(s.ports, [{ name: 'http', port: 9080, protocol: 'TCP' }]);
    });

    it('EndpointSlice in discovery.k8s.io/v1beta1 too', () => {
      accepted(validateObject({ ...slice(), apiVersion: 'discovery.k8s.io/v1beta1' }, 'default', SRC));
    });

    it('Endpoints: each subset becomes a slice of the same service; notReadyAddresses are not ready', () => {
      const v = accepted(validateObject(endpoints(), 'default', SRC));
      const e = v.object as Endpoints;
      assert.equal(e.slices.length, 1);
      assert.equal(e.slices[0]!.serviceName, 'ratings');
      assert.deepEqual(
        e.slices[0]!.endpoints.map((a) => [a.ip, a.ready, a.targetPod]),
        [
          ['10.244.2.1', true, 'bookinfo/ratings-v1-a'],
          ['10.244.2.2', false, null],
        ],
      );
    });

    it('Pod: labels, IP, phase, service account, named container ports', () => {
      const p = accepted(validateObject(pod(), 'default', SRC)).object as Pod;
      assert.deepEqual(p.meta.labels, { app: 'reviews', version: 'v1' });
      assert.equal(p.podIP, '10.244.1.5');
      assert.equal(p.phase, 'Running');
      assert.equal(p.serviceAccount, 'bookinfo-reviews');
      assert.deepEqual(p.containerPorts, [{ name: 'http-web', containerPort: 9080, protocol: 'TCP' }]);
    });

    for (const version of ISTIO_VERSIONS) {
      it(`VirtualService ${version}: matches, subsets, weights, timeout, retries, fault`, () => {
        const v = accepted(validateObject(virtualService(version), 'default', SRC));
        assert.equal(v.key, 'VirtualService/bookinfo/reviews');
        const vs = v.object as VirtualService;
        assert.deepEqual(vs.spec.hosts, ['reviews']);
        const [h0, h1] = vs.spec.http!;
        assert.deepEqual(h0!.match![0]!.headers, { 'end-user': { exact: 'jason' } });
        assert.deepEqual(h0!.match![1]!.uri, { regex: '/api/v[0-9]+/.*' });
        assert.equal(h0!.timeout, '1.5s');
        assert.deepEqual(h0!.retries, { attempts: 3, perTryTimeout: '250ms', retryOn: '5xx' });
        assert.deepEqual(
          h1!.route!.map((d) => [d.destination.host, d.destination.subset, d.weight]),
          [
            ['reviews', 'v1', 50],
            ['reviews.bookinfo.svc.cluster.local', 'v3', 50],
          ],
        );
        assert.deepEqual(h1!.fault, {
          delay: { fixedDelay: '2s', percentage: { value: 10 } },
          abort: { httpStatus: 503, percentage: { value: 0.5 } },
        });
      });

      it(`DestinationRule ${version}: host, policy, subsets`, () => {
        const v = accepted(validateObject(destinationRule(version), 'default', SRC));
        assert.equal(v.key, 'DestinationRule/bookinfo/reviews');
        const dr = v.object as DestinationRule;
        assert.equal(dr.spec.host, 'reviews');
        assert.deepEqual(
          dr.spec.subsets!.map((s) => s.name),
          ['v1', 'v2', 'v3'],
        );
        assert.equal(dr.spec.trafficPolicy?.loadBalancer?.simple, 'ROUND_ROBIN');
      });
    }

    it('an object without a namespace gets the default namespace', () => {
      const v = accepted(
        validateObject(
          edited(virtualService(), (c) => {
            delete c.metadata.namespace;
          }),
          'team-a',
          SRC,
        ),
      );
      assert.equal(v.key, 'VirtualService/team-a/reviews');
      assert.equal((v.object as VirtualService).meta.namespace, 'team-a');
    });
  });

  describe('rejects mistakes, naming kind, namespace/name, field and reason', () => {
    it('weights that do not add up to 100', () => {
      const r = rejected(
        validateObject(
          edited(virtualService(), (c) => {
            c.spec.http[1].route[1].weight = 40;
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(r, 'VirtualService', 'bookinfo', 'reviews', 'spec.http[1].route', /add up to 100, got 90 \(50 \+ 40\)/);
    });

    it('a destination without a host', () => {
      const r = rejected(
        validateObject(
          edited(virtualService(), (c) => {
            delete c.spec.http[0].route[0].destination.host;
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(r, 'VirtualService', 'bookinfo', 'reviews', 'spec.http[0].route[0].destination.host', /is required/);
    });

    it('a route with no destination, redirect or directResponse', () => {
      const r = rejected(
        validateObject(
          edited(virtualService(), (c) => {
            delete c.spec.http[0].route;
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(r, 'VirtualService', 'bookinfo', 'reviews', 'spec.http[0].route', /needs a destination/);
    });

    it('an unknown field in the spec (a typo: spec.htttp)', () => {
      const r = rejected(
        validateObject(
          edited(virtualService(), (c) => {
            c.spec.htttp = c.spec.http;
            delete c.spec.http;
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(r, 'VirtualService', 'bookinfo', 'reviews', 'spec.htttp', /unknown field/);
      assert.match(r.reason, /http/, 'lists the known fields');
    });

    it('an unknown field deep in a route (spec.http[0].retries.attempt)', () => {
      const r = rejected(
        validateObject(
          edited(virtualService(), (c) => {
            c.spec.http[0].retries = { attempt: 3 };
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(r, 'VirtualService', 'bookinfo', 'reviews', 'spec.http[0].retries.attempt', /unknown field/);
    });

    it('a regex RE2 cannot compile, though JavaScript can (lookbehind)', () => {
      assert.doesNotThrow(() => new RegExp('(?<=a)b'), 'JS accepts the lookbehind; Envoy (RE2) would NACK it');
      const r = rejected(
        validateObject(
          edited(virtualService(), (c) => {
            c.spec.http[0].match[1].uri.regex = '(?<=a)b';
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(r, 'VirtualService', 'bookinfo', 'reviews', 'spec.http[0].match[1].uri.regex', /not a valid RE2 regular expression/);
      assert.match(r.reason, /\(\?<=a\)b/, 'quotes the regex');
    });

    it('a backreference in a header regex (RE2 has none)', () => {
      const r = rejected(
        validateObject(
          edited(virtualService(), (c) => {
            c.spec.http[0].match[0].headers['end-user'] = { regex: '(a)\\1' };
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(r, 'VirtualService', 'bookinfo', 'reviews', 'spec.http[0].match[0].headers.end-user.regex', /RE2/);
    });

    it('a bad duration', () => {
      const r = rejected(
        validateObject(
          edited(virtualService(), (c) => {
            c.spec.http[0].timeout = '10 seconds';
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(r, 'VirtualService', 'bookinfo', 'reviews', 'spec.http[0].timeout', /"10 seconds" is not a duration/);
    });

    it('a bad duration in a fault delay and in a DestinationRule', () => {
      const vs = rejected(
        validateObject(
          edited(virtualService(), (c) => {
            c.spec.http[1].fault.delay.fixedDelay = '2';
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(vs, 'VirtualService', 'bookinfo', 'reviews', 'spec.http[1].fault.delay.fixedDelay', /not a duration/);
      const dr = rejected(
        validateObject(
          edited(destinationRule(), (c) => {
            c.spec.trafficPolicy.outlierDetection.interval = 'often';
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(
        dr,
        'DestinationRule',
        'bookinfo',
        'reviews',
        'spec.trafficPolicy.outlierDetection.interval',
        /"often" is not a duration/,
      );
    });

    it('duplicate subset names', () => {
      const r = rejected(
        validateObject(
          edited(destinationRule(), (c) => {
            c.spec.subsets[2].name = 'v1';
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(r, 'DestinationRule', 'bookinfo', 'reviews', 'spec.subsets[2].name', /duplicate subset name "v1"/);
    });

    it('a Service port out of range', () => {
      const r = rejected(
        validateObject(
          edited(service(), (c) => {
            c.spec.ports[1].port = 70000;
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(r, 'Service', 'bookinfo', 'reviews', 'spec.ports[1].port', /65535, got 70000/);
      const zero = rejected(
        validateObject(
          edited(service(), (c) => {
            c.spec.ports[0].port = 0;
          }),
          'default',
          SRC,
        ),
      );
      assertRejection(zero, 'Service', 'bookinfo', 'reviews', 'spec.ports[0].port', /≥ 1, got 0/);
    });

    it('an unserved version of an Istio kind', () => {
      const r = rejected(validateObject(virtualService('networking.istio.io/v2'), 'default', SRC));
      assertRejection(r, 'VirtualService', 'bookinfo', 'reviews', 'apiVersion', /not a served version/);
    });

    it('several problems: the first names the field, the others are summarised', () => {
      const r = rejected(
        validateObject(
          edited(virtualService(), (c) => {
            c.spec.http[0].timeout = 'x';
            c.spec.http[1].route[0].weight = 10;
          }),
          'default',
          SRC,
        ),
      );
      assert.equal(r.field, 'spec.http[0].timeout');
      assert.match(r.reason, /and 1 more: spec\.http\[1\]\.route: destination weights must add up to 100/);
    });

    it('a document that is not an object, or has no kind', () => {
      assert.equal(rejected(validateObject(['a'], 'default', SRC)).kind, 'Unknown');
      const r = rejected(validateObject({ apiVersion: 'v1', metadata: { name: 'x' } }, 'default', SRC));
      assert.equal(r.field, 'kind');
      assert.equal(r.name, 'x');
    });
  });

  describe('ignores what tspilot does not read', () => {
    it('a Deployment is ignored, not rejected', () => {
      const v = validateObject(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'reviews-v1' }, spec: { replicas: 'lots' } },
        'default',
        SRC,
      );
      assert.equal(v.status, 'ignored');
      assert.equal(v.status === 'ignored' && v.kind, 'Deployment');
    });

    it('a same-named kind of another API group is ignored (Knative Service)', () => {
      assert.equal(
        validateObject({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'x' }, spec: {} }, 'default', SRC).status,
        'ignored',
      );
    });

    it('kinds named like Object.prototype members are ignored, not a crash', () => {
      for (const kind of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
        assert.equal(validateObject({ apiVersion: 'v1', kind, metadata: { name: 'x' } }, 'default', SRC).status, 'ignored', kind);
      }
    });
  });

  describe('properties', () => {
    it('arbitrary JSON values never make validateObject throw', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (v) => {
          const res = validateObject(v, 'default', SRC);
          assert.ok(['ok', 'rejected', 'ignored'].includes(res.status));
        }),
        fuzzParams(500),
      );
    });

    it('arbitrary objects with a supported kind/apiVersion are accepted or rejected with a named field, never an internal failure', () => {
      const kinds = [
        ['v1', 'Service'],
        ['v1', 'Pod'],
        ['v1', 'Endpoints'],
        ['discovery.k8s.io/v1', 'EndpointSlice'],
        ['networking.istio.io/v1', 'VirtualService'],
        ['networking.istio.io/v1beta1', 'DestinationRule'],
      ] as const;
      fc.assert(
        fc.property(
          fc.constantFrom(...kinds),
          fc.dictionary(fc.string(), fc.jsonValue()),
          fc.jsonValue(),
          fc.jsonValue(),
          ([apiVersion, kind], extra, metadata, spec) => {
            const res = validateObject({ ...extra, apiVersion, kind, metadata, spec }, 'default', SRC);
            if (res.status === 'rejected') {
              assert.doesNotMatch(res.rejection.reason, /validator failed/);
              assert.equal(res.rejection.kind, kind);
              assert.ok(res.rejection.reason.length > 0);
            } else assert.equal(res.status, 'ok');
          },
        ),
        fuzzParams(500),
      );
    });

    it('a valid object with any one field replaced by arbitrary JSON never fails internally', () => {
      const bases = [service(), slice(), endpoints(), pod(), virtualService(), destinationRule()];
      /** Every path to a value inside `o` (excluding apiVersion/kind). */
      const paths = (o: unknown, at: (string | number)[] = []): (string | number)[][] => {
        const out: (string | number)[][] = at.length ? [at] : [];
        if (Array.isArray(o)) o.forEach((v, i) => out.push(...paths(v, [...at, i])));
        else if (o && typeof o === 'object')
          for (const [k, v] of Object.entries(o)) if (at.length || (k !== 'apiVersion' && k !== 'kind')) out.push(...paths(v, [...at, k]));
        return out;
      };
      fc.assert(
        fc.property(fc.nat(bases.length - 1), fc.nat(), fc.jsonValue(), (b, pick, value) => {
          const base = bases[b]!;
          const all = paths(base);
          const path = all[pick % all.length]!;
          const obj = edited(base, (c) => {
            let cur = c;
            for (const k of path.slice(0, -1)) cur = cur[k];
            cur[path[path.length - 1]!] = value;
          });
          const res = validateObject(obj, 'default', SRC);
          if (res.status === 'rejected') {
            assert.doesNotMatch(res.rejection.reason, /validator failed/, `replacing ${path.join('.')}`);
            assert.ok(
              res.rejection.field.length > 0,
              `a rejection names its field (replacing ${path.join('.')} with ${JSON.stringify(value)})`,
            );
          } else assert.equal(res.status, 'ok');
        }),
        fuzzParams(1000),
      );
    });
  });
});
