/**
 * @module server/replica/flags
 * The `serve` flags that find the other replicas, `--peers` and `--peers-service`: parsed and
 * checked here with nothing heavy imported, so the command line starts fast (main.ts imports this).
 */
import type { PeerOptions } from './options.js';

/** Checks `--peers` values: absolute http(s) URLs without path, query or credentials. */
export function parsePeerUrls(list: string): string[] {
  const out: string[] = [];
  for (const raw of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new Error(`--peers: "${raw}" is not a URL (e.g. http://10.1.2.3:15014)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`--peers: "${raw}" must be http:// or https://`);
    if (u.username || u.password || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash)
      throw new Error(`--peers: "${raw}" must be scheme://host:port only`);
    out.push(u.origin);
  }
  return [...new Set(out)].sort();
}

/** `namespace/name` of a Service, as `--peers-service` takes it. */
export function parseServiceRef(v: string): { namespace: string; name: string } {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(v.trim());
  if (!m) throw new Error(`--peers-service: "${v}" is not namespace/name (e.g. istio-system/istiod)`);
  return { namespace: m[1]!, name: m[3]! };
}

/** The peer options of the parsed `serve` flags. */
export function replicaFlags(o: {
  readonly peers?: readonly string[];
  readonly peersService?: { readonly namespace: string; readonly name: string };
}): PeerOptions {
  return { ...(o.peers?.length ? { peers: o.peers } : {}), ...(o.peersService ? { peersService: o.peersService } : {}) };
}
