/**
 * @module model/interception
 * How traffic reaches a sidecar, from node metadata `INTERCEPTION_MODE` as istiod reads it
 * (GetInterceptionMode): `REDIRECT` (iptables, the default and anything unrecognised), `TPROXY`, or
 * `NONE` — no iptables (VMs, sidecars without the init container): the proxy has no capture
 * listeners and binds its listeners to real ports. Pure.
 */
import type { Proxy } from './proxy.js';
import type { CaptureMode } from './istio.js';

export type InterceptionMode = 'REDIRECT' | 'TPROXY' | 'NONE';

export function interceptionMode(proxy: Proxy): InterceptionMode {
  const m = proxy.metadata['INTERCEPTION_MODE'];
  return m === 'TPROXY' || m === 'NONE' ? m : 'REDIRECT';
}

/** Whether a Sidecar listener with `mode` binds a real port (istiod's getBindToPort): DEFAULT follows the proxy. */
export function bindsToPort(mode: CaptureMode | undefined, proxy: Proxy): boolean {
  if (!mode || mode === 'DEFAULT') return interceptionMode(proxy) === 'NONE';
  return mode === 'NONE';
}

/** The first global unicast IPv4/IPv6 address (not unspecified, loopback, link-local or multicast), as istiod's GlobalUnicastIP. */
export function globalUnicastIp(ips: readonly string[]): string | undefined {
  return ips.find((ip) => {
    if (ip.includes(':')) {
      const l = ip.toLowerCase();
      return l !== '::' && l !== '::1' && !l.startsWith('fe8') && !l.startsWith('ff');
    }
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return a !== 0 && a !== 127 && !(a === 169 && b === 254) && a < 224;
  });
}

/** Ports the agent and Envoy already listen on (outbound/inbound capture, health, Prometheus). */
const RESERVED_PORTS: ReadonlySet<number> = new Set([15001, 15006, 15021, 15090]);

/**
 * Whether the proxy can bind `address:port` itself (istiod's CanBindToPort): not below 1024 when
 * node metadata says `UNPRIVILEGED_POD: "true"`, not the agent's own ports on the wildcard address.
 */
export function canBind(proxy: Proxy, address: string, port: number): boolean {
  const unprivileged = String(proxy.metadata['UNPRIVILEGED_POD'] ?? '').toLowerCase() === 'true';
  if (unprivileged && port > 0 && port < 1024) return false;
  return !((address === '0.0.0.0' || address === '::') && RESERVED_PORTS.has(port));
}
