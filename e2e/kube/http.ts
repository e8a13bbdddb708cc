// Contract: request routing for the fake API server. Maps kube-apiserver URL shapes to verbs:
//   /api, /apis, /api/v1, /apis/<g>, /apis/<g>/<v>          discovery (legacy documents)
//   /version, /healthz, /readyz, /livez                      server info
//   <prefix>/<res>[/<name>], <prefix>/namespaces/<ns>/<res>[/<name>]   (prefix = /api/v1 | /apis/<g>/<v>)
//     GET collection -> list, or watch when ?watch=true|1; GET name -> get; POST collection -> create;
//     PUT name -> update; PATCH name (merge-patch) -> patch; DELETE name -> delete.
//   POST /apis/authentication.k8s.io/v1/tokenreviews                 TokenReview (tokenreview.ts)
// Unknown group/version/resource, a namespace path for a cluster-scoped resource, subresources and
// any other path -> 404 with the generic "the server could not find the requested resource" Status.
// Authorization (the `isForbidden` hook) runs after routing and before anything else, answering
// the real 403 Status naming user/verb/resource/scope. Every request is recorded via `log`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { boolParam, listObjects, rvParam, selectorFrom, validateListOptions } from './list.js';
import { apiVersionOf, hasStatusSubresource, type Registry, type ResourceDef } from './registry.js';
import { ApiStatusError, badRequest, deleteSuccess, forbidden, methodNotSupported, notFound, notFoundPath, type Status } from './status.js';
import type { KubeObject, Store } from './store.js';
import { render, type WatchHub } from './watch.js';
import { isTokenReview, type TokenReviews } from './tokenreview.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'discovery' | 'other';

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  verb: Verb;
  group?: string;
  version?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  /** HTTP status sent (200 for a watch that was opened, even if it then carried an ERROR event). */
  status: number;
  time: number;
}

export interface HandlerContext {
  registry: Registry;
  store: Store;
  hub: WatchHub;
  user: string;
  tooLargeWaitMs: number;
  serverAddress: () => string;
  isForbidden: (def: ResourceDef, verb: Verb) => boolean;
  log: (rec: RequestRecord) => void;
  tokenReviews: TokenReviews;
}

export function sendJSON(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

export const sendStatus = (res: ServerResponse, s: Status): void => sendJSON(res, s.code ?? 200, s);

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiStatusError(badRequest(`the body of the request was in an unknown format: ${(e as Error).message}`));
  }
}

interface Route {
  def: ResourceDef;
  version: string;
  namespace?: string;
  name?: string;
  /** The `/status` subresource of a named object. */ status?: boolean;
}

function route(ctx: HandlerContext, segs: string[]): Route | 'discovery' | undefined {
  let group = '';
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length < 2) return 'discovery';
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length < 3) return 'discovery';
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else {
    return undefined;
  }
  if (rest.length === 0) return 'discovery';
  let namespace: string | undefined;
  let resource: string;
  let name: string | undefined;
  let sub: string[];
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    resource = rest[2];
    name = rest[3];
    sub = rest.slice(4);
  } else {
    resource = rest[0];
    name = rest[1];
    sub = rest.slice(2);
  }
  const def = ctx.registry.lookup(group, version, resource);
  const status = sub.length === 1 && sub[0] === 'status' && name !== undefined;
  if (!def || (sub.length > 0 && !status) || (namespace !== undefined && !def.namespaced)) return undefined;
  if (def.namespaced && namespace === undefined && name !== undefined) return undefined;
  return { def, version, namespace, name, ...(status ? { status } : {}) };
}

function discovery(ctx: HandlerContext, segs: string[]): object | undefined {
  if (segs[0] === 'api') return segs.length === 1 ? ctx.registry.apiVersions(ctx.serverAddress()) : ctx.registry.resourceList('', segs[1]);
  if (segs.length === 1) return ctx.registry.apiGroupList();
  if (segs.length === 2) return ctx.registry.apiGroup(segs[1]);
  return ctx.registry.resourceList(segs[1], segs[2]);
}

