/**
 * @module watchers/mesh-notice-log
 * Logs the notices a snapshot carries — accepted policies that apply to nothing (`policyNotices`:
 * a PeerAuthentication, AuthorizationPolicy or RequestAuthentication selecting no workload) and
 * ignored parts of accepted objects (`notices`: a Service's UDP port, an EndpointSlice naming no
 * Service) — once when each appears, not on every snapshot, and again only if it goes away and
 * comes back. The same facts are listed in /debug/configz; this is for operators who read logs.
 */
import type { MeshConfig } from '../model/config.js';

export interface NoticeLog {
  warn(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
}

/** The logged form of each notice in `mesh`, keyed by what makes it "the same" notice. */
function meshNotices(
  mesh: Pick<MeshConfig, 'policyNotices' | 'notices'>,
): Map<string, { level: 'warn' | 'info'; fields: Record<string, unknown>; msg: string }> {
  const out = new Map<string, { level: 'warn' | 'info'; fields: Record<string, unknown>; msg: string }>();
  for (const n of mesh.policyNotices) {
    out.set(`policy|${n.key}|${n.reason}`, {
      level: 'warn',
      fields: { key: n.key, kind: n.kind, namespace: n.namespace, name: n.name, reason: n.reason },
      msg: `${n.kind} ${n.namespace}/${n.name} is in force but may act on nothing: ${n.reason}`,
    });
  }
  for (const n of mesh.notices ?? []) {
    const [kind, ns, name] = n.key.split('/');
    out.set(`part|${n.key}|${n.field}|${n.reason}`, {
      level: 'info',
      fields: { key: n.key, field: n.field, reason: n.reason },
      msg: `${kind} ${ns}/${name} ${n.field}: ${n.reason}`,
    });
  }
  return out;
}

/** Returns a function to call with each snapshot: it logs the notices not already logged while they lasted. */
export function meshNoticeLogger(log: NoticeLog): (mesh: Pick<MeshConfig, 'policyNotices' | 'notices'>) => void {
  let logged = new Set<string>();
  return (mesh) => {
    const now = meshNotices(mesh);
    for (const [id, n] of now) if (!logged.has(id)) log[n.level](n.fields, n.msg);
    logged = new Set(now.keys());
  };
}
