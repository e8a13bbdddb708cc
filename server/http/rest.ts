/**
 * @module server/http/rest
 * The REST-JSON xDS variant for polling clients (Envoy `api_type: REST`, rule 25):
 * `POST /v3/discovery:clusters|listeners|routes|endpoints` with a DiscoveryRequest as proto3 JSON,
 * answered with a DiscoveryResponse as proto3 JSON from the same per-class snapshot ADS serves.
 * A client whose `version_info` is current gets `304 Not Modified` with an empty body (as
 * go-control-plane's REST server), and that path is cheap: the version of (class, type, names) is
 * memoised per mesh, and rendered JSON is cached per (class, type, version).
 */
import { createHash } from 'node:crypto';
import type { MeshConfig } from '../../model/config.js';
import type { Proxy } from '../../model/proxy.js';
import { resolveProxy } from '../../model/resolve-proxy.js';
import { fromProto3Json, toProto3Json } from '../../proto/json.js';
import { CDS, EDS, LDS, RDS, isWildcardType, type XdsType } from '../../proto/typeurls.js';
import { decodeSotwRequest, sotwResponseBytes, type SotwRequest } from '../../proto/wire.js';
import type { EncodedResource } from '../../proto/encode.js';
import type { ClassSnapshot } from '../cache/snapshot.js';
import { versionOf } from '../xds/sotw.js';
import { HttpError, type Router } from './router.js';

const TYPES: Readonly<Record<string, XdsType>> = { clusters: CDS, listeners: LDS, routes: RDS, endpoints: EDS };
const RENDERED_MAX = 256;
const VERSIONS_MAX = 4096;

export interface RestSources {
  snapshot(p: Proxy): ClassSnapshot;
  mesh(): MeshConfig;
}

export interface RestCounters {
  requests: number;
  notModified: number;
  rendered: number;
  errors: number;
}

export function restRoutes(router: Router, src: RestSources): { router: Router; counters: RestCounters } {
  const counters: RestCounters = { requests: 0, notModified: 0, rendered: 0, errors: 0 };
  let versionsFor: MeshConfig | null = null;
  let versions = new Map<string, { version: string; resources: EncodedResource[] }>();
  const rendered = new Map<string, string>();

  const parse = (kind: string, body: string): { req: SotwRequest; typeUrl: XdsType } => {
    const typeUrl = TYPES[kind]!;
    let json: unknown;
    try {
      json = JSON.parse(body || '{}');
    } catch (e) {
      throw new HttpError(400, `request body is not JSON: ${(e as Error).message}`);
    }
    let req: SotwRequest;
    try {
      req = decodeSotwRequest(fromProto3Json('envoy.service.discovery.v3.DiscoveryRequest', json));
    } catch (e) {
      throw new HttpError(400, `request body is not a DiscoveryRequest: ${(e as Error).message}`);
    }
    if (req.typeUrl && req.typeUrl !== typeUrl)
      throw new HttpError(400, `type_url "${req.typeUrl}" does not match /v3/discovery:${kind} (${typeUrl})`);
    if (!req.node?.id) throw new HttpError(400, 'DiscoveryRequest.node.id is required');
    return { req, typeUrl };
  };

  router.on('POST', /^\/v3\/discovery:(clusters|listeners|routes|endpoints)$/, ({ url, body }) => {
    counters.requests++;
    try {
      const kind = url.pathname.slice('/v3/discovery:'.length);
      const { req, typeUrl } = parse(kind, body);
      const mesh = src.mesh();
      const resolved = resolveProxy(req.node!, mesh);
      if (!resolved.ok) throw new HttpError(400, `node.id: ${resolved.reason}`);
      const proxy = resolved.proxy;
      const snap = src.snapshot(proxy);
      if (snap.unavailable)
        throw new HttpError(
          503,
          `the configuration of this proxy's class (${snap.classKey}) could not be computed: ${snap.unavailable.message}`,
        );
      if (versionsFor !== mesh) {
        versionsFor = mesh;
        versions = new Map();
      }
      const names = [...new Set(req.resourceNames.filter((n) => n !== '*'))].sort();
      const wildcard = isWildcardType(typeUrl) && (names.length === 0 || req.resourceNames.includes('*'));
      // The names are the client's (up to a 1 MiB body): the key holds their digest, not the names.
      const vkey = `${snap.classKey}\u0000${typeUrl}\u0000${wildcard ? '*' : ''}\u0000${createHash('sha256').update(names.join('\u0001')).digest('base64url')}`;
      let v = versions.get(vkey);
      if (!v) {
        const all = new Set(names);
        if (wildcard) for (const n of snap.names(typeUrl)) all.add(n);
        const resources = [...all]
          .sort()
          .map((n) => snap.get(typeUrl, n))
          .filter((r): r is EncodedResource => r !== undefined);
        v = { version: versionOf(resources), resources };
        // Bounded like `rendered`: keys come from client-chosen nodes and names.
        if (versions.size >= VERSIONS_MAX) versions.delete(versions.keys().next().value as string);
        versions.set(vkey, v);
      }
      if (req.versionInfo && req.versionInfo === v.version) {
        counters.notModified++;
        return { status: 304, text: '' };
      }
      const rkey = `${snap.classKey}\u0000${typeUrl}\u0000${v.version}`;
      let text = rendered.get(rkey);
      if (text === undefined) {
        const bytes = sotwResponseBytes(
          v.version,
          typeUrl,
          '',
          v.resources.map((r) => r.any),
        );
        text = JSON.stringify(toProto3Json('envoy.service.discovery.v3.DiscoveryResponse', bytes)) + '\n';
        if (rendered.size >= RENDERED_MAX) rendered.delete(rendered.keys().next().value as string);
        rendered.set(rkey, text);
        counters.rendered++;
      }
      return { text, headers: { 'content-type': 'application/json' } };
    } catch (e) {
      counters.errors++;
      throw e;
    }
  });
  return { router, counters };
}
