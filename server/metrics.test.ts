/**
 * istiod's metrics as an operator's dashboard reads them: mesh gauges from the config, rejects
 * per type with the proxy and error, and push timings attributed to pushes only.
 */
import { strict as assert } from 'node:assert';
import { storeFromTexts, meshFromState } from '../watchers/store/snapshot.js';
import { meshGauges, PilotMetrics } from './metrics.js';
import { Observer } from './observe.js';
import type { StreamState, SotwResponse } from './xds/state.js';
import type { RequestOutcome } from './xds/sotw.js';
import type { SotwRequest } from '../proto/wire.js';
import { CDS, RDS } from '../proto/typeurls.js';
import { fullPush } from '../model/push.js';

const YAML = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  clusterIP: 10.96.0.5
  selector: {app: reviews}
  ports: [{name: http, port: 9080, targetPort: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: ghost, namespace: default}
spec:
  clusterIP: 10.96.0.6
  selector: {app: ghost}
  ports: [{name: http, port: 80, targetPort: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: v1}}
status: {phase: Running, podIP: 10.1.0.1}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: default}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: v1}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b, namespace: default}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http: [{route: [{destination: {host: reviews, subset: v1}}]}]
`;

function mesh() {
  return meshFromState(storeFromTexts([{ source: 'mesh.yaml', text: YAML }]).state);
}

function stream(id: string): StreamState {
  return {
    id: `${id}-1`,
    proxy: {
      id,
      type: 'sidecar',
      ip: '10.1.0.9',
      ips: ['10.1.0.9'],
      workloadName: 'x',
      namespace: 'default',
      domain: '',
      generator: 'envoy',
      labels: {},
      metadata: {},
    },
    node: { id, cluster: '', metadata: { ISTIO_VERSION: '1.24.0' }, userAgentName: 'envoy', clientFeatures: [], locality: null },
    kind: 'sotw',
    connectedAt: 0,
    peer: 'ipv4:127.0.0.1:1',
    types: new Map(),
    nonceSeq: 0,
  } as StreamState;
}

const req = (typeUrl: string, error?: string): SotwRequest =>
  ({
    typeUrl,
    versionInfo: 'v0',
    resourceNames: [],
    responseNonce: '1',
    node: null,
    errorDetail: error ? { code: 13, message: error } : null,
  }) as SotwRequest;
const resp = (typeUrl: string): SotwResponse => ({ typeUrl, versionInfo: 'v1', nonce: '2', resources: [] });

async function value(m: PilotMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const j = await m.registry.getSingleMetric(name)!.get();
  const hit = j.values.find(
    (v) =>
      Object.entries(labels).every(([k, x]) => v.labels[k] === x) &&
      (!('metricName' in v) || v.metricName === name || v.metricName === `${name}_count`),
  );
  return hit?.value;
}

describe('server/metrics', () => {
  it('counts services, virtual services, clusters without endpoints and duplicate VirtualService hosts', () => {
    const g = meshGauges(mesh());
    assert.equal(g.services, 2);
    assert.equal(g.virtualServices, 2);
    // ghost:80 has no endpoints; reviews subset v2 selects no pod; reviews:9080 and v1 have one.
    assert.equal(g.edsNoInstances, 2);
    // a and b claim the same host (one short, one fully qualified).
    assert.equal(g.vserviceDupDomains, 1);
  });

  it('exposes istiod names, one registry per instance', async () => {
    const a = new PilotMetrics({ processMetrics: false });
    const b = new PilotMetrics({ processMetrics: false });
    a.setMesh(mesh());
    const text = (await a.render()).text;
    for (const n of [
      'pilot_xds',
      'pilot_xds_pushes',
      'pilot_proxy_convergence_time',
      'pilot_proxy_queue_time',
      'pilot_debounce_time',
      'pilot_pushcontext_init_seconds',
      'pilot_push_triggers',
      'pilot_xds_push_time',
      'pilot_xds_send_time',
      'pilot_xds_config_size_bytes',
      'pilot_total_xds_rejects',
      'pilot_xds_cds_reject',
      'pilot_xds_eds_reject',
      'pilot_xds_lds_reject',
      'pilot_xds_rds_reject',
      'pilot_xds_expired_nonce',
      'pilot_total_xds_internal_errors',
      'pilot_services',
      'pilot_virt_services',
      'pilot_eds_no_instances',
      'pilot_vservice_dup_domain',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${n} `, 'm'), `${n} missing`);
    }
    assert.match(text, /^pilot_services 2$/m);
    assert.match((await b.render()).text, /^pilot_services 0$/m, 'registries are separate');
    assert.match((await new PilotMetrics().render()).text, /^process_cpu_user_seconds_total /m, 'process metrics by default');
  });

  it('the mesh gauges describe the latest mesh when scraped, however many pushes came between', async () => {
    const m = new PilotMetrics({ processMetrics: false });
    const full = mesh();
    m.setMesh(full);
    assert.match((await m.render()).text, /^pilot_services 2$/m);
    // Two pushes between scrapes: only the last mesh counts.
    m.setMesh({ ...full, services: full.services.slice(0, 1) });
    m.setMesh({ ...full, services: [], virtualServices: [] });
    const text = (await m.render()).text;
    assert.match(text, /^pilot_services 0$/m);
    assert.match(text, /^pilot_virt_services 0$/m);
    assert.match(text, /^pilot_eds_no_instances 0$/m, 'no service, so no cluster without instances');
  });

  it('counts a NACK per type with the proxy and error code, and clears the gauge on the next ACK', async () => {
    const o = new Observer(new PilotMetrics({ processMetrics: false }));
    const s = stream('sidecar~10.1.0.9~a.default~default.svc.cluster.local');
    o.events.connected!(s);
    assert.equal(await value(o.metrics, 'pilot_xds', { version: '1.24.0' }), 1);
    o.events.request!(s, req(CDS, 'unsupported lb_policy: MAGLEV'), {
      kind: 'nack',
      typeUrl: CDS,
      resubscribed: false,
      response: null,
    } as RequestOutcome);
    assert.equal(await value(o.metrics, 'pilot_total_xds_rejects', { type: 'cds' }), 1);
    assert.equal(
      await value(o.metrics, 'pilot_xds_cds_reject', { node: s.proxy.id, err: 'INTERNAL' }),
      1,
      'labelled with the gRPC code, as istiod',
    );
    o.events.request!(s, req(CDS), { kind: 'ack', typeUrl: CDS, resubscribed: false, response: null } as RequestOutcome);
    assert.equal(await value(o.metrics, 'pilot_xds_cds_reject', { node: s.proxy.id }), undefined);
    assert.equal(await value(o.metrics, 'pilot_total_xds_rejects', { type: 'cds' }), 1, 'the total keeps counting');
    o.events.request!(s, req(RDS), { kind: 'stale', typeUrl: RDS, resubscribed: false, response: null } as RequestOutcome);
    assert.equal(await value(o.metrics, 'pilot_xds_expired_nonce', { type: 'rds' }), 1);
    o.events.disconnected!(s);
    assert.equal(await value(o.metrics, 'pilot_xds', { version: '1.24.0' }), undefined, 'the series goes with its last proxy');
  });

  it('attributes convergence to pushes, not to answers to requests, and records push_status', async () => {
    let now = 1000;
    const o = new Observer(new PilotMetrics({ processMetrics: false }), () => now);
    const s = stream('sidecar~10.1.0.9~a.default~default.svc.cluster.local');
    const answer = resp(CDS);
    o.events.request!(s, req(CDS), { kind: 'initial', typeUrl: CDS, resubscribed: true, response: answer } as RequestOutcome);
    o.events.sent!(s, answer, 100);
    assert.equal(await value(o.metrics, 'pilot_proxy_convergence_time'), 0, 'an answer to a request is not a push');
    const u = { ...fullPush(mesh(), new Set(['VirtualService']), new Set(['VirtualService/default/r']), 800), buildMs: 12 };
    const p = o.beginPush(u);
    now = 1050;
    o.events.sent!(s, resp(CDS), 200);
    o.events.sent!(s, resp(RDS), 300);
    p.end(2);
    assert.equal(await value(o.metrics, 'pilot_proxy_convergence_time'), 1, 'once per proxy per push');
    assert.equal(await value(o.metrics, 'pilot_pushcontext_init_seconds'), 1, 'the mesh build time is observed once per push');
    assert.equal(await value(o.metrics, 'pilot_xds_pushes', { type: 'cds' }), 2);
    assert.equal(await value(o.metrics, 'pilot_push_triggers', { type: 'config' }), 1);
    const st = o.pushStatus() as {
      pushes: { triggers: string[]; kinds: string[]; proxies: string[]; responses: number; debounceMs: number }[];
    };
    assert.deepEqual(st.pushes[0]!.kinds, ['VirtualService']);
    assert.deepEqual(st.pushes[0]!.triggers, ['config']);
    assert.deepEqual(st.pushes[0]!.proxies, [s.proxy.id]);
    assert.equal(st.pushes[0]!.responses, 2);
    assert.equal(st.pushes[0]!.debounceMs, 200);
    // A push to a large fleet keeps a bounded list of proxies and the full count.
    const p2 = o.beginPush(u);
    for (let i = 0; i < 60; i++) o.events.sent!(stream(`sidecar~10.1.0.${i}~p${i}.default~default.svc.cluster.local`), resp(CDS), 10);
    p2.end(60);
    const big = (o.pushStatus() as { pushes: { proxyCount: number; proxies: string[]; proxiesOmitted?: number }[] }).pushes[0]!;
    assert.deepEqual([big.proxyCount, big.proxies.length, big.proxiesOmitted], [60, 50, 10]);
  });

  it("has istiod's build, config-event, write-timeout, listener-conflict and validation metrics, fed by what happens", async () => {
    const m = new PilotMetrics({ processMetrics: false });
    m.configEvent('VirtualService', 'add');
    m.configEvent('VirtualService', 'update');
    m.configEvent('Service', 'delete');
    let timeouts = 0;
    m.countSendTimeouts(() => timeouts);
    timeouts = 3;
    m.validation({ group: 'networking.istio.io', version: 'v1', resource: 'virtualservices', allowed: true });
    m.validation({ group: 'networking.istio.io', version: 'v1', resource: 'virtualservices', allowed: false, reason: 'invalid_resource' });
    // Two VIP-less TCP services on 9000 (the second loses) and one on an HTTP port (the HTTP listener wins).
    const conflicts = storeFromTexts([
      {
        source: 'c.yaml',
        text: `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {clusterIP: 10.96.0.9, ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: db1, namespace: default}
spec: {clusterIP: None, ports: [{name: tcp, port: 9000}]}
---
apiVersion: v1
kind: Service
metadata: {name: db2, namespace: default}
spec: {clusterIP: None, ports: [{name: tcp, port: 9000}]}
---
apiVersion: v1
kind: Service
metadata: {name: raw, namespace: default}
spec: {clusterIP: None, ports: [{name: tcp, port: 8080}]}
`,
      },
    ]);
    m.setMesh(meshFromState(conflicts.state));
    const text = (await m.render()).text;
    assert.match(text, /^istio_build\{component="pilot",tag="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    assert.match(text, /^pilot_k8s_cfg_events\{type="VirtualService",event="add"\} 1$/m);
    assert.match(text, /^pilot_k8s_cfg_events\{type="VirtualService",event="update"\} 1$/m);
    assert.match(text, /^pilot_k8s_reg_events\{type="Services",event="delete"\} 1$/m);
    assert.match(text, /^pilot_xds_write_timeout 3$/m);
    assert.match(text, /^galley_validation_passed\{group="networking\.istio\.io",version="v1",resource="virtualservices"\} 1$/m);
    assert.match(
      text,
      /^galley_validation_failed\{group="networking\.istio\.io",version="v1",resource="virtualservices",reason="invalid_resource"\} 1$/m,
    );
    assert.match(text, /^pilot_conflict_outbound_listener_tcp_over_current_tcp 1$/m);
    assert.match(text, /^pilot_conflict_outbound_listener_tcp_over_current_http 1$/m);
    assert.match(text, /^pilot_conflict_inbound_listener 0$/m);
    assert.match(text, /^pilot_xds_push_context_errors 0$/m);
  });
});
