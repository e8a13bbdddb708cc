// Contract: proves the real-xDS-client harness (backend.ts, driver.ts, js_xds_client.ts,
// py_xds_client.py) works WITHOUT a control plane: both client kinds reach real gRPC backends via
// plain 127.0.0.1:<port> targets, report failures as "error:<CODE>:<details>", fail fast (no hang)
// on a missing bootstrap or a bad target, and never leave a child process behind.
import assert from 'node:assert/strict';
import { startBackend, type Backend } from './backend.js';
import { bootstrapFor, startXdsClient, type XdsClient, type XdsClientKind } from './driver.js';

const KINDS: XdsClientKind[] = ['grpc-js', 'c-core'];
// Nothing listens on the xDS server: these tests never use xds:/// with a working bootstrap.
const BOOTSTRAP = bootstrapFor('127.0.0.1:1', 'sidecar~127.0.0.1~harness-test.default~default.svc.cluster.local', {
  GENERATOR: 'grpc',
  NAMESPACE: 'default',
});

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('e2e/clients harness (no control plane)', () => {
  let v1: Backend;
  let v2: Backend;
  let closedPort: number;

  before(async () => {
    v1 = await startBackend('v1');
    v2 = await startBackend('v2');
    const gone = await startBackend('gone');
    closedPort = gone.port;
    await gone.close();
  });

  after(async () => {
    await v1?.close();
    await v2?.close();
  });

  it('bootstrapFor builds the shape both libraries accept', () => {
    assert.deepEqual(bootstrapFor('127.0.0.1:15010', 'n1', { A: 1 }), {
      xds_servers: [{ server_uri: '127.0.0.1:15010', channel_creds: [{ type: 'insecure' }], server_features: [] }],
      node: { id: 'n1', locality: {}, metadata: { A: 1 } },
    });
  });

  for (const kind of KINDS) {
    describe(kind, () => {
      let client: XdsClient;

      before(async () => {
        client = await startXdsClient(kind, BOOTSTRAP);
      });

      after(async () => {
        await client?.close();
      });

      afterEach(function () {
        if (this.currentTest?.state === 'failed') console.error(`--- ${kind} stderr ---\n${client?.stderrTail()}`);
      });

      it('rpc returns the backend name of each plain target', async () => {
        assert.deepEqual(await client.rpc(`127.0.0.1:${v1.port}`, 5), Array(5).fill('v1'));
        assert.deepEqual(await client.rpc(`127.0.0.1:${v2.port}`, 5, { 'end-user': 'jason' }), Array(5).fill('v2'));
        assert.deepEqual(await client.rpc(`ipv4:///127.0.0.1:${v1.port}`, 2), ['v1', 'v1']);
      });

      it('until succeeds and firstAtMs lies inside the call', async () => {
        const t0 = Date.now();
        const res = await client.until(`127.0.0.1:${v2.port}`, 'v2', { consecutive: 10, intervalMs: 1 });
        const t1 = Date.now();
        assert.ok(res.ok, JSON.stringify(res));
        assert.ok(Number.isInteger(res.firstAtMs), `firstAtMs ${res.firstAtMs}`);
        assert.ok(res.firstAtMs >= t0 - 5 && res.firstAtMs <= t1, `firstAtMs ${res.firstAtMs} not in [${t0}, ${t1}]`);
        assert.ok(res.rpcs >= 10, `rpcs ${res.rpcs}`);
      });

      it('until times out with the last results when the expectation never holds', async () => {
        const t0 = Date.now();
        const res = await client.until(`127.0.0.1:${v1.port}`, 'v2', { timeoutMs: 400, intervalMs: 2 });
        assert.ok(Date.now() - t0 < 3000, 'until overran its timeout');
        assert.equal(res.ok, false);
        if (res.ok) return;
        assert.equal(res.error, 'timeout');
        assert.ok(res.last.length > 0 && res.last.length <= 10, JSON.stringify(res.last));
        assert.ok(
          res.last.every((r) => r === 'v1'),
          JSON.stringify(res.last),
        );
      });

      it('an RPC to a closed port is error:UNAVAILABLE', async () => {
        const [r] = await client.rpc(`127.0.0.1:${closedPort}`, 1, {}, { deadlineMs: 3000 });
        assert.match(r!, /^error:UNAVAILABLE:./);
      });

      it('a bad target fails fast instead of hanging', async () => {
        const t0 = Date.now();
        const [r] = await client.rpc('xds://no-such-authority/svc', 1, {}, { deadlineMs: 4000 });
        assert.match(r!, /^error:UNAVAILABLE:.*authority/i);
        await assert.rejects(client.rpc('', 1), /target must be a non-empty string/);
        assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
        // The client is still usable after a command error.
        assert.deepEqual(await client.rpc(`127.0.0.1:${v1.port}`, 1), ['v1']);
      });

      it('a missing bootstrap fails xds:/// RPCs fast with a clear error', async () => {
        const broken = await startXdsClient(kind, BOOTSTRAP, { env: { GRPC_XDS_BOOTSTRAP: '/nonexistent/bootstrap.json' } });
        try {
          const t0 = Date.now();
          const [r] = await broken.rpc('xds:///svc.default.svc.cluster.local:9080', 1, {}, { deadlineMs: 4000 });
          assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
          assert.match(r!, /^error:UNAVAILABLE:.*(bootstrap|Failed to load file)/i);
        } finally {
          await broken.close();
        }
      });

      it('startup failure rejects with the stderr tail instead of hanging', async () => {
        const env: Record<string, string> =
          kind === 'grpc-js' ? { NODE_OPTIONS: '--require /nonexistent/preload.cjs' } : { PYTHONHOME: '/nonexistent' };
        await assert.rejects(
          startXdsClient(kind, BOOTSTRAP, { env, startTimeoutMs: 15_000 }),
          (err: Error) => /startup failed: client exited/.test(err.message) && /stderr tail ---\n./.test(err.message),
        );
      });

      it('close() kills a hung client and leaves no process', async () => {
        const hung = await startXdsClient(kind, BOOTSTRAP);
        process.kill(hung.pid, 'SIGSTOP');
        const t0 = Date.now();
        await hung.close();
        assert.ok(Date.now() - t0 < 10_000);
        assert.equal((await hung.exited).signal, 'SIGKILL');
        assert.ok(isGone(hung.pid), 'child still exists');
      });

      it('close() ends the process cleanly and later calls reject', async () => {
        const pid = client.pid;
        await client.close();
        const exit = await client.exited;
        assert.deepEqual(exit, { code: 0, signal: null });
        assert.ok(isGone(pid), 'child still exists');
        await client.close(); // idempotent
        await assert.rejects(client.rpc(`127.0.0.1:${v1.port}`, 1), /closed|exited/);
      });
    });
  }
});
