/**
 * @module server/metrics
 * istiod's Prometheus metrics, by istiod's names and meanings, so existing Grafana dashboards and
 * alerts keep working (../shared/reference/istio-conventions.md). One `Registry` per server (never
 * prom-client's global one), so tests can run several servers in one process. Process metrics
 * (`collectDefaultMetrics`) are optional for the same reason.
 *
 * This file only defines the metrics and small recording methods; `server/observe.ts` calls them
 * from the ADS engine's hooks and the pipeline's updates. Mesh-wide gauges (services, virtual
 * services, clusters without instances, duplicate domains) are computed from the MeshConfig by
 * `meshGauges` (./metrics-mesh.ts), a pure function.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MeshConfig } from '../model/config.js';
import { meshGauges, type ListenerConflicts, type MeshGauges } from './metrics-mesh.js';
import { tspilotVersion } from './version.js';

/** istiod's push trigger types by config kind: model/push.ts (the PushRequest carries them). */
export { REASON_OF_KIND as TRIGGER_OF_KIND } from '../model/push.js';
export { meshGauges, listenerConflicts, type ListenerConflicts, type MeshGauges } from './metrics-mesh.js';

/** Seconds buckets like istiod's for push and convergence timings. */
const TIME_BUCKETS = [0.001, 0.01, 0.1, 0.5, 1, 3, 5, 10, 20, 30];
const SIZE_BUCKETS = [1, 10_000, 1_000_000, 4_000_000, 10_000_000, 40_000_000];

/** gRPC status names: istiod labels the reject gauges with the NACK's code, not its text (bounded cardinality). */
const CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** What an ISTIO_VERSION looks like (1.24.2, 1.25-dev, 1.22.0-distroless…). */
const VERSION_SHAPE = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;
/** Distinct `pilot_xds` version labels at once (a fleet mid-upgrade runs two or three). */
export const MAX_VERSION_LABELS = 16;

export const codeName = (code: number): string => CODE_NAMES[code] ?? String(code);

/** Kubernetes registry kinds (istiod's pilot_k8s_reg_events type label); every other kind is a config event (pilot_k8s_cfg_events). */
const REGISTRY_TYPE: Readonly<Record<string, string>> = {
  Service: 'Services',
  Pod: 'Pods',
  EndpointSlice: 'EndpointSlice',
  Endpoints: 'Endpoints',
  Namespace: 'Namespaces',
  Node: 'Nodes',
};

export class PilotMetrics {
  readonly registry = new Registry();
  readonly xds: Gauge<'version'>;
  readonly pushes: Counter<'type'>;
  readonly convergence: Histogram;
  readonly queueTime: Histogram;
  readonly debounceTime: Histogram;
  readonly pushContextInit: Histogram;
  readonly triggers: Counter<'type'>;
  readonly pushTime: Histogram<'type'>;
  readonly sendTime: Histogram;
  readonly configSize: Histogram<'type'>;
  readonly rejects: Counter<'type'>;
  readonly typeRejects: Readonly<Record<'cds' | 'eds' | 'lds' | 'rds', Gauge<'node' | 'err'>>>;
  readonly expiredNonce: Counter<'type'>;
  readonly internalErrors: Counter;
  /** SDS secret names refused to a stream (istiod's pilot_sds_certificate_errors_total). */
  readonly sdsErrors: Counter;
  /** A proxy class whose config could not be computed (translator threw), or a stream whose push failed. */
  readonly pushContextErrors: Counter;
  readonly services: Gauge;
  readonly virtServices: Gauge;
  readonly edsNoInstances: Gauge;
  readonly dupDomains: Gauge;
  /** Streams refused on the TLS xDS port (istiod has no such metric). */
  readonly xdsAuthFailures: Counter<'reason'>;
  readonly build: Gauge<'component' | 'tag'>;
  readonly cfgEvents: Counter<'type' | 'event'>;
  readonly regEvents: Counter<'type' | 'event'>;
  /** Writes that did not complete in time (the engine's send timeout; istiod's pilot_xds_write_timeout). */
  readonly writeTimeouts: Counter;
  readonly conflicts: Readonly<Record<keyof ListenerConflicts, Gauge>>;
  readonly validationPassed: Counter<'group' | 'version' | 'resource'>;
  readonly validationFailed: Counter<'group' | 'version' | 'resource' | 'reason'>;
  readonly validationHttpErrors: Counter<'status'>;
  /** Where pilot_xds_write_timeout reads its total (the engine's counters), and what was already counted. */
  private readonly timeouts: { total: () => number; counted: number } = { total: () => 0, counted: 0 };
  /** Kubernetes mode: lists after the first (410 Gone, failed lists) and reopened watches, per resource. */
  readonly kubeRelists: Counter<'resource'>;
  readonly kubeReconnects: Counter<'resource'>;
  /** RequestAuthentication jwksUri fetches (istiod's pilot_jwks_resolver_network_fetch_{success,fail}_total). */
  readonly jwksFetchOk: Counter;
  readonly jwksFetchFail: Counter;
  /** `pilot_xds` version label → connected proxies with it (a series is removed when it drops to zero). */
  private readonly versions = new Map<string, number>();
  /** node → type → err label currently set on the reject gauges (to clear on ACK/disconnect). */
  private readonly rejecting = new Map<string, Map<'cds' | 'eds' | 'lds' | 'rds', string>>();

