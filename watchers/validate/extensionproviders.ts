/**
 * @module watchers/validate/extensionproviders
 * Reads the mesh config's `extensionProviders`: the ext_authz kinds CUSTOM AuthorizationPolicies
 * name (`envoyExtAuthzHttp`, `envoyExtAuthzGrpc`) with service, port, timeout, failOpen,
 * statusOnError and the HTTP header lists; and the telemetry kinds Telemetry objects name
 * (`prometheus`, `envoyFileAccessLog`, `envoyOtelAls`, `opentelemetry`, `zipkin`). Other provider
 * kinds (stackdriver, skywalking, datadog, …) are kept out without an error: a real mesh config
 * lists them and tspilot does not translate them (docs/telemetry.md). Names must be unique, as
 * istiod requires.
 */
import type { AccessLogFormat, ExtAuthzProvider, ExtensionProvider, TelemetryService } from '../../model/meshconfig.js';
import { Reader } from './check.js';
import { readDuration } from './common-istio.js';
import { envoyRoot } from '../../proto/registry.js';

/** Whether `code` is a value of Envoy's StatusCode enum (istiod refuses others). */
function envoyStatusCode(code: number): boolean {
  return Object.values(envoyRoot().lookupEnum('envoy.type.v3.StatusCode').values).includes(code) && code !== 0;
}

function readCommon(r: Reader, o: Record<string, unknown>, path: string): ExtAuthzProvider | undefined {
  const service = r.string(o['service'], `${path}.service`, true);
  const port = r.int(o['port'], `${path}.port`, { min: 1, max: 65535, required: true });
  const timeout = readDuration(r, o['timeout'], `${path}.timeout`);
  const failOpen = r.bool(o['failOpen'], `${path}.failOpen`);
  let statusOnError: string | undefined;
  if (o['statusOnError'] !== undefined) {
    statusOnError = String(o['statusOnError']);
    if (!/^\d{3}$/.test(statusOnError) || !envoyStatusCode(Number(statusOnError))) {
      r.fail(
        `${path}.statusOnError`,
        `"${statusOnError}" is not an HTTP status code Envoy knows (envoy.type.v3.StatusCode), as istiod requires`,
      );
      statusOnError = undefined;
    }
  }
  if (!service || port === undefined) return undefined;
  return {
    service,
    port,
    ...(timeout ? { timeout } : {}),
    ...(failOpen !== undefined ? { failOpen } : {}),
    ...(statusOnError ? { statusOnError } : {}),
  };
}

function readService(r: Reader, o: Record<string, unknown>, path: string): TelemetryService | undefined {
  const service = r.string(o['service'], `${path}.service`, true);
  const port = r.int(o['port'], `${path}.port`, { min: 1, max: 65535, required: true });
  return service && port !== undefined ? { service, port } : undefined;
}

function readLogFormat(r: Reader, v: unknown, path: string): AccessLogFormat | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  const text = r.string(o['text'], `${path}.text`);
  const labels = o['labels'] !== undefined ? r.stringMap(o['labels'], `${path}.labels`) : undefined;
  if (text !== undefined && labels) r.fail(path, 'set either text or labels, not both');
  return text !== undefined ? { text } : labels ? { labels } : undefined;
}

/** The telemetry kinds of one provider entry (undefined when it is none of them). */
function readTelemetryProvider(r: Reader, o: Record<string, unknown>, path: string): Omit<ExtensionProvider, 'name'> | undefined {
  if (o['prometheus'] !== undefined) {
    r.object(o['prometheus'], `${path}.prometheus`);
    return { prometheus: {} };
  }
  const file = r.object(o['envoyFileAccessLog'], `${path}.envoyFileAccessLog`);
  if (file) {
    const p = r.string(file['path'], `${path}.envoyFileAccessLog.path`);
    const logFormat = readLogFormat(r, file['logFormat'], `${path}.envoyFileAccessLog.logFormat`);
    return { envoyFileAccessLog: { ...(p ? { path: p } : {}), ...(logFormat ? { logFormat } : {}) } };
  }
  const als = r.object(o['envoyOtelAls'], `${path}.envoyOtelAls`);
  if (als) {
    const svc = readService(r, als, `${path}.envoyOtelAls`);
    const logName = r.string(als['logName'], `${path}.envoyOtelAls.logName`);
    const logFormat = readLogFormat(r, als['logFormat'], `${path}.envoyOtelAls.logFormat`);
    return svc ? { envoyOtelAls: { ...svc, ...(logName ? { logName } : {}), ...(logFormat ? { logFormat } : {}) } } : undefined;
  }
  for (const kind of ['opentelemetry', 'zipkin'] as const) {
    const t = r.object(o[kind], `${path}.${kind}`);
    if (!t) continue;
    const svc = readService(r, t, `${path}.${kind}`);
    const maxTagLength = r.int(t['maxTagLength'], `${path}.${kind}.maxTagLength`, { min: 0 });
    return svc ? { [kind]: { ...svc, ...(maxTagLength ? { maxTagLength } : {}) } } : undefined;
  }
  return undefined;
}

export function readExtensionProviders(r: Reader, v: unknown): ExtensionProvider[] {
  const out: ExtensionProvider[] = [];
  const names = new Set<string>();
  (r.array(v, 'extensionProviders') ?? []).forEach((e, i) => {
    const path = `extensionProviders[${i}]`;
    const o = r.object(e, path, true);
    if (!o) return;
    const name = r.string(o['name'], `${path}.name`, true);
    if (!name) return;
    if (names.has(name)) {
      r.fail(`${path}.name`, `duplicate extension provider name "${name}"`);
      return;
    }
    names.add(name);
    const http = r.object(o['envoyExtAuthzHttp'], `${path}.envoyExtAuthzHttp`);
    const grpc = r.object(o['envoyExtAuthzGrpc'], `${path}.envoyExtAuthzGrpc`);
    if (http) {
      const p = `${path}.envoyExtAuthzHttp`;
      const common = readCommon(r, http, p);
      const pathPrefix = r.string(http['pathPrefix'], `${p}.pathPrefix`);
      if (pathPrefix && !pathPrefix.startsWith('/')) r.fail(`${p}.pathPrefix`, `"${pathPrefix}" must start with /`);
      const lists: Record<string, string[]> = {};
      for (const k of ['includeRequestHeadersInCheck', 'headersToUpstreamOnAllow', 'headersToDownstreamOnDeny']) {
        const l = r.stringList(http[k], `${p}.${k}`);
        if (l?.length) lists[k] = l;
      }
      const extra = r.stringMap(http['includeAdditionalHeadersInCheck'], `${p}.includeAdditionalHeadersInCheck`);
      if (common)
        out.push({
          name,
          envoyExtAuthzHttp: {
            ...common,
            ...(pathPrefix ? { pathPrefix } : {}),
            ...lists,
            ...(extra && Object.keys(extra).length ? { includeAdditionalHeadersInCheck: extra } : {}),
          },
        });
    } else if (grpc) {
      const common = readCommon(r, grpc, `${path}.envoyExtAuthzGrpc`);
      if (common) out.push({ name, envoyExtAuthzGrpc: common });
    } else {
      const t = readTelemetryProvider(r, o, path);
      if (t) out.push({ name, ...t });
    }
  });
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