function verbOf(method: string, r: Route, watch: boolean): Verb | undefined {
  if (method === 'GET') return r.name !== undefined ? 'get' : watch ? 'watch' : 'list';
  if (r.name === undefined) return method === 'POST' ? 'create' : undefined;
  return ({ PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, Verb>)[method];
}

export async function handle(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake');
  const segs = url.pathname.split('/').filter((s) => s !== '');
  const method = req.method ?? 'GET';
  const rec: RequestRecord = {
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    verb: 'other',
    status: 0,
    time: Date.now(),
  };
  const reply = (code: number, body: unknown): void => {
    rec.status = code;
    sendJSON(res, code, body);
  };
  try {
    if (segs.length === 1 && ['healthz', 'readyz', 'livez'].includes(segs[0])) {
      rec.status = 200;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (segs.length === 1 && segs[0] === 'version') {
      reply(200, { major: '1', minor: '33', gitVersion: 'v1.33.0-tspilot-fake', platform: 'linux/amd64' });
      return;
    }
    if (isTokenReview(req, url.pathname)) {
      Object.assign(rec, { verb: 'create', group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews' });
      const gr = { group: 'authentication.k8s.io', versions: ['v1'], resource: 'tokenreviews', kind: 'TokenReview', namespaced: false };
      if (ctx.isForbidden(gr, 'create')) {
        reply(403, forbidden({ user: ctx.user, verb: 'create', gr }));
        return;
      }
      rec.status = ctx.tokenReviews.handle(await readBody(req), res, sendJSON);
      return;
    }
    const r = route(ctx, segs);
    if (r === 'discovery') {
      rec.verb = 'discovery';
      const doc = method === 'GET' ? discovery(ctx, segs) : undefined;
      if (doc) reply(200, doc);
      else reply(404, notFoundPath());
      return;
    }
    if (r === undefined) {
      reply(404, notFoundPath());
      return;
    }
    Object.assign(rec, { group: r.def.group, version: r.version, resource: r.def.resource, namespace: r.namespace, name: r.name });
    const q = url.searchParams;
    const watch = method === 'GET' && r.name === undefined && boolParam(q, 'watch') === true;
    const verb = verbOf(method, r, watch);
    if (!verb) {
      reply(405, methodNotSupported(r.def, method));
      return;
    }
    rec.verb = verb;
    if (ctx.isForbidden(r.def, verb)) {
      reply(403, forbidden({ user: ctx.user, verb, gr: r.def, namespace: r.namespace, name: r.name }));
      return;
    }
    const { def, version, namespace, name } = r;
    if (r.status && !hasStatusSubresource(def)) {
      reply(404, notFoundPath());
      return;
    }
    if (r.status && verb !== 'get' && verb !== 'update') {
      reply(405, methodNotSupported(r.def, method));
      return;
    }
    if (r.status && verb === 'update') {
      // The status subresource: only .status of the body is stored (spec and metadata stay as they are), as the real server does.
      const body = (await readBody(req)) as KubeObject | undefined;
      if (!body || typeof body !== 'object') throw new ApiStatusError(badRequest('the body of the request was empty'));
      const next = { ...body, metadata: { ...(body.metadata ?? {}), name: name as string, ...(namespace ? { namespace } : {}) } };
      reply(200, render(def, version, ctx.store.updateStatus(def, next)));
      return;
    }
    switch (verb) {
      case 'watch': {
        validateListOptions(q, true);
        const ts = q.get('timeoutSeconds');
        const timeoutSeconds = ts === null || ts === '' ? undefined : Number(ts);
        if (timeoutSeconds !== undefined && !Number.isFinite(timeoutSeconds))
          throw new ApiStatusError(badRequest(`invalid timeoutSeconds: ${ts}`));
        const wreq = {
          def,
          version,
          namespace,
          selector: selectorFrom(q, def),
          resourceVersion: rvParam(q),
          sendInitialEvents: boolParam(q, 'sendInitialEvents'),
          allowWatchBookmarks: boolParam(q, 'allowWatchBookmarks') === true,
          timeoutSeconds,
        };
        rec.status = 200;
        ctx.log(rec);
        ctx.hub.serve(wreq, res, url.pathname + url.search);
        return;
      }
      case 'list':
        reply(200, await listObjects(ctx.store, { def, version, namespace, tooLargeWaitMs: ctx.tooLargeWaitMs }, q));
        return;
      case 'get': {
        const o = ctx.store.get(def, namespace, name as string);
        if (!o) reply(404, notFound(def, name as string));
        else reply(200, render(def, version, o));
        return;
      }
      case 'create':
      case 'update': {
        const body = (await readBody(req)) as KubeObject | undefined;
        if (!body || typeof body !== 'object') throw new ApiStatusError(badRequest('the body of the request was empty'));
        const meta = { ...(body.metadata ?? {}) };
        if (def.namespaced) {
          if (meta.namespace && meta.namespace !== namespace) {
            throw new ApiStatusError(badRequest('the namespace of the provided object does not match the namespace sent on the request'));
          }
          meta.namespace = namespace;
        }
        if (verb === 'update' && meta.name !== name) {
          throw new ApiStatusError(
            badRequest(`the name of the object (${meta.name ?? ''}) does not match the name on the URL (${name ?? ''})`),
          );
        }
        if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(def.group, version)) {
          throw new ApiStatusError(
            badRequest(
              `the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(def.group, version)})`,
            ),
          );
        }
        const obj = { ...body, metadata: meta };
        const out = verb === 'create' ? ctx.store.create(def, obj) : ctx.store.update(def, obj);
        reply(verb === 'create' ? 201 : 200, render(def, version, out));
        return;
      }
      case 'patch': {
        const ct = (req.headers['content-type'] ?? '').split(';')[0].trim();
        if (ct !== 'application/merge-patch+json' && ct !== 'application/strategic-merge-patch+json') {
          reply(415, {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json`,
            reason: 'UnsupportedMediaType',
            code: 415,
          });
          return;
        }
        reply(200, render(def, version, ctx.store.patch(def, namespace, name as string, await readBody(req))));
        return;
      }
      case 'delete': {
        const opts = (await readBody(req)) as { preconditions?: { uid?: string; resourceVersion?: string } } | undefined;
        const gone = ctx.store.delete(def, namespace, name as string, opts?.preconditions);
        reply(200, deleteSuccess(def, name as string, gone.metadata.uid ?? ''));
        return;
      }
      default:
        reply(404, notFoundPath());
    }
  } catch (e) {
    if (e instanceof ApiStatusError) reply(e.status.code ?? 500, e.status);
    else
      reply(500, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: String(e),
        reason: 'InternalError',
        code: 500,
      });
  } finally {
    if (rec.verb !== 'watch' || rec.status !== 200) ctx.log(rec);
  }
}
