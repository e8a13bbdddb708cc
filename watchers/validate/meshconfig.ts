/**
 * @module watchers/validate/meshconfig
 * Reads istio's MeshConfig (the `mesh` key of the istio ConfigMap, already parsed from YAML) into
 * MeshSettings: trustDomain, rootNamespace, outboundTrafficPolicy.mode, connectTimeout,
 * defaultHttpRetryPolicy, enableAutoMtls, extensionProviders (ext_authz and telemetry ones),
 * defaultProviders, accessLogFile/accessLogFormat/accessLogEncoding, defaultConfig.gatewayTopology.
 * Fields tspilot does not translate are accepted and ignored (a real
 * MeshConfig has dozens); wrong types or values in the fields it reads are errors naming the field.
 */
import { DEFAULT_MESH_SETTINGS, type MeshSettings } from '../../model/meshconfig.js';
import { readExtensionProviders } from './extensionproviders.js';
import { readProxyConfig } from '../../model/proxy-config.js';
import type { HTTPRetry } from '../../model/istio.js';
import { Reader, type Problem } from './check.js';
import { readDuration } from './common-istio.js';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';

export function readMeshConfig(raw: unknown): { settings: MeshSettings; problems: readonly Problem[] } {
  const r = new Reader();
  if (raw === null || raw === undefined) return { settings: DEFAULT_MESH_SETTINGS, problems: [] };
  const o = r.object(raw, '', true) ?? {};
  const trustDomain = r.string(o['trustDomain'], 'trustDomain') || DEFAULT_MESH_SETTINGS.trustDomain;
  const rootNamespace = r.string(o['rootNamespace'], 'rootNamespace') || DEFAULT_MESH_SETTINGS.rootNamespace;
  let outbound = DEFAULT_MESH_SETTINGS.outboundTrafficPolicy;
  const otp = r.object(o['outboundTrafficPolicy'], 'outboundTrafficPolicy');
  if (otp) {
    const m = r.string(otp['mode'], 'outboundTrafficPolicy.mode');
    if (m === 'ALLOW_ANY' || m === 'REGISTRY_ONLY') outbound = m;
    else if (m !== undefined) r.fail('outboundTrafficPolicy.mode', `"${m}" is not ALLOW_ANY or REGISTRY_ONLY`);
  }
  const connectTimeout = readDuration(r, o['connectTimeout'], 'connectTimeout') ?? DEFAULT_MESH_SETTINGS.connectTimeout;
  let retry: HTTPRetry | undefined;
  const rp = r.object(o['defaultHttpRetryPolicy'], 'defaultHttpRetryPolicy');
  if (rp) {
    r.known(rp, 'defaultHttpRetryPolicy', ['attempts', 'perTryTimeout', 'retryOn', 'retryRemoteLocalities']);
    const attempts = r.int(rp['attempts'], 'defaultHttpRetryPolicy.attempts', { min: 0 });
    const perTryTimeout = readDuration(r, rp['perTryTimeout'], 'defaultHttpRetryPolicy.perTryTimeout');
    const retryOn = r.string(rp['retryOn'], 'defaultHttpRetryPolicy.retryOn');
    retry = {
      ...(attempts !== undefined ? { attempts } : {}),
      ...(perTryTimeout ? { perTryTimeout } : {}),
      ...(retryOn ? { retryOn } : {}),
    };
  }
  const enableAutoMtls = r.bool(o['enableAutoMtls'], 'enableAutoMtls') ?? DEFAULT_MESH_SETTINGS.enableAutoMtls;
  const extensionProviders = readExtensionProviders(r, o['extensionProviders']);
  const dp = r.object(o['defaultProviders'], 'defaultProviders');
  const defaultProviders: Record<string, string[]> = {};
  if (dp) {
    r.known(dp, 'defaultProviders', ['metrics', 'accessLogging', 'tracing']);
    for (const k of ['metrics', 'accessLogging', 'tracing']) {
      const l = r.stringList(dp[k], `defaultProviders.${k}`);
      if (l) defaultProviders[k] = l;
    }
  }
  const accessLogFile = r.string(o['accessLogFile'], 'accessLogFile');
  const accessLogFormat = r.string(o['accessLogFormat'], 'accessLogFormat');
  const enc = r.string(o['accessLogEncoding'], 'accessLogEncoding');
  if (enc !== undefined && enc !== 'TEXT' && enc !== 'JSON') r.fail('accessLogEncoding', `"${enc}" is not TEXT or JSON`);
  const dc = readProxyConfig(o['defaultConfig'], 'defaultConfig');
  for (const p of dc.problems) r.fail(p.field, p.reason);
  return {
    settings: {
      trustDomain,
      rootNamespace,
      outboundTrafficPolicy: outbound,
      connectTimeout,
      enableAutoMtls,
      ...(retry ? { defaultHttpRetryPolicy: retry } : {}),
      ...(extensionProviders.length ? { extensionProviders } : {}),
      ...(dp ? { defaultProviders } : {}),
      ...(accessLogFile ? { accessLogFile } : {}),
      ...(accessLogFormat ? { accessLogFormat } : {}),
      ...(enc === 'TEXT' || enc === 'JSON' ? { accessLogEncoding: enc } : {}),
      ...(dc.config.gatewayTopology ? { defaultConfig: dc.config } : {}),
    },
    problems: r.problems,
  };
}

/**
 * Parses a mesh config file: either the MeshConfig YAML itself (the `mesh` key's value) or a whole
 * istio ConfigMap whose `data.mesh` holds it.
 */
export function parseMeshConfigText(text: string): { settings: MeshSettings; problems: readonly Problem[] } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return { settings: DEFAULT_MESH_SETTINGS, problems: [{ field: '', reason: `not YAML: ${(e as Error).message}` }] };
  }
  const d = doc as Record<string, unknown> | null;
  if (d && typeof d === 'object' && d['kind'] === 'ConfigMap') {
    const data = d['data'] as Record<string, unknown> | undefined;
    const mesh = data?.['mesh'];
    if (typeof mesh !== 'string')
      return { settings: DEFAULT_MESH_SETTINGS, problems: [{ field: 'data.mesh', reason: 'the ConfigMap has no mesh key' }] };
    return parseMeshConfigText(mesh);
  }
  return readMeshConfig(doc);
}

/** Reads a `--mesh-config` file; throws an error naming the file and the first bad field. */
export function loadMeshConfigFile(file: string): MeshSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--mesh-config ${file}: cannot read: ${(e as Error).message}`);
  }
  const { settings, problems } = parseMeshConfigText(text);
  if (problems.length)
    throw new Error(`--mesh-config ${file}: ${problems.map((p) => `${p.field || '(document)'}: ${p.reason}`).join('; ')}`);
  return settings;
}
