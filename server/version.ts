/**
 * @module server/version
 * tspilot's own version (package.json, read once) and the control-plane identity istiod puts in
 * every DiscoveryResponse of its debug types (`control_plane.identifier`, JSON of
 * IstioControlPlaneInstance: Component, ID, Info.version), which istioctl shows in its ISTIOD and
 * VERSION columns. Also the `istio_build` metric's tag.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

let cached: string | undefined;

/** The `version` of the package.json next to dist/ (in the image and in a checkout), else "unknown". */
export function tspilotVersion(): string {
  if (cached === undefined) {
    try {
      const v = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }).version;
      cached = typeof v === 'string' ? v : 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}

/** This replica's name as istiod reports its own (the pod name: POD_NAME, else the host name). */
export function replicaId(env: NodeJS.ProcessEnv = process.env): string {
  return env['POD_NAME'] || os.hostname();
}

/** `control_plane.identifier` of istiod's debug responses: `{"Component":"istiod","ID":…,"Info":{"version":…}}`. */
export function controlPlaneIdentifier(id = replicaId()): string {
  return JSON.stringify({
    Component: 'istiod',
    ID: id,
    Info: { version: tspilotVersion(), revision: 'tspilot', status: 'Clean', tag: tspilotVersion() },
  });
}
