/**
 * @module translators/versions
 * Version gates: istiod tailors its output to the proxy's reported `ISTIO_VERSION` (node metadata),
 * and so does tspilot, in this one table. A proxy falls into a bucket by major.minor; each bucket
 * names the gates that apply to it. Proxies reporting no (or an unparseable) version get today's
 * output. The bucket — not the raw version — is part of the proxy class key (translators/index.ts),
 * so 1.10.3 and 1.10.6 share translations.
 *
 * Gates for proxies before 1.11 — what istiod 1.10 emitted and MOSN's Istio 1.10.6 adapter relies on
 * (../shared/reference/xds-clients.md):
 * - `hostPortDomains`: every virtual host domain is also listed as `domain:port` (istiod 1.10's
 *   generateVirtualHostDomains), without the absolute `fqdn.` form and without
 *   `ignore_port_in_host_matching`, which MOSN ignores (a `Host: name:9080` request would otherwise
 *   fall through to allow_any → 502);
 * - `legacyHeaderMatchers`: header matchers as `exact_match` / `prefix_match` / `safe_regex_match`
 *   (MOSN reads no `string_match`, so a header route would match nothing);
 * - `deprecatedV1BindToPort`: listeners that must not bind also carry
 *   `deprecated_v1: {bind_to_port: false}`, as istiod 1.10 set it (MOSN reads only that field and
 *   would otherwise bind every outbound service port).
 * - `noIstiodTelemetryFilters`: no `istio.stats`, `istio.metadata_exchange` (HTTP, network, cluster) or
 *   `grpc_stats` from the control plane — istiod 1.10 sent none; the installer's per-version
 *   EnvoyFilters (stats-filter-1.10, metadata-exchange-1.10) added Wasm-based ones, and a 1.10
 *   istio-proxy has neither the peer_metadata filter nor the native stats.PluginConfig, so it would
 *   NACK the listeners (translators/telemetry, docs/telemetry.md).
 */
import type { Proxy } from '../model/proxy.js';

export type VersionBucket = 'current' | 'pre-1.11';

export interface VersionGates {
  readonly hostPortDomains: boolean;
  readonly legacyHeaderMatchers: boolean;
  readonly deprecatedV1BindToPort: boolean;
  readonly noIstiodTelemetryFilters: boolean;
}

export const VERSION_GATES: Readonly<Record<VersionBucket, VersionGates>> = {
  current: { hostPortDomains: false, legacyHeaderMatchers: false, deprecatedV1BindToPort: false, noIstiodTelemetryFilters: false },
  'pre-1.11': { hostPortDomains: true, legacyHeaderMatchers: true, deprecatedV1BindToPort: true, noIstiodTelemetryFilters: true },
};

/** `1.10.6`, `1.10.6-mosn`, `1.10` → [1, 10]; anything else → undefined. */
export function parseIstioVersion(v: unknown): readonly [number, number] | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^v?(\d+)\.(\d+)(?:[.\-+].*)?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function versionBucket(proxy: Pick<Proxy, 'metadata'>): VersionBucket {
  const v = parseIstioVersion(proxy.metadata['ISTIO_VERSION']);
  if (!v) return 'current';
  const [major, minor] = v;
  return major === 1 && minor < 11 ? 'pre-1.11' : 'current';
}

export function versionGates(proxy: Pick<Proxy, 'metadata'>): VersionGates {
  return VERSION_GATES[versionBucket(proxy)];
}
