/**
 * @module translators/proxy-config
 * The ProxyConfig a proxy runs with, as istiod sees it (ProxyConfigOrDefault): the node metadata
 * `PROXY_CONFIG` when pilot-agent sends it (it already holds the mesh default merged with the pod
 * annotation), else the pod annotation `proxy.istio.io/config` (YAML or JSON; from the registry
 * pod, else the node metadata ANNOTATIONS) over the mesh config's `defaultConfig`. Only the fields
 * tspilot translates are read (model/proxy-config.ts); an unreadable annotation counts as absent,
 * as pilot-agent would not have started with it.
 */
import { parse as parseYaml } from 'yaml';
import type { MeshConfig } from '../model/config.js';
import type { ProxyConfigSettings } from '../model/meshconfig.js';
import type { Proxy } from '../model/proxy.js';
import { mergeProxyConfig, readProxyConfig } from '../model/proxy-config.js';

export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

function annotation(mesh: MeshConfig, proxy: Proxy): string | undefined {
  const pod = mesh.pods.get(`${proxy.namespace}/${proxy.workloadName}`);
  const fromPod = pod?.meta.annotations[PROXY_CONFIG_ANNOTATION];
  if (fromPod !== undefined) return fromPod;
  const meta = proxy.metadata['ANNOTATIONS'];
  const v = meta && typeof meta === 'object' ? (meta as Record<string, unknown>)[PROXY_CONFIG_ANNOTATION] : undefined;
  return typeof v === 'string' ? v : undefined;
}

function parsed(text: string | undefined): ProxyConfigSettings | undefined {
  if (text === undefined) return undefined;
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return undefined;
  }
  const { config, problems } = readProxyConfig(doc, 'proxyConfig');
  return problems.length ? undefined : config;
}

export function proxyConfigOf(mesh: MeshConfig, proxy: Proxy): ProxyConfigSettings {
  const sent = proxy.metadata['PROXY_CONFIG'];
  if (sent && typeof sent === 'object') {
    const { config, problems } = readProxyConfig(sent, 'PROXY_CONFIG');
    if (!problems.length) return config;
  }
  return mergeProxyConfig(mesh.settings.defaultConfig, parsed(annotation(mesh, proxy)));
}
