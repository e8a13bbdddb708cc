/**
 * @module server/cli/status
 * `tspilot proxy-status`: istioctl's table from `/debug/syncz`, in istioctl's columns (NAME,
 * CLUSTER, CDS, LDS, EDS, RDS, ECDS, ISTIOD, VERSION) — per proxy, each type is SYNCED (the
 * client ACKed the last response), NOT SENT (nothing sent, e.g. not subscribed), STALE (sent, no
 * answer yet) or NACKED (the client rejected the last response; istioctl would say STALE);
 * rejected types are followed by the client's error text, so a NACK can be traced without logs.
 * VERSION is the proxy's ISTIO_VERSION, else its user agent version followed by `*` (istioctl's
 * fallback to the proxy version).
 */
import { table } from './table.js';

/** One entry of /debug/syncz (the fields proxy-status reads). */
export interface SyncEntry {
  readonly proxy: string;
  readonly istio_version?: string;
  readonly proxy_version?: string;
  readonly cluster_id?: string;
  /** The replica that answered (tspilot's pod or host name). */
  readonly istiod?: string;
  /** The replica the proxy is connected to, when a merged view of every replica says so (shown as ISTIOD, as istioctl shows the istiod of each proxy). */
  readonly replica?: string;
  readonly transport?: string;
  readonly types: Readonly<
    Record<
      string,
      | {
          readonly sent: string;
          readonly nonce: string;
          readonly acked: string;
          readonly ackedNonce?: string;
          readonly nack: { readonly version: string; readonly nonce: string; readonly error: string } | null;
        }
      | undefined
    >
  >;
}

export type SyncState = 'SYNCED' | 'NOT SENT' | 'STALE' | 'NACKED';

export function syncState(t: SyncEntry['types'][string]): SyncState {
  if (!t || !t.sent) return 'NOT SENT';
  if (t.nack && t.nack.nonce === t.nonce) return 'NACKED';
  if (t.ackedNonce !== undefined ? t.ackedNonce === t.nonce && t.acked === t.sent : t.acked === t.sent) return 'SYNCED';
  return 'STALE';
}

/** `pod.namespace` from an istiod node ID (the form istioctl shows), else the ID itself. */
export function shortName(nodeId: string): string {
  const p = nodeId.split('~');
  return p.length === 4 && p[2] ? p[2] : nodeId;
}

const TYPES = ['cds', 'lds', 'eds', 'rds'] as const;

export function proxyStatusTable(entries: readonly SyncEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.proxy < b.proxy ? -1 : a.proxy > b.proxy ? 1 : 0));
  const version = (e: SyncEntry): string => e.istio_version || (e.proxy_version ? `${e.proxy_version}*` : '-');
  // Pollers of the v1 REST API are not xDS streams: then a TRANSPORT column says which rows are which.
  const polled = sorted.some((e) => e.transport && e.transport !== 'sotw' && e.transport !== 'delta');
  const rows = sorted.map((e) => [
    shortName(e.proxy),
    e.cluster_id || '-',
    ...TYPES.map((t) => syncState(e.types[t])),
    'NOT SENT',
    e.replica || e.istiod || '-',
    version(e),
    ...(polled ? [e.transport ?? ''] : []),
  ]);
  let out = table(['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION', ...(polled ? ['TRANSPORT'] : [])], rows);
  const nacks: string[] = [];
  for (const e of sorted) {
    for (const t of TYPES) {
      const ts = e.types[t];
      if (syncState(ts) === 'NACKED')
        nacks.push(
          `${shortName(e.proxy)} ${t.toUpperCase()} NACKED version ${ts!.nack!.version} (nonce ${ts!.nack!.nonce}): ${ts!.nack!.error}`,
        );
    }
  }
  if (nacks.length) out += '\n' + nacks.join('\n') + '\n';
  return out;
}
