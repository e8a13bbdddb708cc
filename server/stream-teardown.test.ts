/**
 * A closed xDS stream leaves nothing behind: after SotW and Delta proxies disconnect, no table of
 * the server (the engine's connections and send queue, the class cache's leases, the observer's
 * per-stream maps, the NACK log, the push runner, debug views, metrics labels) still reaches the
 * stream's state. Checked the way a leak shows up — the closed streams' StreamState objects are
 * garbage-collectable — so it holds for tables added later too. In a reconnect storm 2,000 closing
 * streams overlap 2,000 new ones; anything a closed stream left behind would be paid twice.
 */
import { strict as assert } from 'node:assert';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from './serve.js';
import { inProcessServe, REPO_ROOT } from '../e2e/tspilot.js';
import { FleetClient } from '../e2e/fleet/client.js';
import * as grpc from '@grpc/grpc-js';
import type { WireNode } from '../proto/wire.js';

v8.setFlagsFromString('--expose-gc');
// `gc` exists in a fresh context once --expose-gc is set (the test process's own collector, to see what is collectable).
const gc = vm.runInNewContext('gc') as () => void;

const APPS = ['productpage', 'reviews', 'ratings', 'details'];

function node(i: number): WireNode {
  const app = APPS[i % APPS.length]!;
  return {
    id: `sidecar~10.9.0.${i}~${app}-v1-${i}.default~default.svc.cluster.local`,
    cluster: 'teardown-test',
    // Half the proxies send their own pod label, so some classes have a single stream (released on close).
    metadata: { NAMESPACE: 'default', LABELS: i % 2 ? { app, version: 'v1', pod: `p${i}` } : { app, version: 'v1' } },
    userAgentName: 'envoy',
    clientFeatures: [],
    locality: null,
  };
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('server: a closed stream leaves no state behind', function () {
  this.timeout(60_000);

  it('after SotW and Delta proxies disconnect, their stream states are collectable and every count is back to zero', async () => {
    const running = await serve(inProcessServe(path.join(REPO_ROOT, 'examples', 'bookinfo')));
    const clients: FleetClient[] = [];
    try {
      const address = `127.0.0.1:${running.xdsPort}`;
      for (let i = 0; i < 16; i++) clients.push(new FleetClient({ address, node: node(i), delta: i % 4 === 3 }));
      for (const c of clients) c.connect();
      await until('every proxy to hold its config', () => clients.every((c) => c.completeAt > 0));
      // A NACK too, so the NACK log and reject metrics hold something for a stream.
      const nacker = new FleetClient({ address, node: node(99), delta: false, nack: true });
      clients.push(nacker);
      nacker.connect();
      await until('the NACKing proxy to be served', () => nacker.arrivals.length > 0);

      // grpc-js keeps no channelz records of the xDS server and its connections (nothing serves channelz).
      const servers = await new Promise<unknown[]>((resolve, reject) =>
        grpc.getChannelzHandlers().GetServers(
          // The handler reads only `request` of its unary call.
          { request: { start_server_id: 0, max_results: 0 } } as unknown as Parameters<
            ReturnType<typeof grpc.getChannelzHandlers>['GetServers']
          >[0],
          (err, r) => (err ? reject(err) : resolve(r?.server ?? [])),
        ),
      );
      assert.deepEqual(servers, [], 'channelz records of the xDS server');

      const states = running.engine.streams();
      assert.equal(states.length, clients.length);
      const refs = states.map((s) => new WeakRef(s));
      states.length = 0;
      const pilotXds = async (): Promise<string> =>
        (await (await fetch(`http://127.0.0.1:${running.monitoringPort}/metrics`)).text())
          .split('\n')
          .filter((l) => l.startsWith('pilot_xds{'))
          .join('\n');
      assert.match(await pilotXds(), / 17$/m);

      for (const c of clients) c.stop();
      await until('the server to see every stream closed', () => running.engine.connectionCount() === 0);
      assert.equal(running.engine.pendingCount(), 0, 'responses still queued for closed streams');
      assert.equal(running.engine.subscribedNames(), 0, 'closed streams still counted in the subscribed names');
      assert.equal(await pilotXds(), '', 'pilot_xds still counts closed streams');
      // Let grpc-js finish its own teardown, then collect: nothing may still reach a closed stream's state.
      for (let k = 0; k < 10 && refs.some((r) => r.deref() !== undefined); k++) {
        await sleep(100);
        gc();
      }
      const kept = refs.map((r) => r.deref()).filter((s) => s !== undefined);
      assert.deepEqual(
        kept.map((s) => s.proxy.id),
        [],
        'closed streams still reachable from a server table',
      );
    } finally {
      for (const c of clients) c.stop();
      await running.close();
    }
  });
});
