/**
 * End to end, issue #2 "bad input": broken files and invalid objects are rejected with a log line
 * naming file, object and reason while everything else keeps being served (last good wins); a
 * malformed node ID gets a clear gRPC error; a client NACK is logged with its detail and does not
 * start a resend loop.
 */
import { strict as assert } from 'node:assert';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { XdsClient } from './clients/driver.js';
import type { Tspilot, LogLine } from './tspilot.js';
import { DESTINATION_RULE, ECHO_TARGET, virtualServiceYaml } from './fixtures/echo-mesh.js';
import { echoRig, type EchoRig } from './fixtures/echo-rig.js';
import { rawAds } from './adsclient.js';
import { CDS, LDS } from '../proto/typeurls.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('e2e bad input', function () {
  this.timeout(120_000);
  let rig: EchoRig, folder: EchoRig['folder'], pilot: Tspilot, client: XdsClient;
  const nodeId = 'sidecar~127.0.0.1~bad-input.default~default.svc.cluster.local';
  let vsFile: string;

  before(async () => {
    rig = await echoRig('grpc-js', {
      workload: 'bad-input',
      files: { 'destination-rule.yaml': DESTINATION_RULE, 'virtual-service.yaml': virtualServiceYaml(0, 100) },
    });
    ({ folder, pilot, client } = rig);
    vsFile = path.join(folder.dir, 'virtual-service.yaml');
    assert.deepEqual(await client.rpc(ECHO_TARGET, 5), ['v2', 'v2', 'v2', 'v2', 'v2']);
  });

  after(() => rig?.close());

  async function expectRejected(yaml: string, field: RegExp, reason: RegExp): Promise<LogLine> {
    const since = pilot.logs.length;
    await folder.write('virtual-service.yaml', yaml);
    const line = await pilot.waitForLog(
      (l) => l.msg.startsWith('rejected VirtualService default/echo') && field.test(String(l['field'])),
      10_000,
      since,
    );
    assert.equal(line['file'], vsFile, 'the log line names the file');
    assert.match(String(line['reason']), reason);
    assert.match(line.msg, /last good version stays in force/);
    // The last good version (100% v2) is still what the client gets.
    assert.deepEqual(await client.rpc(ECHO_TARGET, 10), Array(10).fill('v2'));
    const { body } = await pilot.getJson<{ rejected: { key: string; field: string; reason: string }[] }>('/debug/configz');
    assert.ok(
      body.rejected.some((r) => r.key === 'VirtualService/default/echo' && field.test(r.field)),
      `configz lists the rejection: ${JSON.stringify(body.rejected)}`,
    );
    return line;
  }

  it('rejects weights that do not add up to 100 and keeps the last good routes', async () => {
    await expectRejected(virtualServiceYaml(70, 20), /^spec\.http\[1\]\.route$/, /add up to 100, got 90/);
  });

  it('rejects a route to an unknown subset, naming the subsets that exist', async () => {
    await expectRejected(
      virtualServiceYaml(0, 100).replace('subset: v2}\n      weight: 100', 'subset: v9}\n      weight: 100'),
      /destination\.subset$/,
      /unknown subset "v9".*defines v1, v2/,
    );
  });

  it('rejects a destination without a host', async () => {
    await expectRejected(
      virtualServiceYaml(0, 100).replace('{host: echo, subset: v2}\n      weight: 100', '{subset: v2}\n      weight: 100'),
      /destination\.host$/,
      /is required/,
    );
  });

  it('keeps serving when a file stops parsing, and names the file and line', async () => {
    const since = pilot.logs.length;
    await folder.write(
      'virtual-service.yaml',
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: echo\n  spec: [',
    );
    const line = await pilot.waitForLog(
      (l) => typeof l['file'] === 'string' && l['file'] === vsFile && /cannot read/.test(l.msg),
      10_000,
      since,
    );
    assert.match(String(line['reason']), /line \d+/);
    assert.deepEqual(await client.rpc(ECHO_TARGET, 10), Array(10).fill('v2'));
    // A fix is picked up again.
    await folder.write('virtual-service.yaml', virtualServiceYaml(100, 0));
    const r = await client.until(ECHO_TARGET, 'v1', { consecutive: 10, timeoutMs: 15_000 });
    assert.ok(r.ok, JSON.stringify(r));
  });

  it('answers a malformed node ID with INVALID_ARGUMENT and a message saying what is wrong', async () => {
    const ads = rawAds(`127.0.0.1:${pilot.xdsPort}`);
    ads.send({
      typeUrl: LDS,
      node: { id: 'not-a-node-id', cluster: '', metadata: {}, userAgentName: 'test', clientFeatures: [], locality: null },
    });
    const st = await ads.status;
    ads.close();
    assert.equal(st.code, grpc.status.INVALID_ARGUMENT);
    assert.match(st.details, /node id "not-a-node-id" must have 4 parts/);
    // the server is still fine for everyone else
    assert.deepEqual(await client.rpc(ECHO_TARGET, 3), ['v1', 'v1', 'v1']);
  });

  it('answers garbage bytes with INVALID_ARGUMENT, and a first request without node too', async () => {
    const client2 = new grpc.Client(`127.0.0.1:${pilot.xdsPort}`, grpc.credentials.createInsecure());
    const call = client2.makeBidiStreamRequest(
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    call.on('error', () => {});
    const st = new Promise<grpc.StatusObject>((r) => call.on('status', r));
    call.write(Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x01]));
    assert.equal((await st).code, grpc.status.INVALID_ARGUMENT);
    client2.close();
    const ads = rawAds(`127.0.0.1:${pilot.xdsPort}`);
    ads.send({ typeUrl: CDS });
    const s2 = await ads.status;
    ads.close();
    assert.equal(s2.code, grpc.status.INVALID_ARGUMENT);
    assert.match(s2.details, /must carry node/);
  });

  it('logs a client NACK with its error detail and does not resend in a loop', async () => {
    // grpc-js does not support MAGLEV: it NACKs the clusters of this rule.
    const since = pilot.logs.length;
    await folder.write(
      'destination-rule.yaml',
      DESTINATION_RULE.replace(
        'spec:\n  host: echo\n',
        'spec:\n  host: echo\n  trafficPolicy:\n    loadBalancer:\n      consistentHash:\n        httpHeaderName: x-user\n        maglev: {tableSize: 65537}\n',
      ),
    );
    const nack = await pilot.waitForLog((l) => /CDS NACK|cds NACK/.test(l.msg) && l['proxy'] === nodeId, 15_000, since);
    assert.match(String(nack['error']), /MAGLEV/);
    type Sync = { proxy: string; types: Record<string, { responses: number; nack: { error: string } | null }> };
    const sync = async (): Promise<Sync> => (await pilot.getJson<Sync[]>('/debug/syncz')).body.find((s) => s.proxy === nodeId)!;
    const first = await sync();
    assert.match(first.types['cds']!.nack?.error ?? '', /MAGLEV/);
    await sleep(1500);
    const later = await sync();
    assert.equal(later.types['cds']!.responses, first.types['cds']!.responses, 'no CDS resend after a NACK');
    // RPCs keep working on the last good clusters the client kept.
    assert.deepEqual(await client.rpc(ECHO_TARGET, 3), ['v1', 'v1', 'v1']);
  });
});
