/**
 * @module server/explain/authz
 * Explains the security filters of a listener a proxy has: for every filter chain, the RBAC
 * filters (HTTP ones inside the HCM, network ones before tcp_proxy) with their action and the
 * AuthorizationPolicy rules behind each policy name (`ns[<ns>]-policy[<name>]-rule[<i>]`, CUSTOM
 * ones prefixed `istio-ext-authz-`, dry-run ones in shadow rules), the ext_authz provider a CUSTOM
 * policy calls, and the RequestAuthentications behind each jwt_authn issuer. Derived from what
 * was generated, like the rest of explain. Read-only.
 */
import type { MeshConfig } from '../../model/config.js';

type J = { readonly [k: string]: unknown };
const obj = (v: unknown): J => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {});
const arr = (v: unknown): J[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** What explain's collector offers: note a config and a rule in it, and write a line. */
export interface ExplainSink {
  add(kind: string, namespace: string, name: string, rule?: string): string;
  readonly lines: string[];
}

const POLICY_NAME = /^(istio-ext-authz-)?ns\[([^\]]+)\]-policy\[([^\]]+)\]-rule\[(\d+)\](-bad-custom-action)?$/;

function rbacLines(sink: ExplainSink, chain: string, filter: string, cfg: J): void {
  for (const [field, how] of [
    ['rules', ''],
    ['shadowRules', ' (dry run / shadow)'],
  ] as const) {
    const rules = obj(cfg[field]);
    if (!cfg[field]) continue;
    const action = str(rules['action']) || 'ALLOW';
    const names = Object.keys(obj(rules['policies']));
    if (!names.length)
      sink.lines.push(
        `chain ${chain}: ${filter} ${action}${how} with no policy: ${action === 'ALLOW' ? 'denies every request' : 'matches nothing'}`,
      );
    for (const n of names) {
      const m = POLICY_NAME.exec(n);
      if (!m) {
        sink.lines.push(`chain ${chain}: ${filter} ${action}${how} policy ${n}`);
        continue;
      }
      const label = sink.add('AuthorizationPolicy', m[2]!, m[3]!, `spec.rules[${m[4]}]`);
      const what = m[5] ? 'DENY (its CUSTOM provider is unusable)' : m[1] ? 'CUSTOM: sends matching requests to ext_authz' : action;
      sink.lines.push(`chain ${chain}: ${label} spec.rules[${m[4]}] → ${filter} ${what}${how}`);
    }
  }
}

function jwtLines(mesh: MeshConfig, sink: ExplainSink, chain: string, cfg: J): void {
  for (const [name, p] of Object.entries(obj(cfg['providers']))) {
    const issuer = str(obj(p)['issuer']);
    const from = mesh.requestAuthentications.filter((ra) => ra.spec.jwtRules.some((r) => r.issuer === issuer));
    const labels = from.map((ra) =>
      sink.add(
        'RequestAuthentication',
        ra.meta.namespace,
        ra.meta.name,
        `spec.jwtRules[${ra.spec.jwtRules.findIndex((r) => r.issuer === issuer)}]`,
      ),
    );
    sink.lines.push(`chain ${chain}: jwt_authn provider ${name} for issuer ${issuer}${labels.length ? ` from ${labels.join(', ')}` : ''}`);
  }
}

/** Adds the authorization/authentication facts of a listener's filter chains. */
export function explainListenerSecurity(mesh: MeshConfig, sink: ExplainSink, listener: J): void {
  for (const ch of arr(listener['filterChains'])) {
    const chain = str(ch['name']) || '(unnamed chain)';
    for (const f of arr(ch['filters'])) {
      const name = str(f['name']);
      const cfg = obj(f['typedConfig']);
      if (name === 'envoy.filters.network.rbac') rbacLines(sink, chain, 'network RBAC', cfg);
      else if (name === 'envoy.filters.network.ext_authz')
        sink.lines.push(`chain ${chain}: network ext_authz → ${str(obj(obj(cfg['grpcService'])['envoyGrpc'])['clusterName'])}`);
      for (const h of arr(cfg['httpFilters'])) {
        const hn = str(h['name']);
        const hc = obj(h['typedConfig']);
        if (hn === 'envoy.filters.http.rbac') rbacLines(sink, chain, 'HTTP RBAC', hc);
        else if (hn === 'envoy.filters.http.jwt_authn') jwtLines(mesh, sink, chain, hc);
        else if (hn === 'envoy.filters.http.ext_authz') {
          const target =
            str(obj(obj(hc['grpcService'])['envoyGrpc'])['clusterName']) || str(obj(obj(hc['httpService'])['serverUri'])['cluster']);
          sink.lines.push(`chain ${chain}: HTTP ext_authz → ${target}`);
        }
      }
    }
  }
}
