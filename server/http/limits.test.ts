/**
 * HTTP hygiene on every HTTP port (debug/REST router and the admission webhook): a client that
 * sends half a request header, or a header and then only part of its body, gets a 408 and its
 * connection closed after the configured timeout (not 30 s+ later); connections past the cap
 * are closed at once while the ones inside it are served.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { Router, startHttp, type HttpLimits } from './router.js';
import { startWebhook } from './webhook.js';

interface Probe {
  readonly closedAfterMs: Promise<number>;
  readonly data: () => string;
  destroy(): void;
}

function probe(port: number, send?: string): Probe {
  const t0 = Date.now();
  let data = '';
  const c = net.connect(port, '127.0.0.1', () => {
    if (send) c.write(send);
  });
  c.on('data', (d: Buffer) => {
    data += d.toString();
  });
  c.on('error', () => undefined);
  const closedAfterMs = new Promise<number>((resolve) => c.on('close', () => resolve(Date.now() - t0)));
  return { closedAfterMs, data: () => data, destroy: () => c.destroy() };
}

/** Resolves with the close time, or rejects if the connection is still open after `ms`. */
function closedWithin(p: Probe, ms: number, what: string): Promise<number> {
  return Promise.race([
    p.closedAfterMs,
    new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms)),
  ]);
}

const LIMITS: HttpLimits = { headersTimeoutMs: 400, requestTimeoutMs: 800, maxConnections: 3 };

const servers: { name: string; path: string; start: () => Promise<{ port: number; close(): Promise<void> }> }[] = [
  {
    name: 'router (debug/REST ports)',
    path: '/x',
    start: () =>
      startHttp(
        new Router().on('POST', '/x', () => ({ json: { ok: true } })).on('GET', '/x', () => ({ json: { ok: true } })),
        '127.0.0.1',
        0,
        () => undefined,
        LIMITS,
      ),
  },
  {
    name: 'admission webhook',
    path: '/validate',
    start: () => startWebhook({ bind: '127.0.0.1', port: 0, ready: () => true, onError: () => undefined, limits: LIMITS }),
  },
];

describe('server/http limits', () => {
  for (const s of servers) {
    describe(s.name, () => {
      let srv: { port: number; close(): Promise<void> } | undefined;
      const open: Probe[] = [];
      afterEach(async () => {
        for (const p of open.splice(0)) p.destroy();
        await srv?.close();
        srv = undefined;
      });

      it('closes a connection whose header never completes, and one whose body never completes, with 408', async () => {
        srv = await s.start();
        const header = probe(srv.port, `POST ${s.path} HTTP/1.1\r\nHost: x\r\n`);
        const body = probe(srv.port, `POST ${s.path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc`);
        open.push(header, body);
        const h = await closedWithin(header, 3000, 'partial header');
        const b = await closedWithin(body, 3000, 'partial body');
        assert.ok(h >= LIMITS.headersTimeoutMs - 50, `header timeout not before the limit (${h} ms)`);
        assert.ok(b >= LIMITS.requestTimeoutMs - 50, `request timeout not before the limit (${b} ms)`);
        assert.match(header.data(), /^HTTP\/1\.1 408/);
        assert.match(body.data(), /^HTTP\/1\.1 408/);
      });

      it('closes connections past the cap at once and keeps serving the others', async () => {
        srv = await s.start();
        const port = srv.port;
        const held = [probe(port), probe(port), probe(port)];
        open.push(...held);
        await new Promise((r) => setTimeout(r, 100));
        const extra = probe(port, `GET ${s.path} HTTP/1.1\r\nHost: x\r\n\r\n`);
        open.push(extra);
        const t = await closedWithin(extra, 300, 'a connection past the cap');
        assert.ok(t < 300);
        assert.equal(extra.data(), '', 'nothing served past the cap');
        for (const p of held) p.destroy();
        await new Promise((r) => setTimeout(r, 100));
        const res = await fetch(`http://127.0.0.1:${port}${s.path}`, { method: 'POST', body: '{}' });
        assert.ok(res.status === 200 || res.status === 400, `served again once under the cap (${res.status})`);
      });
    });
  }
});
