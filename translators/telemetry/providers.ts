/**
 * @module translators/telemetry/providers
 * The telemetry extension providers a proxy's Telemetry objects may name, as istiod's default mesh
 * config has them: the built-ins `prometheus` (metrics by istio.stats) and `envoy` (Envoy's file
 * access log to /dev/stdout, formatted from the mesh config's accessLogFormat/accessLogEncoding),
 * each replaced by a user provider of the same name, plus the user's `extensionProviders`; names
 * match case-insensitively (istiod's fetchProvider uses EqualFold). `defaultProviders` defaults to
 * metrics by `prometheus`, so every Envoy proxy gets istio.stats unless configured otherwise. Also
 * the backend of a provider naming a service (`host` or `namespace/host`) as istiod's
 * LookupCluster resolves it: the outbound cluster of that service and port.
 */
import type { MeshConfig } from '../../model/config.js';
import type { DefaultProviders, ExtensionProvider, TelemetryService } from '../../model/meshconfig.js';
import { clusterName } from '../names.js';

export const BUILTIN_PROVIDERS: readonly ExtensionProvider[] = [
  { name: 'prometheus', prometheus: {} },
  { name: 'envoy', envoyFileAccessLog: { path: '/dev/stdout' } },
];

/** istiod's default `defaultProviders`. */
export const DEFAULT_PROVIDERS: DefaultProviders = { metrics: ['prometheus'] };

export function defaultProviders(mesh: MeshConfig): DefaultProviders {
  return mesh.settings.defaultProviders ?? DEFAULT_PROVIDERS;
}

/** The provider called `name` (user providers first, then the built-ins), or undefined. */
export function findProvider(mesh: MeshConfig, name: string): ExtensionProvider | undefined {
  const n = name.toLowerCase();
  return (
    mesh.settings.extensionProviders?.find((p) => p.name.toLowerCase() === n) ?? BUILTIN_PROVIDERS.find((p) => p.name.toLowerCase() === n)
  );
}

/** The cluster and authority for a provider's `service`/`port`, or why there is none. */
export function providerBackend(mesh: MeshConfig, s: TelemetryService): { cluster: string; authority: string } | string {
  const slash = s.service.indexOf('/');
  const ns = slash >= 0 ? s.service.slice(0, slash) : undefined;
  const host = slash >= 0 ? s.service.slice(slash + 1) : s.service;
  const found = mesh.services.filter((svc) => svc.hostname === host && (ns === undefined || svc.namespace === ns));
  if (found.length > 1) return `${s.service} is in several namespaces; name it as <namespace>/<host>`;
  const svc = found[0];
  if (!svc) return `no service ${s.service} in the registry`;
  return { cluster: clusterName('outbound', s.port, '', svc.hostname), authority: svc.hostname };
}
