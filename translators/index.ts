/**
 * @module translators
 * Picks the generator for a proxy (proxyless gRPC or Envoy sidecar) and names the proxy class:
 * proxies with the same class key get identical output, so the server translates once per class.
 */
import type { MeshConfig } from '../model/config.js';
import type { Proxy } from '../model/proxy.js';
import type { Generated } from './generated.js';
import { grpcGenerator } from './grpc.js';
import { sidecarGenerator } from './sidecar.js';

export type { Generated, TypeOutput } from './generated.js';

/** Everything the outbound output depends on for now: generator, proxy type and namespace. */
export function proxyClass(proxy: Proxy): string {
  return `${proxy.generator}/${proxy.type}/${proxy.namespace}`;
}

export function generate(mesh: MeshConfig, proxy: Proxy): Generated {
  return proxy.generator === 'grpc' ? grpcGenerator(mesh, proxy) : sidecarGenerator(mesh, proxy);
}
