/**
 * @module server/replica/routes
 * The multi-replica debug endpoints (tspilot's own; istiod has none): `/debug/replicaz` (who
 * answered and how peers are found), `/debug/replicas/syncz` (every replica's proxies merged,
 * each with its replica — what `proxy-status --all-replicas` and the console list; the console asks
 * for a page, one proxy or a summary: page.ts), and
 * `/debug/replicas/get?replica=&path=` (a per-proxy view fetched from the replica holding the
 * proxy). Also stamps every answer of the router with the `x-tspilot-replica` header.
 */
import { HttpError, type Router } from '../http/router.js';
import { FORWARDED_PATHS, type ReplicaFanout } from './fanout.js';
import { REPLICA_HEADER } from './identity.js';
import { selectSyncz, wantsPage } from './page.js';

export function replicaRoutes(router: Router, fan: ReplicaFanout): Router {
  router.setHeader(REPLICA_HEADER, fan.label);
  router.on('GET', '/debug/replicaz', () => ({ json: fan.describe() }));
  router.on('GET', '/debug/replicas/syncz', async ({ url }) => {
    const q = url.searchParams;
    // Check the query before fanning out, so a bad parameter costs no peer requests.
    if (wantsPage(q)) selectSyncz({ answeredBy: fan.label, replicas: [], proxies: [] }, q);
    const merged = await fan.syncz();
    return { json: wantsPage(q) ? selectSyncz(merged, q) : merged };
  });
  router.on('GET', '/debug/replicas/get', async ({ url }) => {
    const replica = url.searchParams.get('replica');
    const path = url.searchParams.get('path');
    if (!replica || !path) throw new HttpError(400, 'query parameters replica and path are required');
    if (path.length > 2048) throw new HttpError(400, 'path is longer than 2048 characters');
    if (!path.startsWith('/') || path.startsWith('//') || !FORWARDED_PATHS.includes(path.split('?')[0]!))
      throw new HttpError(400, `path: only ${FORWARDED_PATHS.join(', ')} are forwarded`);
    if (replica === fan.label) throw new HttpError(400, `replica ${replica} is the one answering: ask ${path} directly`);
    let r: Awaited<ReturnType<ReplicaFanout['forward']>>;
    try {
      r = await fan.forward(replica, path);
    } catch (e) {
      throw new HttpError(502, `replica ${replica}: ${(e as Error).message}`);
    }
    if (!r) throw new HttpError(404, `no replica "${replica}" among the peers (see /debug/replicas/syncz)`);
    return typeof r.body === 'string' ? { status: r.status, text: r.body } : { status: r.status, json: r.body };
  });
  return router;
}
