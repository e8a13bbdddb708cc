/**
 * @module translators/egress-bind
 * Where a sidecar's outbound listener for a service port listens, as istiod's
 * buildSidecarOutboundListeners decides from the Sidecar egress listener it comes from
 * (scope.ts egressListenerFor) and the proxy's interception mode:
 * - the listener binds a real port (`bindToPort`) when the proxy has no iptables
 *   (`INTERCEPTION_MODE: NONE`, whatever the egress captureMode), when the egress listener says
 *   `captureMode: NONE`, or when its `bind` is a Unix domain socket;
 * - its address is the egress `bind` when set, else 127.0.0.1 for a bound listener, else none —
 *   the usual `0.0.0.0_<port>` (HTTP) or `<VIP>_<port>` (TCP) listener matched by original_dst.
 */
import type { MeshService } from '../model/config.js';
import { interceptionMode } from '../model/interception.js';
import { egressListenerFor, type Scope } from './scope.js';

export interface EgressBinding {
  /** The listener address; undefined = istiod's default (0.0.0.0 for HTTP, the VIP for TCP). */
  readonly address?: string;
  readonly bindToPort: boolean;
}

const UNBOUND: EgressBinding = { bindToPort: false };

export function egressBinding(scope: Scope, svc: MeshService, port: number): EgressBinding {
  const none = interceptionMode(scope.proxy) === 'NONE';
  const l = scope.sidecar ? egressListenerFor(scope, svc, port) : undefined;
  if (!none && !l) return UNBOUND;
  const bindToPort = none || l?.captureMode === 'NONE' || (l?.bind?.startsWith('unix://') ?? false);
  const address = l?.bind || (bindToPort ? '127.0.0.1' : undefined);
  return address ? { address, bindToPort } : { bindToPort };
}
