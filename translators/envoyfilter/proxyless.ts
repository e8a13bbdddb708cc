/**
 * @module translators/envoyfilter/proxyless
 * Which EnvoyFilter patches reach a proxyless gRPC client (node metadata GENERATOR=grpc).
 *
 * istiod's grpc generator (pilot/pkg/networking/grpcgen) builds its listeners — the `api_listener`
 * HCMs a client asks for as `host:port` and the `xds.istio.io/grpc/lds/inbound/…` server
 * listeners — without any EnvoyFilter patching, so LISTENER, FILTER_CHAIN, NETWORK_FILTER,
 * HTTP_FILTER and LISTENER_FILTER patches (ADDs too) never reach a proxyless client there. tspilot
 * keeps that, for every listener name, canonical or alias alike, and says so instead of doing
 * nothing silently: each such patch is reported as not applied (a `PatchSkip` with
 * `notApplicable`, listed in /debug/configz `envoyFilterSkips`). Route configuration and cluster
 * patches still apply to proxyless output (a tspilot extension; docs/envoyfilter.md).
 */
import { LDS } from '../../proto/typeurls.js';
import type { Proxy } from '../../model/proxy.js';
import type { PatchSkip, Unit } from './ops.js';

/** The applyTo kinds that patch listeners. */
export const LISTENER_KINDS: ReadonlySet<string> = new Set([
  'LISTENER',
  'FILTER_CHAIN',
  'NETWORK_FILTER',
  'HTTP_FILTER',
  'LISTENER_FILTER',
]);

/** The resource name a not-applied listener patch is reported under. */
export const EVERY_LISTENER = '(every listener)';

const REASON =
  'not applied: the proxy is a proxyless gRPC client (GENERATOR=grpc); as in istiod, whose grpc generator applies no ' +
  'EnvoyFilter to listeners, its api_listener and server listeners are served as generated';

/** `units` split into those applied to `proxy` and the listener patches reported as not applied to it. */
export function proxylessSplit(proxy: Proxy, units: readonly Unit[]): { applied: readonly Unit[]; notApplied: readonly PatchSkip[] } {
  if (proxy.generator !== 'grpc') return { applied: units, notApplied: [] };
  const applied: Unit[] = [];
  const notApplied: PatchSkip[] = [];
  for (const u of units) {
    if (!LISTENER_KINDS.has(u.patch.applyTo)) applied.push(u);
    else
      notApplied.push({
        filter: u.filter,
        patchIndex: u.index,
        typeUrl: LDS,
        resource: EVERY_LISTENER,
        reason: REASON,
        notApplicable: true,
      });
  }
  return { applied, notApplied };
}
