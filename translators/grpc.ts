/**
 * @module translators/grpc
 * The generator for proxyless gRPC clients (node metadata GENERATOR=grpc), after istiod's "grpc"
 * generator: every resource is asked for by name. LDS `host:port` (short names resolved to the
 * FQDN; the listener keeps the requested name) → an api_listener whose HCM names the RDS config
 * `outbound|port||host`; RDS holds one virtual host with the service's domains (with ports);
 * CDS/EDS are the outbound clusters and subsets, with client mTLS only where a DestinationRule
 * says ISTIO_MUTUAL (grpc-tls.ts). Server side: `xds.istio.io/grpc/lds/inbound/<ip>:<port>`
 * listeners for xDS-enabled servers (grpc-inbound.ts).
 */
import type { MeshConfig, MeshService } from '../model/config.js';
import { buildScope, type Scope } from './scope.js';
import type { Proxy } from '../model/proxy.js';
import { resolveShortName } from '../model/hosts.js';
import type { Listener, RouteConfiguration } from '../proto/types.js';
import { typedAny } from '../proto/any.js';
import { outboundClusters, type KeyedCluster } from './cluster.js';
import { outboundEndpoints } from './endpoint.js';
import { serviceDomains } from './domains.js';
import { HCM_TYPE, listenerContext, rdsHcm } from './hcm.js';
import { clusterName, vhostName, type ClusterKey } from './names.js';
import { hostRoutes, type RouteFlavor } from './route.js';
import { portProtocol } from './protocol.js';
import type { Generated } from './generated.js';
import { grpcInboundListener, GRPC_INBOUND_PREFIX } from './grpc-inbound.js';
import { grpcInboundSecurity } from './grpc-security.js';
import { grpcClientTls } from './grpc-tls.js';
import { policyForPort } from './policy.js';

export const GRPC_ROUTES: RouteFlavor = {
  headerStyle: 'legacy',
  defaultRetries: false,
  timeoutAs: 'max_stream_duration',
  listenerClass: 'grpc-outbound',
};

/** Resolves `host[:port]` as a gRPC target names it, from the proxy's namespace. */
export function resolveTarget(scope: Scope, name: string, proxyNs: string): { svc: MeshService; port: number } | undefined {
  const mesh = scope.mesh;
  const m = /^(.*?)(?::(\d+))?$/.exec(name);
  if (!m) return undefined;
  const host = m[1] as string;
  const candidates = host.includes('.')
    ? [host, `${host}.svc.${mesh.domainSuffix}`, `${host}.${mesh.domainSuffix}`]
    : [resolveShortName(host, proxyNs, mesh.domainSuffix)];
  const svc = candidates.map((c) => scope.serviceByHost.get(c)).find((s) => s !== undefined);
  if (!svc) return undefined;
  const port = m[2] !== undefined ? Number(m[2]) : svc.ports.length === 1 ? svc.ports[0]!.port : 80;
  return svc.ports.some((p) => p.port === port) ? { svc, port } : undefined;
}

function listener(scope: Scope, proxy: Proxy, name: string): Listener | undefined {
  if (name.startsWith(GRPC_INBOUND_PREFIX)) return grpcInboundListener(scope, name, grpcInboundSecurity);
  const t = resolveTarget(scope, name, proxy.namespace);
  if (!t) return undefined;
  const rds = clusterName('outbound', t.port, '', t.svc.hostname);
  const sp = t.svc.ports.find((p) => p.port === t.port)!;
  const ctx = listenerContext(scope, 'grpc-outbound', { number: t.port, name: sp.name, protocol: portProtocol(sp) });
  return { name, api_listener: { api_listener: typedAny(HCM_TYPE, rdsHcm(name, rds, ctx)) } };
}

function routeConfig(scope: Scope, proxy: Proxy, name: string, svc: MeshService, port: number): RouteConfiguration {
  return {
    name,
    virtual_hosts: [
      {
        name: vhostName(svc.hostname, port),
        domains: serviceDomains(svc, proxy.namespace, port, true),
        routes: hostRoutes(scope, svc.hostname, port, GRPC_ROUTES),
      },
    ],
  };
}

/** The cluster with the client TLS its DestinationRule asks for (ISTIO_MUTUAL only). */
function withClientTls(scope: Scope, { key, cluster }: KeyedCluster): KeyedCluster {
  const dr = scope.destinationRule(key.host);
  const base = policyForPort(dr?.spec.trafficPolicy, key.port);
  const own = key.subset ? policyForPort(dr?.spec.subsets?.find((s) => s.name === key.subset)?.trafficPolicy, key.port) : undefined;
  const ts = grpcClientTls(scope.mesh, key.host, key.port, own ? { ...base, ...own } : base);
  return { key, cluster: ts ? { ...cluster, transport_socket: ts } : cluster };
}

export function grpcGenerator(mesh: MeshConfig, proxy: Proxy): Generated {
  const scope = buildScope(mesh, proxy);
  let clusters: Map<string, KeyedCluster> | undefined;
  const allClusters = (): Map<string, KeyedCluster> =>
    (clusters ??= new Map(
      outboundClusters(scope, { defaultLb: 'ROUND_ROBIN', envoyPolicy: false }).map((c) => [c.cluster.name!, withClientTls(scope, c)]),
    ));
  // RDS names are the services' port clusters (`outbound|port||host`): the listeners name them.
  let rdsNames: Map<string, { svc: MeshService; port: number }> | undefined;
  const allRoutes = (): Map<string, { svc: MeshService; port: number }> =>
    (rdsNames ??= new Map(
      scope.services.flatMap((svc) =>
        svc.ports.map((p) => [clusterName('outbound', p.port, '', svc.hostname), { svc, port: p.port }] as const),
      ),
    ));
  const key = (n: string): ClusterKey | undefined => allClusters().get(n)?.key;
  return {
    clusters: { names: () => [...allClusters().keys()], get: (n) => allClusters().get(n)?.cluster, key },
    endpoints: {
      names: () => [...allClusters().keys()],
      key,
      get: (n) => {
        const k = key(n);
        return k ? outboundEndpoints(scope, k) : undefined;
      },
    },
    listeners: {
      names: () => scope.services.flatMap((s) => s.ports.map((p) => `${s.hostname}:${p.port}`)),
      get: (n) => listener(scope, proxy, n),
    },
    routes: {
      names: () => [...allRoutes().keys()],
      get: (n) => {
        const r = allRoutes().get(n);
        return r ? routeConfig(scope, proxy, n, r.svc, r.port) : undefined;
      },
    },
  };
}
