/**
 * @module watchers/validate/extensionproviders
 * Reads the mesh config's `extensionProviders` that CUSTOM AuthorizationPolicies name: the
 * ext_authz kinds (`envoyExtAuthzHttp`, `envoyExtAuthzGrpc`) with service, port, timeout,
 * failOpen, statusOnError and the HTTP header lists. Other provider kinds (tracing, logging) are
 * kept out without an error: a real mesh config lists them and they are not tspilot's concern here.
 * Names must be unique, as istiod requires.
 */
import type { ExtAuthzProvider, ExtensionProvider } from '../../model/meshconfig.js';
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
    }
  });
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
