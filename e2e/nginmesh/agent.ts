/**
 * @module e2e/nginmesh/agent
 * A small re-implementation of nginmesh's agent, for tests: it polls Pilot's v1 REST API in the
 * agent's order (listeners → routes of each HTTP listener with bind_to_port false → clusters →
 * registration of each service_name) and applies the agent's conversion rules — an NGINX
 * `server` per HTTP listener on 127.0.0.1:20000+, an `upstream` per cluster (servers from SDS or
 * static hosts), `split_clients` per weighted route — producing a routing table that
 * `resolve()` can answer "where does this request go?" from. Not a copy of the agent's code:
 * written from the behaviour described in ../shared/reference/nginmesh/README.md.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- v1 answers are untyped JSON from the wire; the shapes are asserted by the tests. */
type Json = any;

export interface V1Answers {
  readonly listeners: Json;
  readonly routes: Readonly<Record<string, Json>>;
  readonly clusters: Json;
  readonly registrations: Readonly<Record<string, Json>>;
}

export type Get = (path: string) => Promise<{ status: number; body: Json; headers: Headers }>;

/** The HTTP connection manager config of a listener, or undefined for tcp_proxy (skipped by the agent). */
export function hcmOf(listener: Json): Json | undefined {
  return (listener.filters ?? []).find((f: Json) => f.type === 'read' && f.name === 'http_connection_manager')?.config;
}

/** One poll cycle, in the agent's order. Throws on any non-200 answer. */
export async function poll(get: Get, serviceCluster: string, node: string): Promise<V1Answers> {
  const must = async (p: string): Promise<Json> => {
    const r = await get(p);
    if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const c = encodeURIComponent(serviceCluster);
  const n = encodeURIComponent(node);
  const listeners = await must(`/v1/listeners/${c}/${n}`);
  const routes: Record<string, Json> = {};
  for (const l of listeners.listeners) {
    const hcm = hcmOf(l);
    if (!hcm || l.bind_to_port !== false || !hcm.rds) continue;
    const name = hcm.rds.route_config_name as string;
    routes[name] ??= await must(`/v1/routes/${encodeURIComponent(name)}/${c}/${n}`);
  }
  const clusters = await must(`/v1/clusters/${c}/${n}`);
  const registrations: Record<string, Json> = {};
  for (const cl of clusters.clusters) {
    if (cl.service_name) registrations[cl.service_name] = await must(`/v1/registration/${encodeURIComponent(cl.service_name)}`);
  }
  return { listeners, routes, clusters, registrations };
}

export type Target = { readonly upstream: string } | { readonly split: readonly { readonly percent: number; readonly upstream: string }[] };

export interface Location {
  readonly prefix?: string;
  readonly path?: string;
  readonly headers: readonly { name: string; value?: string; regex?: boolean }[];
  readonly target: Target;
  readonly timeoutMs?: number;
  /** proxy_next_upstream_tries, from retry_policy.num_retries (+1 for the first try). */
  readonly tries?: number;
}

export interface Server {
  readonly serverNames: readonly string[];
  readonly locations: readonly Location[];
}

export interface HttpBlock {
  readonly listener: string;
  readonly ip: string;
  readonly port: number;
  readonly listen: string;
  readonly servers: readonly Server[];
}

export interface RoutingTable {
  /** upstream name (the cluster name) → "ip:port" servers. */
  readonly upstreams: Readonly<Record<string, readonly string[]>>;
  readonly http: readonly HttpBlock[];
}

function targetOf(r: Json): Target {
  if (r.weighted_clusters) {
    return { split: r.weighted_clusters.clusters.map((c: Json) => ({ percent: c.weight as number, upstream: c.name as string })) };
  }
  return { upstream: r.cluster as string };
}

/** The agent's conversion of one poll's answers into NGINX's building blocks. */
export function routingTable(a: V1Answers): RoutingTable {
  const upstreams: Record<string, string[]> = {};
  for (const c of a.clusters.clusters) {
    if (c.type === 'sds') upstreams[c.name] = (a.registrations[c.service_name]?.hosts ?? []).map((h: Json) => `${h.ip_address}:${h.port}`);
    else if (c.type === 'static' || c.type === 'strict_dns')
      upstreams[c.name] = (c.hosts ?? []).map((h: Json) => String(h.url).replace(/^tcp:\/\//, ''));
  }
  const http: HttpBlock[] = [];
  let next = 20000;
  for (const l of a.listeners.listeners) {
    const hcm = hcmOf(l);
    if (!hcm || l.bind_to_port !== false) continue;
    const rc = hcm.rds ? a.routes[hcm.rds.route_config_name] : hcm.route_config;
    if (!rc) continue;
    const servers: Server[] = rc.virtual_hosts.map((vh: Json) => ({
      serverNames: vh.domains,
      locations: vh.routes.map((r: Json) => ({
        ...(r.path !== undefined ? { path: r.path } : { prefix: r.prefix }),
        headers: r.headers ?? [],
        target: targetOf(r),
        ...(r.timeout_ms !== undefined ? { timeoutMs: r.timeout_ms } : {}),
        ...(r.retry_policy ? { tries: (r.retry_policy.num_retries ?? 1) + 1 } : {}),
      })),
    }));
    const [, ip, port] = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(l.address)!;
    http.push({ listener: l.name, ip: ip!, port: Number(port), listen: `127.0.0.1:${next++}`, servers });
  }
  return { upstreams, http };
}

/** A request as the sidecar intercepts it: original destination `ip:port`, Host, path, headers. */
export interface Request {
  readonly ip: string;
  readonly port: number;
  readonly host: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Where NGINX would send `req`: the location's target with each upstream's servers, or null (404). */
export function resolve(t: RoutingTable, req: Request): { target: Target; servers: Record<string, readonly string[]> } | null {
  // As use_original_dst dispatch: the listener on exactly ip:port, else the wildcard one on the port.
  const block = t.http.find((b) => b.ip === req.ip && b.port === req.port) ?? t.http.find((b) => b.ip === '0.0.0.0' && b.port === req.port);
  if (!block) return null;
  const server = block.servers.find((s) => s.serverNames.includes(req.host)) ?? block.servers.find((s) => s.serverNames.includes('*'));
  if (!server) return null;
  const hdrs = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const loc = server.locations.find(
    (l) =>
      (l.path !== undefined ? req.path === l.path : req.path.startsWith(l.prefix ?? '/')) &&
      l.headers.every((h) => {
        const v = hdrs[h.name.toLowerCase()];
        if (v === undefined) return false;
        if (h.value === undefined) return true;
        return h.regex ? new RegExp(`^(?:${h.value})$`).test(v) : v === h.value;
      }),
  );
  if (!loc) return null;
  const names = 'upstream' in loc.target ? [loc.target.upstream] : loc.target.split.map((s) => s.upstream);
  return { target: loc.target, servers: Object.fromEntries(names.map((n) => [n, t.upstreams[n] ?? []])) };
}

/** The `split_clients` block NGINX gets for a weighted route (last bucket as `*`, as the agent writes it). */
export function splitClients(variable: string, split: readonly { percent: number; upstream: string }[]): string {
  const lines = split.map((s, i) => `    ${i === split.length - 1 ? '*' : `${s.percent}%`} ${s.upstream};`);
  return `split_clients "$request_id" $${variable} {\n${lines.join('\n')}\n}`;
}
