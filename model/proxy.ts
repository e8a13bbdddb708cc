/**
 * @module model/proxy
 * A connected proxy as the translators see it, and the parser of istiod-format node IDs
 * (`type~ip~podName.namespace~namespace.svc.cluster.local`). Pure.
 */

export type ProxyType = 'sidecar' | 'router';
/** Which generator serves the proxy: Envoy-style config, or istiod's "grpc" generator (proxyless). */
export type Generator = 'envoy' | 'grpc';

export interface Proxy {
  readonly id: string;
  readonly type: ProxyType;
  readonly ip: string;
  readonly ips: readonly string[];
  /** Pod name (or VM/workload name) — the part of `podName.namespace` before the namespace. */
  readonly workloadName: string;
  readonly namespace: string;
  readonly domain: string;
  readonly generator: Generator;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The node's own labels (metadata LABELS and the locality labels added from the xDS node),
   * without its Pod's: set by model/resolve-proxy.ts so later meshes re-derive `labels` from the
   * Pod as it is then. Absent: `labels` are the node's own.
   */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export type NodeIdResult = { readonly ok: true; readonly proxy: Proxy } | { readonly ok: false; readonly reason: string };

const IP4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IP6 = /^[0-9a-fA-F:.]+$/;

function isIp(s: string): boolean {
  return IP4.test(s) || (s.includes(':') && IP6.test(s));
}

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  }
  return out;
}

/**
 * Parses a node ID and its metadata like istiod (pilot/pkg/model ParseServiceNodeWithMetadata):
 * exactly four `~`-separated parts; the namespace comes from metadata NAMESPACE, else from the
 * `podName.namespace` part, else from the DNS domain; INSTANCE_IPS wins over the ID's IP.
 */
export function parseNodeId(id: string, metadata: Readonly<Record<string, unknown>>): NodeIdResult {
  const tooBig = nodeSizeProblem(id, metadata);
  if (tooBig) return { ok: false, reason: tooBig };
  const parts = id.split('~');
  if (parts.length !== 4) {
    return {
      ok: false,
      reason: `node id "${id}" must have 4 parts separated by "~" (type~ip~pod.namespace~namespace.svc.cluster.local), got ${parts.length}`,
    };
  }
  const [type, ip, podPart, domain] = parts as [string, string, string, string];
  if (type !== 'sidecar' && type !== 'router') {
    return { ok: false, reason: `node id "${id}": proxy type "${type}" is not one of sidecar, router` };
  }
  const instanceIps =
    typeof metadata['INSTANCE_IPS'] === 'string'
      ? metadata['INSTANCE_IPS']
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  const ips = instanceIps.length ? instanceIps : [ip];
  for (const a of ips) if (!isIp(a)) return { ok: false, reason: `node id "${id}": "${a}" is not an IP address` };
  if (!podPart) return { ok: false, reason: `node id "${id}": the workload part (pod.namespace) is empty` };
  const dot = podPart.lastIndexOf('.');
  const fromPod = dot > 0 ? podPart.slice(dot + 1) : '';
  const fromDomain = domain.split('.')[0] ?? '';
  const metaNs = typeof metadata['NAMESPACE'] === 'string' ? metadata['NAMESPACE'] : '';
  const namespace = metaNs || fromPod || fromDomain;
  if (!namespace) return { ok: false, reason: `node id "${id}": no namespace in metadata NAMESPACE, the pod part or the domain` };
  const generator = metadata['GENERATOR'] === 'grpc' ? 'grpc' : 'envoy';
  return {
    ok: true,
    proxy: {
      id,
      type,
      ip: ips[0] as string,
      ips,
      workloadName: dot > 0 ? podPart.slice(0, dot) : podPart,
      namespace,
      domain,
      generator,
      labels: stringRecord(metadata['LABELS']),
      metadata,
    },
  };
}

/**
 * Longest node id accepted. An istiod node id is `type~ip~pod.namespace~namespace.svc.<domain>`:
 * a pod name (≤ 253), a namespace (≤ 63, twice), an IP (≤ 45) and a DNS domain (≤ 253) make at
 * most ~680 characters, so 2,048 is never hit by a real proxy while keeping log lines small.
 */
export const MAX_NODE_ID_LENGTH = 2048;
/**
 * Largest node metadata accepted (as JSON text). pilot-agent sends a few KB, but its metadata
 * carries the pod's labels and ANNOTATIONS, and Kubernetes allows up to 256 KiB of annotations
 * per object: 512 KiB leaves room for both at their Kubernetes maxima.
 */
export const MAX_NODE_METADATA_BYTES = 512 * 1024;

/** The start of `s` for messages and logs: never echo a client's whole (possibly huge) string. */
export function clip(s: string, max = 80): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`;
}

/** Why a node is refused for its size, or null. Checks the id first (cheap), then the metadata's JSON size. */
export function nodeSizeProblem(id: string, metadata: Readonly<Record<string, unknown>>): string | null {
  if (id.length > MAX_NODE_ID_LENGTH)
    return `node id is ${id.length} characters; the limit is ${MAX_NODE_ID_LENGTH} (it starts "${id.slice(0, 60)}…")`;
  let size = 0;
  try {
    size = JSON.stringify(metadata).length;
  } catch {
    size = Infinity;
  }
  if (size > MAX_NODE_METADATA_BYTES)
    return `node metadata is ${Number.isFinite(size) ? `${size} bytes` : 'not serializable'}; the limit is ${MAX_NODE_METADATA_BYTES} bytes (node id "${clip(id, 120)}")`;
  return null;
}
