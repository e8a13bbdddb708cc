/**
 * @module translators/telemetry/network
 * The network-level telemetry of an Envoy proxy's output, added in one pass over the generated
 * listeners and clusters (before EnvoyFilters, so they can patch it), in istiod's order
 * (buildCompleteNetworkFilters, buildInboundFilterchains, cluster_builder applyMetadataExchange):
 * - every chain of a sidecar's inbound listener starts with the TCP `istio.metadata_exchange`
 *   (peer metadata over ALPN `istio-peer-exchange`), before RBAC and the HCM or tcp_proxy;
 * - every chain ending in tcp_proxy gets `istio.stats` just before it (inbound: SERVER metrics;
 *   outbound and gateways: CLIENT), and the tcp_proxy gets the class's access logs (not the
 *   inbound blackhole chain, as istiod's buildInboundBlackhole);
 * - every outbound service cluster of a sidecar or gateway gets the `istio.metadata_exchange`
 *   cluster filter (istiod adds it for the outbound direction and for gateways).
 * Proxies of an Istio before 1.11 get none of istio-proxy's filters (translators/versions.ts), only
 * the access logs. The listener class comes from the proxy type and the listener: a gateway's are `gateway`, a
 * sidecar's `virtualInbound` (traffic_direction INBOUND) is `sidecar-inbound`, the rest outbound.
 * Finding chains by their terminal filter keeps the rule in one place for every generator's TCP
 * chains (sidecar, gateway, Gateway API) instead of at each builder.
 */
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import type { Cluster, Filter, FilterChain, Listener } from '../../proto/types.js';
import type { Generated, TypeOutput } from '../generated.js';
import type { DepOutput } from '../deps.js';
import type { ListenerClass } from '../filters/types.js';
import { TCP_PROXY_FILTER } from '../tcp.js';
import { HCM_FILTER } from '../hcm.js';
import { MX_FILTER, STATS_FILTER, TCP_MX_CONFIG } from './istio-filters.js';
import { statsConfigs, telemetryAccessLogs } from './index.js';
import { versionGates } from '../versions.js';

type Labels = Readonly<Record<string, string>>;

interface ClassTelemetry {
  readonly stats: Filter[];
  readonly logs: object[];
  /** Whether inbound chains get the TCP metadata exchange. */
  readonly mx: boolean;
}

function listenerClassOf(proxy: Proxy, l: Listener): ListenerClass {
  if (proxy.type === 'router') return 'gateway';
  return l.traffic_direction === 'INBOUND' || l.name === 'virtualInbound' ? 'sidecar-inbound' : 'sidecar-outbound';
}

function decorateChain(chain: FilterChain, cls: ListenerClass, t: ClassTelemetry): FilterChain {
  const filters = [...((chain.filters ?? []) as Filter[])];
  const tcpAt = filters.findIndex((f) => f.name === TCP_PROXY_FILTER);
  const hasHcm = filters.some((f) => f.name === HCM_FILTER);
  if (tcpAt < 0 && !(hasHcm && cls === 'sidecar-inbound' && t.mx)) return chain;
  if (tcpAt >= 0) {
    const tcp = filters[tcpAt]!;
    // istiod's inbound blackhole chain (traffic to 15006 itself) carries no access log.
    const logged = t.logs.length && chain.name !== 'virtualInbound-blackhole';
    const withLogs = logged ? { ...tcp, typed_config: { ...(tcp.typed_config as object), access_log: t.logs } } : tcp;
    filters.splice(tcpAt, 1, ...t.stats, withLogs as Filter);
  }
  if (cls === 'sidecar-inbound' && t.mx && !filters.some((f) => f.name === MX_FILTER))
    filters.unshift({ name: MX_FILTER, typed_config: TCP_MX_CONFIG });
  return { ...chain, filters };
}

function decorateListener(l: Listener, cls: ListenerClass, t: ClassTelemetry): Listener {
  return {
    ...l,
    ...(l.filter_chains ? { filter_chains: l.filter_chains.map((c) => decorateChain(c, cls, t)) } : {}),
    ...(l.default_filter_chain ? { default_filter_chain: decorateChain(l.default_filter_chain, cls, t) } : {}),
  };
}

/** What `o` recorded it read (translators/deps.ts), passed through: decorating an output changes none of its dependencies. */
function passDeps<T>(o: TypeOutput<T>): Partial<Pick<DepOutput<T>, 'deps' | 'namesDeps'>> {
  const d = o as Partial<DepOutput<T>>;
  return d.deps && d.namesDeps ? { deps: (n) => d.deps!(n), namesDeps: () => d.namesDeps!() } : {};
}

/** `gen` with the network telemetry of an Envoy sidecar or gateway (see the module comment). */
export function withNetworkTelemetry(mesh: MeshConfig, proxy: Proxy, labels: Labels, gen: Generated): Generated {
  const filtersOn = !versionGates(proxy).noIstiodTelemetryFilters;
  const perClass = new Map<ListenerClass, ClassTelemetry>();
  const forClass = (cls: ListenerClass): ClassTelemetry => {
    let t = perClass.get(cls);
    if (!t) {
      const target = { mesh, namespace: proxy.namespace, labels, listenerClass: cls };
      t = {
        stats: filtersOn ? statsConfigs(target).map((typed_config) => ({ name: STATS_FILTER, typed_config })) : [],
        mx: filtersOn,
        logs: telemetryAccessLogs(target),
      };
      perClass.set(cls, t);
    }
    return t;
  };
  const listeners: TypeOutput<Listener> = {
    ...passDeps(gen.listeners),
    names: () => gen.listeners.names(),
    get: (n) => {
      const l = gen.listeners.get(n);
      if (!l) return l;
      const cls = listenerClassOf(proxy, l);
      return decorateListener(l, cls, forClass(cls));
    },
  };
  const clusterFilter = { name: MX_FILTER, typed_config: TCP_MX_CONFIG };
  const clusters = {
    ...passDeps(gen.clusters),
    names: () => gen.clusters.names(),
    key: (n: string) => gen.clusters.key(n),
    get: (n: string): Cluster | undefined => {
      const c = gen.clusters.get(n);
      if (!c || !filtersOn || gen.clusters.key(n)?.direction !== 'outbound') return c;
      return { ...c, filters: [...(c.filters ?? []), clusterFilter] } as Cluster;
    },
  };
  return { ...gen, listeners, clusters };
}
