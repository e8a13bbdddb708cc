/**
 * @module server/ui/routes
 * The web console at `/ui/` on every port that serves `/debug` (the monitoring port first):
 * the HTML shell, its stylesheet and modules (server/ui/assets), and the one JSON view it needs
 * beyond the debug endpoints (`/ui/api/traffic?host=`). Read-only. Every console answer carries a
 * Content-Security-Policy that allows scripts, styles and requests from this origin only — no
 * inline script, no remote origin, no framing — so config text shown by the page (object names,
 * NACK messages, which clients control) can never run as code even if a view forgot to escape.
 */
import type { MeshConfig } from '../../model/config.js';
import { HttpError, type Reply, type Router } from '../http/router.js';
import { ConsoleAssets } from './assets.js';
import { APP_CSS, INDEX_HTML } from './page.js';
import { trafficView } from './traffic.js';

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const page = (text: string, type: string): Reply => ({ text, headers: { ...SECURITY_HEADERS, 'content-type': type } });

export function consoleRoutes(router: Router, src: { mesh(): MeshConfig }, assets: ConsoleAssets = new ConsoleAssets()): Router {
  // Relative asset URLs need the trailing slash (also behind `kubectl proxy` prefixes).
  router.on('GET', '/ui', () => ({ status: 302, text: 'the console is at /ui/\n', headers: { location: 'ui/' } }));
  router.on('GET', '/ui/', () => page(INDEX_HTML, 'text/html; charset=utf-8'));
  router.on('GET', '/ui/app.css', () => page(APP_CSS, 'text/css; charset=utf-8'));
  router.on('GET', /^\/ui\/vendor\/[a-z]+\.mjs$/, async ({ url }) => {
    const js = await assets.vendor(url.pathname.slice('/ui/vendor/'.length));
    if (js === null) throw new HttpError(404, `no such console file: ${url.pathname}`);
    return page(js, 'text/javascript; charset=utf-8');
  });
  router.on('GET', /^\/ui\/[a-z][a-z0-9-]*\.js$/, async ({ url }) => {
    const js = await assets.script(url.pathname.slice('/ui/'.length));
    if (js === null) throw new HttpError(404, `no such console file: ${url.pathname}`);
    return page(js, 'text/javascript; charset=utf-8');
  });
  router.on('GET', '/ui/api/traffic', ({ url }) => {
    const mesh = src.mesh();
    const host = url.searchParams.get('host');
    if (!host) return { json: { hosts: mesh.services.map((s) => s.hostname) } };
    if (host.length > 512) throw new HttpError(400, 'host is longer than 512 characters');
    if (!mesh.serviceByHost.has(host)) throw new HttpError(404, `no service "${host}" in the registry (see /debug/registryz)`);
    return { json: trafficView(mesh, host) };
  });
  return router;
}