  constructor(opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.xds = new Gauge({
      name: 'pilot_xds',
      help: 'Number of endpoints connected to this pilot using XDS.',
      labelNames: ['version'],
      registers,
    });
    this.kubeRelists = new Counter({
      name: 'tspilot_kube_relists_total',
      help: 'Kubernetes lists after the first, per resource: 410 Gone (watch history expired) or a failed list.',
      labelNames: ['resource'],
      registers,
    });
    this.kubeReconnects = new Counter({
      name: 'tspilot_kube_watch_reconnects_total',
      help: 'Kubernetes watches reopened after a failure, a server-side timeout or a 410, per resource.',
      labelNames: ['resource'],
      registers,
    });
    this.pushes = new Counter({
      name: 'pilot_xds_pushes',
      help: 'Pilot build and send errors for lds, rds, cds and eds.',
      labelNames: ['type'],
      registers,
    });
    this.convergence = new Histogram({
      name: 'pilot_proxy_convergence_time',
      help: 'Delay in seconds between config change and a proxy receiving all required configuration.',
      buckets: TIME_BUCKETS,
      registers,
    });
    this.queueTime = new Histogram({
      name: 'pilot_proxy_queue_time',
      help: 'Time in seconds, a proxy is in the push queue before being dequeued.',
      buckets: TIME_BUCKETS,
      registers,
    });
    this.debounceTime = new Histogram({
      name: 'pilot_debounce_time',
      help: 'Delay in seconds between the first config enters debouncing and the merged push request is pushed into the push queue.',
      buckets: TIME_BUCKETS,
      registers,
    });
    this.pushContextInit = new Histogram({
      name: 'pilot_pushcontext_init_seconds',
      help: 'Total time in seconds Pilot takes to init pushContext.',
      buckets: TIME_BUCKETS,
      registers,
    });
    this.triggers = new Counter({
      name: 'pilot_push_triggers',
      help: 'Total number of times a push was triggered, labeled by reason for the push.',
      labelNames: ['type'],
      registers,
    });
    this.pushTime = new Histogram({
      name: 'pilot_xds_push_time',
      help: 'Total time in seconds Pilot takes to push lds, rds, cds and eds.',
      labelNames: ['type'],
      buckets: TIME_BUCKETS,
      registers,
    });
    this.sendTime = new Histogram({
      name: 'pilot_xds_send_time',
      help: 'Total time in seconds Pilot takes to send generated configuration.',
      buckets: TIME_BUCKETS,
      registers,
    });
    this.configSize = new Histogram({
      name: 'pilot_xds_config_size_bytes',
      help: 'Distribution of configuration sizes pushed to clients',
      labelNames: ['type'],
      buckets: SIZE_BUCKETS,
      registers,
    });
    this.rejects = new Counter({
      name: 'pilot_total_xds_rejects',
      help: 'Total number of XDS responses from pilot rejected by proxy.',
      labelNames: ['type'],
      registers,
    });
    const reject = (t: string): Gauge<'node' | 'err'> =>
      new Gauge({
        name: `pilot_xds_${t}_reject`,
        help: `Pilot rejected ${t.toUpperCase()} configs.`,
        labelNames: ['node', 'err'],
        registers,
      });
    this.typeRejects = { cds: reject('cds'), eds: reject('eds'), lds: reject('lds'), rds: reject('rds') };
    this.expiredNonce = new Counter({
      name: 'pilot_xds_expired_nonce',
      help: 'Total number of XDS requests with an expired nonce.',
      labelNames: ['type'],
      registers,
    });
    this.internalErrors = new Counter({
      name: 'pilot_total_xds_internal_errors',
      help: 'Total number of internal XDS errors in pilot.',
      registers,
    });
    this.sdsErrors = new Counter({
      name: 'pilot_sds_certificate_errors_total',
      help: 'Total number of failures to fetch SDS key and certificate.',
      registers,
    });
    this.pushContextErrors = new Counter({
      name: 'pilot_xds_push_context_errors',
      help: 'Number of errors (timeouts) initiating push context.',
      registers,
    });
    // Mesh-wide gauges are computed when scraped, once per mesh: meshGauges walks every service
    // and endpoint (O(mesh)), which a push for a one-object change must not pay.
    const gauges = (): MeshGauges | null => this.meshGaugesNow();
    const meshGauge = (name: string, help: string, read: (g: MeshGauges) => number): Gauge =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const g = gauges();
          if (g) this.set(read(g));
        },
      });
    this.services = meshGauge('pilot_services', 'Total services known to pilot.', (g) => g.services);
    this.virtServices = meshGauge('pilot_virt_services', 'Total virtual services known to pilot.', (g) => g.virtualServices);
    this.edsNoInstances = meshGauge('pilot_eds_no_instances', 'Number of clusters without instances.', (g) => g.edsNoInstances);
    this.dupDomains = meshGauge('pilot_vservice_dup_domain', 'Virtual services with dup domains.', (g) => g.vserviceDupDomains);
    this.jwksFetchOk = new Counter({
      name: 'pilot_jwks_resolver_network_fetch_success_total',
      help: 'Total number of successfully network fetch by pilot jwks resolver',
      registers,
    });
    this.jwksFetchFail = new Counter({
      name: 'pilot_jwks_resolver_network_fetch_fail_total',
      help: 'Total number of failed network fetch by pilot jwks resolver',
      registers,
    });
    this.build = new Gauge({ name: 'istio_build', help: 'Istio component build info', labelNames: ['component', 'tag'], registers });
    this.build.set({ component: 'pilot', tag: tspilotVersion() }, 1);
    this.cfgEvents = new Counter({
      name: 'pilot_k8s_cfg_events',
      help: 'Events from k8s config.',
      labelNames: ['type', 'event'],
      registers,
    });
    this.regEvents = new Counter({
      name: 'pilot_k8s_reg_events',
      help: 'Events from k8s registry.',
      labelNames: ['type', 'event'],
      registers,
    });
    const t = this.timeouts;
    this.writeTimeouts = new Counter({
      name: 'pilot_xds_write_timeout',
      help: 'Pilot XDS response write timeouts.',
      registers,
      collect() {
        const now = t.total();
        if (now > t.counted) {
          this.inc(now - t.counted);
          t.counted = now;
        }
      },
    });
    const conflict = (k: keyof ListenerConflicts, name: string, help: string): Gauge => meshGauge(name, help, (g) => g.conflicts[k]);
    this.conflicts = {
      inbound: conflict('inbound', 'pilot_conflict_inbound_listener', 'Number of conflicting inbound listeners.'),
      tcpOverHttp: conflict(
        'tcpOverHttp',
        'pilot_conflict_outbound_listener_tcp_over_current_http',
        'Number of conflicting tcp listeners with current http listener.',
      ),
      tcpOverTcp: conflict(
        'tcpOverTcp',
        'pilot_conflict_outbound_listener_tcp_over_current_tcp',
        'Number of conflicting tcp listeners with current tcp listener.',
      ),
      httpOverTcp: conflict(
        'httpOverTcp',
        'pilot_conflict_outbound_listener_http_over_current_tcp',
        'Number of conflicting wildcard http listeners with current wildcard tcp listener.',
      ),
    };
    this.validationPassed = new Counter({
      name: 'galley_validation_passed',
      help: 'Resource is valid',
      labelNames: ['group', 'version', 'resource'],
      registers,
    });
    this.validationFailed = new Counter({
      name: 'galley_validation_failed',
      help: 'Resource validation failed',
      labelNames: ['group', 'version', 'resource', 'reason'],
      registers,
    });
    this.validationHttpErrors = new Counter({
      name: 'galley_validation_http_error',
      help: 'Resource validation http serve errors',
      labelNames: ['status'],
      registers,
    });
    this.xdsAuthFailures = new Counter({
      name: 'tspilot_xds_auth_failures_total',
      help: 'Streams and connections refused on the TLS xDS port, by reason (unauthenticated, permission_denied, tls_handshake).',
      labelNames: ['reason'],
      registers,
    });
  }

  /**
   * The `pilot_xds` label for a proxy's ISTIO_VERSION: clients choose it, so label values are
   * bounded — a version must look like one (letters, digits, `.`, `-`, `+`, `_`, at most 64) and
   * at most MAX_VERSION_LABELS distinct values are in use at once; the rest count as `other`.
   */
  versionLabel(version: string): string {
    if (version !== '' && !VERSION_SHAPE.test(version)) return 'other';
    if (this.versions.has(version)) return version;
    return this.versions.size < MAX_VERSION_LABELS ? version : 'other';
  }

  /** A proxy connected: counts it under its version label; returns the label (pass it to `xdsDisconnected`). */
  xdsConnected(version: string): string {
    const label = this.versionLabel(version);
    this.versions.set(label, (this.versions.get(label) ?? 0) + 1);
    this.xds.inc({ version: label });
    return label;
  }

  xdsDisconnected(label: string): void {
    const n = (this.versions.get(label) ?? 0) - 1;
    if (n > 0) {
      this.versions.set(label, n);
      this.xds.dec({ version: label });
      return;
    }
    this.versions.delete(label);
    this.xds.remove({ version: label });
  }

  /** A NACK from `node` for `type` (cds/eds/lds/rds or a full type URL for others) with the gRPC code of its error_detail. */
  nack(node: string, type: string, code: number): void {
    this.rejects.inc({ type });
    if (type !== 'cds' && type !== 'eds' && type !== 'lds' && type !== 'rds') return;
    this.clearReject(node, type);
    const err = codeName(code);
    this.typeRejects[type].set({ node, err }, 1);
    const m = this.rejecting.get(node) ?? new Map<'cds' | 'eds' | 'lds' | 'rds', string>();
    m.set(type, err);
    this.rejecting.set(node, m);
  }

  /** The node accepted `type` again (or went away): its reject gauge entry goes. */
  clearReject(node: string, type?: 'cds' | 'eds' | 'lds' | 'rds'): void {
    const m = this.rejecting.get(node);
    if (!m) return;
    for (const [t, err] of [...m.entries()]) {
      if (type && t !== type) continue;
      this.typeRejects[t].remove({ node, err });
      m.delete(t);
    }
    if (!m.size) this.rejecting.delete(node);
  }

  /** A config event from a source: `pilot_k8s_reg_events` for registry kinds, else `pilot_k8s_cfg_events` (type = kind). */
  configEvent(kind: string, event: 'add' | 'update' | 'delete'): void {
    const reg = REGISTRY_TYPE[kind];
    if (reg) this.regEvents.inc({ type: reg, event });
    else this.cfgEvents.inc({ type: kind, event });
  }

  /** An admission review answered: passed, or failed with istiod's reason label. */
  validation(r: { group: string; version: string; resource: string; allowed: boolean; reason?: string }): void {
    const labels = { group: r.group, version: r.version, resource: r.resource };
    if (r.allowed) this.validationPassed.inc(labels);
    else this.validationFailed.inc({ ...labels, reason: r.reason ?? 'invalid_resource' });
  }

  /** `pilot_xds_write_timeout` follows this total (the engine's `counters.sendTimeouts`). */
  countSendTimeouts(total: () => number): void {
    this.timeouts.total = total;
  }

  /** The mesh the mesh-wide gauges describe; they are computed from it at the next scrape. */
  setMesh(mesh: MeshConfig): void {
    this.mesh = mesh;
  }

  private mesh: MeshConfig | null = null;
  private gaugesOf: { mesh: MeshConfig; g: MeshGauges } | null = null;
  private meshGaugesNow(): MeshGauges | null {
    if (!this.mesh) return null;
    if (this.gaugesOf?.mesh !== this.mesh) this.gaugesOf = { mesh: this.mesh, g: meshGauges(this.mesh) };
    return this.gaugesOf.g;
  }

  /** The Prometheus text exposition and its content type. */
  async render(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
