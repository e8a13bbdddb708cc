/**
 * End to end, issue #12 item 9: with `--max-connection-age`, tspilot closes an xDS connection
 * after that age (GOAWAY, then the grace), the real grpc-js-xds client reconnects by itself,
 * resubscribes and keeps routing — RPCs made across the reconnects all succeed, and a config edit
 * made after them still reaches it. This is what lets proxies spread over new replicas after a
 * scale-up instead of staying on the old ones forever.
 */
import { strict as assert } from 'node:assert';
import { DESTINATION_RULE, ECHO_TARGET, virtualServiceYaml } from './fixtures/echo-mesh.js';
import { echoRig, type EchoRig } from './fixtures/echo-rig.js';

describe('e2e xDS max connection age with the real grpc-js client', function () {
  this.timeout(120_000);
  let rig: EchoRig | undefined;
  after(() => rig?.close());

  it('closes the stream after the configured age; the client reconnects, resyncs and follows a later edit', async () => {
    rig = await echoRig('grpc-js', {
      workload: 'aged',
      tspilotArgs: ['--max-connection-age', '1500ms', '--max-connection-age-grace', '300ms'],
      files: { 'destination-rule.yaml': DESTINATION_RULE, 'virtual-service.yaml': virtualServiceYaml(100, 0) },
    });
    const r = rig;
    const first = await r.client.until(ECHO_TARGET, 'v1', { consecutive: 3, timeoutMs: 20_000 });
    assert.ok(first.ok, JSON.stringify(first));
    const connects = (): number => r.pilot.logs.filter((l) => l.msg === 'proxy connected' && l['proxy'] === r.nodeId).length;
    const t0 = Date.now();
    // RPCs keep flowing while the connection is aged out and re-established (at least twice).
    const results: string[] = [];
    while (connects() < 3 && Date.now() - t0 < 30_000) results.push(...(await r.client.rpc(ECHO_TARGET, 5)));
    assert.ok(connects() >= 3, `expected the client to reconnect after each age-out; connects: ${connects()}`);
    const disconnects = r.pilot.logs.filter((l) => l.msg === 'proxy disconnected' && l['proxy'] === r.nodeId).length;
    assert.ok(disconnects >= 2, `the old streams were closed (${disconnects})`);
    assert.deepEqual(
      [...new Set(results)],
      ['v1'],
      `every RPC across the reconnects succeeded: ${JSON.stringify(results.filter((x) => x !== 'v1').slice(0, 5))}`,
    );
    // Resynced: an edit made now reaches the client over its new stream.
    await r.folder.write('virtual-service.yaml', virtualServiceYaml(0, 100));
    const moved = await r.client.until(ECHO_TARGET, 'v2', { consecutive: 3, timeoutMs: 20_000 });
    assert.ok(moved.ok, JSON.stringify(moved));
    // One live stream for the node in syncz: the closed ones left nothing behind.
    const { body } = await r.pilot.getJson<{ proxy: string }[]>('/debug/syncz');
    assert.equal(body.filter((s) => s.proxy === r.nodeId).length, 1);
  });
});
