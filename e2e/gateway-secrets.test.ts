/**
 * End to end on the real server in folder mode, plaintext port: pilot-agent's extra requests. The
 * DNS name table is served; a gateway asking for its credentialName secret over plaintext gets no
 * resource (no identity), one log line without key material, the SDS error metric counts it, and
 * its stream keeps serving everything else.
 */
import { strict as assert } from 'node:assert';
import { rawAds } from './adsclient.js';
import { configFolder, startTspilot, type Tspilot } from './tspilot.js';
import { CDS, LDS, NDS, SDS } from '../proto/typeurls.js';
import { messageType } from '../proto/registry.js';

import { b64, pem } from '../server/xds/conformance/secrets.js';

const MESH = `
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {clusterIP: 10.96.0.11, selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Secret
metadata: {name: gw-cert, namespace: istio-system}
type: kubernetes.io/tls
data: {tls.crt: ${b64(pem('gw-a.crt'))}, tls.key: ${b64(pem('gw-a.key'))}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: gw-cert}
`;

describe('e2e pilot-agent types on the plaintext port (NDS served, SDS refused)', function () {
  this.timeout(60_000);
  let folder: Awaited<ReturnType<typeof configFolder>>, pilot: Tspilot;
  before(async () => {
    folder = await configFolder();
    await folder.write('mesh.yaml', MESH);
    pilot = await startTspilot(folder.dir);
  });
  after(async () => {
    await pilot?.close();
    await folder?.cleanup();
  });

  it('a sidecar asking for NameTable gets one resource with the services it sees', async () => {
    const ads = rawAds(`127.0.0.1:${pilot.xdsPort}`);
    try {
      ads.send({
        node: {
          id: 'sidecar~10.0.0.1~app-1.default~default.svc.cluster.local',
          cluster: '',
          metadata: { NAMESPACE: 'default' },
          userAgentName: 'e2e',
          clientFeatures: [],
          locality: null,
        },
        typeUrl: NDS,
        resourceNames: [],
      });
      const r = await ads.next();
      assert.equal(r.type_url, NDS);
      assert.equal(r.resources.length, 1);
      const nt = messageType('istio.networking.nds.v1.NameTable');
      const t = (
        nt.toObject(nt.decode(r.resources[0]!.value), { arrays: true, objects: true }) as { table: Record<string, { ips: string[] }> }
      ).table;
      assert.deepEqual(t['reviews.default.svc.cluster.local']?.ips, ['10.96.0.11']);
    } finally {
      ads.close();
    }
  });

  it('a gateway asking for kubernetes://gw-cert over plaintext gets nothing, a log line and a metric; its stream goes on', async () => {
    const ads = rawAds(`127.0.0.1:${pilot.xdsPort}`);
    const since = pilot.logs.length;
    try {
      ads.send({
        node: {
          id: 'router~10.0.0.9~gw-1.istio-system~istio-system.svc.cluster.local',
          cluster: '',
          metadata: { NAMESPACE: 'istio-system', LABELS: { istio: 'ingressgateway' } },
          userAgentName: 'e2e',
          clientFeatures: [],
          locality: null,
        },
        typeUrl: SDS,
        resourceNames: ['kubernetes://gw-cert'],
      });
      const line = await pilot.waitForLog((l) => l.msg.startsWith('secrets not served'), 5000, since);
      assert.match(line.msg, /kubernetes:\/\/gw-cert: the stream has no authenticated identity/);
      ads.send({ typeUrl: LDS, resourceNames: [] });
      const lds = await ads.next();
      assert.equal(lds.type_url, LDS, 'the first response is LDS: no secret was sent');
      ads.send({ typeUrl: CDS, resourceNames: [] });
      assert.equal((await ads.next()).type_url, CDS);
      assert.ok(!ads.responses.some((r) => r.type_url === SDS));
      assert.ok(
        !pilot.logs.some((l) => JSON.stringify(l).includes('PRIVATE KEY') || JSON.stringify(l).includes(b64(pem('gw-a.key')).slice(0, 40))),
        'no key material in any log line',
      );
      const metrics = await (await fetch(`http://127.0.0.1:${pilot.monitoringPort}/metrics`)).text();
      assert.match(metrics, /^pilot_sds_certificate_errors_total 1$/m);
    } finally {
      ads.close();
    }
  });
});
