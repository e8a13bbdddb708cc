/**
 * @module translators/telemetry/accesslog
 * Access logs for HCMs and tcp_proxy filters, as istiod's accesslog builder and telemetryAccessLog
 * (pilot/pkg/model/telemetry_logging.go): per provider in scope and not disabled,
 * - `envoyFileAccessLog` → `envoy.access_loggers.file` (path default /dev/stdout) with the
 *   provider's text or JSON-label format, else istiod's default text format (a newline is added to
 *   a text format that lacks one); the built-in `envoy` provider formats from the mesh config's
 *   `accessLogFormat` / `accessLogEncoding`;
 * - `envoyOtelAls` → `envoy.access_loggers.open_telemetry` to the provider service's outbound
 *   cluster (log name `otel_envoy_accesslog` unless set, body = the text format, attributes = the
 *   labels, peer metadata filter state logged);
 * a Telemetry `filter.expression` becomes a CEL extension filter on each log. With no Telemetry
 * logging and no default provider, the mesh's legacy `accessLogFile` applies (file log, mesh format).
 * A provider whose service is not in the registry gives no log (istiod logs an error and skips it).
 */
import type { MeshConfig } from '../../model/config.js';
import type { AccessLogFormat, ExtensionProvider } from '../../model/meshconfig.js';
import { typedAny } from '../../proto/any.js';
import type { Any } from '../../proto/types.js';
import { jsonToStruct } from '../../proto/struct.js';
import { findProvider, providerBackend } from './providers.js';
import { typedStruct } from './istio-filters.js';
import type { LoggingSpec } from './merge.js';

/** istiod's EnvoyTextLogFormat. */
export const ENVOY_TEXT_LOG_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% ' +
  '%DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" ' +
  '"%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% ' +
  '%DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n';

/** istiod's EnvoyJSONLogFormatIstio labels. */
const ENVOY_JSON_LOG_FORMAT: Readonly<Record<string, string>> = {
  authority: '%REQ(:AUTHORITY)%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  connection_termination_details: '%CONNECTION_TERMINATION_DETAILS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  duration: '%DURATION%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  request_id: '%REQ(X-REQUEST-ID)%',
  requested_server_name: '%REQUESTED_SERVER_NAME%',
  response_code: '%RESPONSE_CODE%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  response_flags: '%RESPONSE_FLAGS%',
  route_name: '%ROUTE_NAME%',
  start_time: '%START_TIME%',
  upstream_cluster: '%UPSTREAM_CLUSTER_RAW%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_local_address: '%UPSTREAM_LOCAL_ADDRESS%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  upstream_transport_failure_reason: '%UPSTREAM_TRANSPORT_FAILURE_REASON%',
  user_agent: '%REQ(USER-AGENT)%',
  x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
};

/** envoy.config.accesslog.v3.AccessLog in the translators' plain form. */
export interface AccessLogEntry {
  readonly name: string;
  readonly typed_config: Any;
  readonly filter?: object;
}

const withNewline = (f: string): string => (f.endsWith('\n') ? f : `${f}\n`);

function fileLog(path: string, format: AccessLogFormat | undefined, json: boolean): AccessLogEntry {
  const labels = format?.labels && Object.keys(format.labels).length ? format.labels : ENVOY_JSON_LOG_FORMAT;
  const log_format =
    json || format?.labels
      ? { json_format: jsonToStruct({ ...labels }) }
      : { text_format_source: { inline_string: format?.text ? withNewline(format.text) : ENVOY_TEXT_LOG_FORMAT } };
  return {
    name: 'envoy.access_loggers.file',
    typed_config: typedAny('envoy.extensions.access_loggers.file.v3.FileAccessLog', { path, log_format }),
  };
}

/** The legacy mesh-wide file access log (`accessLogFile`), or the built-in `envoy` provider's, formatted from the mesh config. */
function meshFileLog(mesh: MeshConfig, path: string): AccessLogEntry {
  const s = mesh.settings;
  if (s.accessLogEncoding === 'JSON') {
    let labels: Record<string, string> | undefined;
    try {
      const parsed: unknown = s.accessLogFormat ? JSON.parse(s.accessLogFormat) : undefined;
      if (parsed && typeof parsed === 'object') labels = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    } catch {
      labels = undefined; // as istiod: an unparseable JSON format falls back to the default labels
    }
    return fileLog(path, labels ? { labels } : undefined, true);
  }
  return fileLog(path, s.accessLogFormat ? { text: s.accessLogFormat } : undefined, false);
}

function providerLog(mesh: MeshConfig, p: ExtensionProvider): AccessLogEntry | undefined {
  if (p.envoyFileAccessLog) {
    const path = p.envoyFileAccessLog.path || '/dev/stdout';
    if (p.name === 'envoy' && !p.envoyFileAccessLog.logFormat) return meshFileLog(mesh, path);
    return fileLog(path, p.envoyFileAccessLog.logFormat, false);
  }
  if (p.envoyOtelAls) {
    const backend = providerBackend(mesh, p.envoyOtelAls);
    if (typeof backend === 'string') return undefined;
    const fmt = p.envoyOtelAls.logFormat?.text || ENVOY_TEXT_LOG_FORMAT;
    const labels = p.envoyOtelAls.logFormat?.labels;
    return {
      name: 'envoy.access_loggers.open_telemetry',
      typed_config: typedStruct('envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig', {
        common_config: {
          log_name: p.envoyOtelAls.logName || 'otel_envoy_accesslog',
          grpc_service: { envoy_grpc: { cluster_name: backend.cluster, authority: backend.authority } },
          transport_api_version: 'V3',
          filter_state_objects_to_log: ['upstream_peer', 'downstream_peer'],
        },
        disable_builtin_labels: true,
        body: { string_value: fmt },
        ...(labels && Object.keys(labels).length
          ? {
              attributes: {
                values: Object.keys(labels)
                  .sort()
                  .map((key) => ({ key, value: { string_value: labels[key]! } })),
              },
            }
          : {}),
      }),
    };
  }
  return undefined;
}

function celFilter(expression: string): object {
  return {
    extension_filter: {
      name: 'envoy.access_loggers.extension_filters.cel',
      typed_config: typedAny('envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', { expression }),
    },
  };
}

/** The `access_log` list of an HCM or tcp_proxy given the merged logging (undefined = no Telemetry logging). */
export function accessLogs(mesh: MeshConfig, logging: ReadonlyMap<string, LoggingSpec> | undefined): AccessLogEntry[] {
  if (!logging) return mesh.settings.accessLogFile ? [meshFileLog(mesh, mesh.settings.accessLogFile)] : [];
  const out: AccessLogEntry[] = [];
  for (const name of [...logging.keys()].sort()) {
    const spec = logging.get(name)!;
    if (spec.disabled) continue;
    const p = findProvider(mesh, name);
    const log = p ? providerLog(mesh, p) : undefined;
    if (log) out.push(spec.filter ? { ...log, filter: celFilter(spec.filter) } : log);
  }
  return out;
}
