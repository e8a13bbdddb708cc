/**
 * @module translators/inbound-bind
 * A sidecar's inbound listeners, as istiod's buildInboundListeners: the capture listener
 * `virtualInbound` (inbound.ts) for proxies whose traffic iptables redirects, and a real listener
 * per inbound port that binds its own port — a Sidecar ingress listener with `captureMode: NONE`,
 * or with DEFAULT on a proxy whose node metadata says `INTERCEPTION_MODE: NONE`. A bound listener is
 * named `<bind>_<port>` and listens on the ingress `bind` (default the workload's IP, so the app may
 * keep 127.0.0.1:<port>); it carries that port's chains (mTLS options or the ingress TLS), no
 * original_dst and no passthrough chains. A proxy without iptables gets no virtualInbound at all.
 * Ports the proxy may not bind (model/interception.ts canBind) are dropped by inbound.ts.
 */
import type { Listener } from '../proto/types.js';
import { interceptionMode } from '../model/interception.js';
import { mtlsModeForPort } from '../model/peerauth.js';
import { chainName, chainsFor, virtualInbound, workloadMtls, type InboundPort } from './inbound.js';
import { httpInspectorFor, tlsInspectorFor } from './mtls-inbound.js';
import type { Scope } from './scope.js';

function boundListener(scope: Scope, p: InboundPort): Listener {
  const chains = chainsFor(scope, p, mtlsModeForPort(workloadMtls(scope), p.port), scope.mesh.settings.trustDomain);
  const inspectors = [tlsInspectorFor(chains), httpInspectorFor(chains)].filter((f) => f !== undefined);
  return {
    name: chainName(p),
    address: { socket_address: { address: p.address ?? '0.0.0.0', port_value: p.port } },
    traffic_direction: 'INBOUND',
    ...(inspectors.length ? { listener_filters: inspectors } : {}),
    listener_filters_timeout: { seconds: 0 },
    continue_on_listener_filters_timeout: true,
    filter_chains: chains,
  };
}

/** virtualInbound (unless the proxy has no iptables) and a listener per bound port. */
export function inboundListeners(scope: Scope, ports: readonly InboundPort[]): Listener[] {
  const bound = ports.filter((p) => p.bindToPort).map((p) => boundListener(scope, p));
  return interceptionMode(scope.proxy) === 'NONE' ? bound : [virtualInbound(scope, ports), ...bound];
}
