/**
 * End to end, issue #16 items 1 and 6: the web console and multi-replica views, in Debian's
 * Chromium driven by playwright-core (no downloaded browser), against two real tspilot processes
 * that know each other (`--peers`, each list including the process itself). A real grpc-js-xds
 * client on replica A NACKs a MAGLEV cluster with its own text; a raw gRPC ADS client on replica
 * B NACKs with an HTML payload. The console served by A lists both with their replica and NACK
 * text (the payload as text, no element, nothing run), opens the grpc proxy and shows a route's
 * provenance and explain, opens B's proxy through A, and draws the traffic graph. `tspilot
 * proxy-status --all-replicas` merges both replicas and names one that stops answering.
 * Screenshots go to a temporary folder; UPDATE_SCREENSHOTS=1 copies them to docs/img/.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startBackend, type Backend } from './clients/backend.js';
import { bootstrapFor, startXdsClient, type XdsClient } from './clients/driver.js';
import { configFolder, getJsonFrom, REPO_ROOT, startTspilot, type Tspilot } from './tspilot.js';
import { DESTINATION_RULE, ECHO_HOST, ECHO_TARGET, registryYaml, virtualServiceYaml } from './fixtures/echo-mesh.js';
import { rawAds, type RawAds } from './adsclient.js';
import { CDS } from '../proto/typeurls.js';

const CHROMIUM = '/usr/bin/chromium';
const MAIN = path.join(REPO_ROOT, 'dist', 'server', 'main.js');
const XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> cluster rejected';
const MAGLEV_DR = DESTINATION_RULE.replace(
  'spec:\n  host: echo\n',
  'spec:\n  host: echo\n  trafficPolicy:\n    loadBalancer:\n      consistentHash:\n        httpHeaderName: x-user\n        maglev: {tableSize: 65537}\n',
);

/** A port free right now (bound then released), so two processes can be told each other's address up front. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [MAIN, ...args], { timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

describe('e2e web console and multi-replica views (Chromium)', function () {
  this.timeout(180_000);
  let v1: Backend, v2: Backend, folder: Awaited<ReturnType<typeof configFolder>>;
  let a: Tspilot, b: Tspilot, client: XdsClient, sidecar: RawAds, browser: Browser, page: Page, shots: string;
  let labelA = '',
    labelB = '';
  const grpcNode = 'sidecar~127.0.0.1~console-grpc.default~default.svc.cluster.local';
  const sidecarNode = {
    id: 'sidecar~10.1.0.9~console-envoy.default~default.svc.cluster.local',
    cluster: '',
    metadata: {},
    userAgentName: 'test',
    clientFeatures: [],
    locality: null,
  };
  const ui = (hash: string): string => `http://127.0.0.1:${a.monitoringPort}/ui/${hash}`;
  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: path.join(shots, name) });
  };

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.warn(`    skipped: ${CHROMIUM} is absent (apt-get install chromium); the console's browser tests need Debian's Chromium`);
      this.skip();
    }
    shots = await mkdtemp(path.join(os.tmpdir(), 'tspilot-console-shots-'));
    v1 = await startBackend('v1');
    v2 = await startBackend('v2');
    folder = await configFolder();
    await folder.write('registry.yaml', registryYaml(v1.port, v2.port));
    await folder.write('destination-rule.yaml', DESTINATION_RULE);
    await folder.write('virtual-service.yaml', virtualServiceYaml(80, 20));
    const [pa, pb] = [await freePort(), await freePort()];
    const peers = `http://127.0.0.1:${pa},http://127.0.0.1:${pb}`;
    [a, b] = await Promise.all([
      startTspilot(folder.dir, ['--monitoring-port', String(pa), '--peers', peers]),
      startTspilot(folder.dir, ['--monitoring-port', String(pb), '--peers', peers]),
    ]);
    client = await startXdsClient('grpc-js', bootstrapFor(`127.0.0.1:${a.xdsPort}`, grpcNode, { GENERATOR: 'grpc', NAMESPACE: 'default' }));
    assert.equal((await client.rpc(ECHO_TARGET, 2)).length, 2);
    // grpc-js does not support MAGLEV: the real client NACKs the clusters with its own words.
    const since = a.logs.length;
    const sinceB = b.logs.length;
    await folder.write('destination-rule.yaml', MAGLEV_DR);
    await a.waitForLog((l) => /NACK/.test(l.msg) && l['proxy'] === grpcNode, 20_000, since);
    // Replica B has pushed the MAGLEV rule too (from `sinceB`: its start-up push also names DestinationRule),
    // so the raw client's first response is the last one and its NACK is not a stale nonce.
    await b.waitForLog((l) => l.msg === 'config pushed' && (l['kinds'] as string[]).includes('DestinationRule'), 20_000, sinceB);
    // A raw ADS client on replica B rejects its clusters with text a hostile client chose.
    sidecar = rawAds(`127.0.0.1:${b.xdsPort}`);
    sidecar.send({ typeUrl: CDS, node: sidecarNode, resourceNames: [] });
    const r = await sidecar.next(10_000);
    sidecar.send({
      typeUrl: CDS,
      node: sidecarNode,
      resourceNames: [],
      versionInfo: '',
      responseNonce: r.nonce,
      errorDetail: { code: 3, message: XSS },
    });
    await b.waitForLog((l) => /NACK/.test(l.msg) && l['proxy'] === sidecarNode.id, 15_000, 0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  });

  after(async () => {
    await page?.close();
    await browser?.close();
    sidecar?.close();
    await client?.close();
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([v1?.close(), v2?.close()]);
    await folder?.cleanup();
    if (process.env['UPDATE_SCREENSHOTS'] === '1' && shots) {
      const dest = path.join(REPO_ROOT, 'docs', 'img');
      await mkdir(dest, { recursive: true });
      for (const f of ['console-proxies.png', 'console-proxy.png', 'console-traffic.png', 'console-pushes.png'])
        await copyFile(path.join(shots, f), path.join(dest, f)).catch(() => undefined);
    }
    if (shots) await rm(shots, { recursive: true, force: true });
  });

  afterEach(async function () {
    // On failure, say what the page showed (the assertion alone rarely tells why).
    if (this.currentTest?.state === 'failed' && page)
      console.log(
        `    page at failure (${page.url()}):\n${(
          await page
            .locator('body')
            .innerText()
            .catch(() => '')
        ).slice(0, 3000)}`,
      );
  });

  it('every debug answer names the replica that gave it; the two replicas differ', async () => {
    const ra = await fetch(`http://127.0.0.1:${a.monitoringPort}/debug/syncz`);
    const rb = await fetch(`http://127.0.0.1:${b.httpPort}/debug/config_dump?proxyID=nobody.default`);
    labelA = ra.headers.get('x-tspilot-replica') ?? '';
    labelB = rb.headers.get('x-tspilot-replica') ?? '';
    assert.match(labelA, /^[^/]+\/[0-9a-f]{8}$/);
    assert.match(labelB, /^[^/]+\/[0-9a-f]{8}$/);
    assert.notEqual(labelA, labelB);
    assert.equal(rb.status, 404, 'errors carry the header too');
    assert.ok(Array.isArray(await ra.json()), '/debug/syncz keeps its list body (tools parse it)');
    const me = await getJsonFrom<{ label: string }>(a.httpPort, '/debug/replicaz');
    assert.equal(me.body.label, labelA, 'both ports of one process are one replica');
    assert.equal(
      (await getJsonFrom<{ replica: string }>(b.monitoringPort, '/debug/push_status')).body.replica,
      labelB,
      "tspilot's own bodies name it too",
    );
  });

  it('the console page forbids inline script and other origins, and serves its modules locally', async () => {
    const res = await fetch(ui(''));
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in the shell');
    assert.doesNotMatch(html, /https?:\/\//, 'no remote URL in the shell');
    const app = await (await fetch(ui('app.js'))).text();
    assert.match(app, /from '\.\/vendor\/preact\.mjs'/);
    const vendor = await fetch(ui('vendor/hooks.mjs'));
    assert.equal(vendor.status, 200);
    assert.match(await vendor.text(), /from"\.\/preact\.mjs"/);
    assert.equal((await fetch(ui('vendor/react.mjs'))).status, 404, 'only the three vendor modules are served');
    assert.equal((await fetch(ui('nope.js'))).status, 404);
  });

  it("lists the proxies of both replicas with their replica, NACK states and the clients' own NACK text — as text", async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(ui('#/proxies'));
    const grpcRow = page.locator('tr.proxy-row', { has: page.locator(`a[title="${grpcNode}"]`) });
    const envoyRow = page.locator('tr.proxy-row', { has: page.locator(`a[title="${sidecarNode.id}"]`) });
    await grpcRow.waitFor({ timeout: 15_000 });
    await envoyRow.waitFor({ timeout: 15_000 });
    assert.equal(await grpcRow.getAttribute('data-replica'), labelA);
    assert.equal(await envoyRow.getAttribute('data-replica'), labelB);
    assert.equal(await grpcRow.locator('[data-type=cds]').textContent(), 'NACKED');
    assert.equal(await grpcRow.locator('[data-type=rds]').textContent(), 'SYNCED');
    assert.match((await grpcRow.locator('.nack').textContent()) ?? '', /CDS NACKED .*MAGLEV/);
    assert.equal(await envoyRow.locator('[data-type=cds]').textContent(), 'NACKED');
    assert.equal(await envoyRow.locator('[data-type=lds]').textContent(), 'NOT SENT');
    const text = (await envoyRow.locator('.nack').textContent()) ?? '';
    assert.ok(text.includes(XSS), `the NACK text is shown verbatim: ${text}`);
    assert.equal(await page.locator('main img, main script').count(), 0, 'the payload made no element');
    assert.equal(await page.evaluate('window.__pwned === undefined'), true, 'nothing of the payload ran');
    await shot('console-proxies.png');
    assert.deepEqual(errors, []);
  });

  it('opens the grpc proxy: a route shows the VirtualService behind it, and explain names the rule', async () => {
    await page.locator(`a[title="${grpcNode}"]`).click();
    await page.locator('#resources').waitFor({ timeout: 15_000 });
    const row = page.locator('tr.resource-row', { hasText: 'jason' }).first();
    await row.waitFor({ timeout: 10_000 });
    assert.match((await row.locator('.prov').textContent()) ?? '', /^VirtualService default\/echo$/);
    assert.match((await row.textContent()) ?? '', /outbound\|9080\|v2\|echo\.default\.svc\.cluster\.local/);
    assert.match((await page.locator('#sync').textContent()) ?? '', /CDS NACKED.*RDS SYNCED.*CDS NACKED \(version [^)]+\): .*MAGLEV/);
    await row.locator('button.explain-btn').click();
    const out = row.locator('.explain');
    await out.waitFor({ timeout: 10_000 });
    assert.match((await out.textContent()) ?? '', /VirtualService default\/echo http\[0\]/);
    await shot('console-proxy.png');
    await page.locator('button[data-tab=clusters]').click();
    const cluster = page.locator('tr.resource-row', { hasText: 'outbound|9080|v1|' + ECHO_HOST });
    await cluster.waitFor({ timeout: 10_000 });
    assert.match((await cluster.locator('.prov').textContent()) ?? '', /DestinationRule default\/echo|Service default\/echo/);
  });

  it('opens a proxy connected to the other replica, through the replica serving the page', async () => {
    await page.goto(ui('#/proxies'));
    await page.locator(`a[title="${sidecarNode.id}"]`).click();
    await page.locator('button[data-tab=clusters]').click();
    const row = page.locator('tr.resource-row', { hasText: 'outbound|9080||' + ECHO_HOST });
    await row.waitFor({ timeout: 15_000 });
    assert.match((await page.locator('main h2').first().textContent()) ?? '', new RegExp(`on replica ${labelB.replace('/', '\\/')}`));
  });

  it('draws the traffic of a service: routes, weights, subsets and the DestinationRule policy', async () => {
    await page.goto(ui(`#/traffic/${ECHO_HOST}`));
    const g = page.locator('#traffic-graph');
    await g.waitFor({ timeout: 15_000 });
    const text = (await g.textContent()) ?? '';
    for (const want of [
      'default/echo http[0] "jason"',
      'header end-user = jason',
      '80%',
      '20%',
      '100%',
      'subset v1',
      'subset v2',
      'version=v2',
      'consistent hash (MAGLEV) on header x-user',
    ]) {
      assert.ok(text.includes(want), `graph lacks "${want}": ${text}`);
    }
    await shot('console-traffic.png');
    await page.goto(ui('#/pushes'));
    await page.locator('#pushes tbody tr').first().waitFor({ timeout: 10_000 });
    assert.match((await page.locator('#pushes tbody tr').first().textContent()) ?? '', /DestinationRule/);
    await shot('console-pushes.png');
    // An object whose name is markup: rejected, and its name shown as text in the config view.
    await folder.write(
      'hostile.yaml',
      `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: '<img src=x onerror="window.__pwned=3">'\n  namespace: default\nspec:\n  hosts: [echo]\n  http:\n  - route: [{destination: {host: echo}}]\n`,
    );
    await page.goto(ui('#/config'));
    const rejected = page.locator('#rejected tbody tr');
    await rejected.first().waitFor({ timeout: 15_000 });
    assert.match(
      (await rejected.first().textContent()) ?? '',
      /VirtualService default\/<img src=x onerror="window\.__pwned=3">.*metadata\.name.*not a valid DNS-1123/,
    );
    assert.equal(await page.locator('main img').count(), 0);
    assert.equal(await page.evaluate('window.__pwned === undefined'), true);
    await page.locator('#config-filter').fill('VirtualService/');
    assert.deepEqual(
      await page.locator('#objects tbody tr td:first-child').allTextContents(),
      ['VirtualService/default/echo'],
      'the objects in force, filtered',
    );
    for (const f of ['console-proxies.png', 'console-proxy.png', 'console-traffic.png'])
      assert.ok((await stat(path.join(shots, f))).size > 5000, f);
  });

  it('proxy-status --all-replicas merges both replicas, each proxy with its replica (ISTIOD), and names one that stops answering', async () => {
    const r = await cli('proxy-status', '--all-replicas', '--server', `http://127.0.0.1:${b.monitoringPort}`);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    // istioctl's ISTIOD column names each proxy's replica in the merged view.
    assert.match(lines[0]!, /^NAME\s.*\sISTIOD\s/);
    assert.ok(lines.find((l) => l.startsWith('console-grpc.default '))?.includes(` ${labelA}`), r.stdout);
    assert.ok(lines.find((l) => l.startsWith('console-envoy.default '))?.includes(` ${labelB}`), r.stdout);
    assert.match(r.stdout, /console-envoy\.default CDS NACKED .*<img src=x/);
    const single = await cli('proxy-status', '--server', `http://127.0.0.1:${b.monitoringPort}`);
    assert.doesNotMatch(single.stdout, /console-grpc/, 'without --all-replicas: this replica only');
    await b.close();
    const down = await cli('proxy-status', '--all-replicas', '--server', `http://127.0.0.1:${a.monitoringPort}`);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /^console-grpc\.default\s/m);
    assert.match(down.stdout, /replica http:\/\/127\.0\.0\.1:\d+ did not answer: cannot reach/);
  });
});
