/**
 * The console's files over HTTP: the shell and every module carry the Content-Security-Policy,
 * imports of preact/htm point at the locally served copies, and only known files are served.
 */
import { strict as assert } from 'node:assert';
import { Router, startHttp, type HttpServer } from '../http/router.js';
import { meshFrom } from '../../translators/harness.test.js';
import { rewriteImports } from './assets.js';
import { CONSOLE_CSP, consoleRoutes } from './routes.js';

describe('server/ui routes', () => {
  let s: HttpServer;
  const get = (p: string): Promise<Response> => fetch(`http://127.0.0.1:${s.port}${p}`, { redirect: 'manual' });
  before(async () => {
    const { mesh } = meshFrom(
      'apiVersion: v1\nkind: Service\nmetadata: {name: echo, namespace: default}\nspec:\n  clusterIP: 10.96.0.5\n  ports: [{name: http, port: 80}]\n',
    );
    s = await startHttp(consoleRoutes(new Router(), { mesh: () => mesh }), '127.0.0.1', 0, (e) => {
      throw e;
    });
  });
  after(() => s.close());

  it('serves the shell, the stylesheet and the vendored modules under the CSP, nothing else', async () => {
    const redirect = await get('/ui');
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), 'ui/');
    for (const [p, type] of [
      ['/ui/', 'text/html'],
      ['/ui/app.css', 'text/css'],
      ['/ui/vendor/preact.mjs', 'text/javascript'],
      ['/ui/vendor/htm.mjs', 'text/javascript'],
      ['/ui/app.js', 'text/javascript'],
    ] as const) {
      const r = await get(p);
      assert.equal(r.status, 200, p);
      assert.ok(r.headers.get('content-type')?.startsWith(type), `${p}: ${r.headers.get('content-type')}`);
      assert.equal(r.headers.get('content-security-policy'), CONSOLE_CSP, p);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.doesNotMatch(await r.text(), /from\s*["'](preact|htm)/, `${p}: bare imports left`);
    }
    for (const p of ['/ui/vendor/compat.mjs', '/ui/missing.js', '/ui/App.js', '/ui/vendor/preact.mjs.map'])
      assert.equal((await get(p)).status, 404, p);
  });

  it('answers the traffic view for a known host and a clear 404 for others', async () => {
    assert.deepEqual(await (await get('/ui/api/traffic')).json(), { hosts: ['echo.default.svc.cluster.local'] });
    assert.equal(
      ((await (await get('/ui/api/traffic?host=echo.default.svc.cluster.local')).json()) as { host: string }).host,
      'echo.default.svc.cluster.local',
    );
    const r = await get('/ui/api/traffic?host=nope');
    assert.equal(r.status, 404);
    assert.match(((await r.json()) as { error: string }).error, /no service "nope" in the registry/);
  });

  it('rewrites bare imports of preact, preact/hooks and htm only', () => {
    assert.equal(
      rewriteImports(
        `import{a}from"preact";import { b } from 'preact/hooks';import h from 'htm';import x from 'preact-x';\n//# sourceMappingURL=a.map`,
        './vendor/',
      ),
      `import{a}from"./vendor/preact.mjs";import { b } from './vendor/hooks.mjs';import h from './vendor/htm.mjs';import x from 'preact-x';\n`,
    );
  });
});
