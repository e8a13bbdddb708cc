/**
 * @module server/explain/collector
 * What an explanation is made of: the Contributor / Explanation records the debug endpoint, the CLI
 * and the console show, the Collector that gathers lines and the configs behind them (with each
 * config's generation, resourceVersion and file from the store), the small JSON readers the
 * explainers share, the service line every cluster and virtual host starts from, and the CLI's text
 * form. Read-only over a MeshConfig.
 */
import { configKey, type ConfigObject, type MeshConfig, type MeshService } from '../../model/config.js';
import type { PatchTraceView } from './patches.js';

/** A config object that contributed, and how. */
export interface Contributor {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly resourceVersion: string;
  readonly file: string;
  /** Which part of it, in the config's own field paths (`http[0].route[1]`, `subsets[2]`, `spec.ports[0]`). */
  readonly rules: string[];
}

export interface Explanation {
  readonly type: 'cds' | 'eds' | 'lds' | 'rds' | 'vhost' | 'ecds';
  readonly name: string;
  /** One line per fact, readable on its own. */
  readonly lines: string[];
  readonly configs: Contributor[];
  /** Given the proxy: the resource before and after each EnvoyFilter patch that touched it (./patches.ts). */
  readonly patches?: PatchTraceView;
}

export type J = { readonly [k: string]: unknown };
export const obj = (v: unknown): J => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {});
export const arr = (v: unknown): J[] => (Array.isArray(v) ? v.map(obj) : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

const KIND_OF_PATH: Readonly<Record<string, string>> = {
  'virtual-service': 'VirtualService',
  'destination-rule': 'DestinationRule',
  service: 'Service',
  'service-entry': 'ServiceEntry',
  sidecar: 'Sidecar',
  gateway: 'Gateway',
  httproute: 'HTTPRoute',
  grpcroute: 'GRPCRoute',
};

/** `/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews` → the config key. */
export function keyOfPath(path: string): { kind: string; namespace: string; name: string } | null {
  const m = /\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path);
  const kind = m ? KIND_OF_PATH[m[2]!] : undefined;
  return m && kind ? { kind, namespace: m[1]!, name: m[3]! } : null;
}

export class Collector {
  readonly lines: string[] = [];
  private readonly configs = new Map<string, Contributor>();

  constructor(private readonly mesh: MeshConfig) {}

  /** Notes a config (by kind/namespace/name) and one rule inside it; returns its display name. */
  add(kind: string, namespace: string, name: string, rule?: string): string {
    const key = configKey(kind, namespace, name);
    let c = this.configs.get(key);
    if (!c) {
      const e = this.mesh.objects.get(key);
      const meta = (e?.object as ConfigObject | undefined)?.meta;
      c = {
        kind,
        namespace,
        name,
        generation: meta?.generation ?? 0,
        resourceVersion: meta?.resourceVersion ?? '',
        file: e?.origin.source ?? '(not in the store)',
        rules: [],
      };
      this.configs.set(key, c);
    }
    if (rule && !c.rules.includes(rule)) c.rules.push(rule);
    return `${kind} ${namespace}/${name}`;
  }

  list(): Contributor[] {
    return [...this.configs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
  }
}

export function explainService(mesh: MeshConfig, c: Collector, svc: MeshService | undefined, port: number, host: string): void {
  if (!svc) {
    c.lines.push(`host ${host} is not a known service`);
    return;
  }
  const i = svc.ports.findIndex((p) => p.port === port);
  const k = mesh.objects.has(configKey('Service', svc.namespace, svc.name)) ? 'Service' : 'ServiceEntry';
  const kind = c.add(k, svc.namespace, svc.name, i >= 0 ? `spec.ports[${i}]` : undefined);
  const p = svc.ports[i];
  c.lines.push(
    p
      ? `${kind} spec.ports[${i}]: ${p.name || '(unnamed)'} ${p.port}/${p.protocol}${p.appProtocol ? ` appProtocol ${p.appProtocol}` : ''} → host ${svc.hostname}:${p.port}`
      : `${kind}: host ${svc.hostname} (port ${port} is not one of its ports)`,
  );
}

/** Explanations as text, for the CLI. */
export function explainText(ex: readonly Explanation[]): string {
  return (
    ex
      .map((e) =>
        [
          `${e.type.toUpperCase()} ${e.name}`,
          ...e.lines.map((l) => `  ${l}`),
          '  configs:',
          ...e.configs.map(
            (c) =>
              `    ${c.kind} ${c.namespace}/${c.name} (generation ${c.generation}${c.resourceVersion ? `, resourceVersion ${c.resourceVersion}` : ''}) from ${c.file}${c.rules.length ? `: ${c.rules.join(', ')}` : ''}`,
          ),
        ].join('\n'),
      )
      .join('\n\n') + '\n'
  );
}
