/**
 * @module e2e/mesh-config.test
 * The real binary with `--mesh-config` (istio's mesh ConfigMap format) and the mesh-expansion VM
 * of issue #4: a raw ADS client connects as the VM's proxy (`sidecar~192.168.0.81~deb-nginx01…`,
 * labels in node metadata) and must get REGISTRY_ONLY's BlackHoleCluster catch-all, the inbound
 * chain for 9080 and the VM as the endpoint of deb-nginx01; a mesh config that cannot be used
 * stops the start with a message naming the file and field.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { configFolder, LOCAL_FREE_PORTS, REPO_ROOT, startTspilot, type Tspilot } from './tspilot.js';
import { rawAds } from './adsclient.js';
import { messageType } from '../proto/registry.js';
import { messageToProto3Json } from '../proto/json.js';

const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const VM_NODE = 'sidecar~192.168.0.81~deb-nginx01.default~default.svc.cluster.local';
const MESH = `apiVersion: v1
kind: Service
metadata: {name: deb-nginx01, namespace: default}
spec: {clusterIP: 10.96.30.81, selector: {app: deb-nginx01}, ports: [{name: http, port: 9080, targetPort: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: deb-nginx01-vm, namespace: default}
spec: {address: 192.168.0.81, labels: {app: deb-nginx01}, serviceAccount: deb-nginx01}
`;

type J = Record<string, unknown>;

describe('e2e --mesh-config and the mesh-expansion VM', function () {
  this.timeout(60_000);
  let folder: Awaited<ReturnType<typeof configFolder>>;
  let pilot: Tspilot;
  let meshConfig = '';

  before(async () => {
    folder = await configFolder();
    await folder.write('mesh.yaml', MESH);
    meshConfig = path.join(folder.dir, '..', `${path.basename(folder.dir)}-meshconfig.yaml`);
    await fs.writeFile(
      meshConfig,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    outboundTrafficPolicy:\n      mode: REGISTRY_ONLY\n',
    );
    pilot = await startTspilot(folder.dir, ['--mesh-config', meshConfig]);
  });
  after(async () => {
    await pilot?.close();
    await folder?.cleanup();
    if (meshConfig) await fs.rm(meshConfig, { force: true });
  });

  it('the VM proxy gets the REGISTRY_ONLY catch-all, inbound 9080 and itself as the endpoint of its service', async () => {
    const ads = rawAds(`127.0.0.1:${pilot.xdsPort}`);
    try {
      ads.send({
        typeUrl: LDS,
        node: {
          id: VM_NODE,
          cluster: '',
          metadata: { LABELS: { app: 'deb-nginx01' } },
          userAgentName: 'test',
          clientFeatures: [],
          locality: null,
        },
      });
      const lds = await ads.next(10_000);
      const t = messageType('envoy.config.listener.v3.Listener');
      const listeners = lds.resources.map((r) => messageToProto3Json(t, t.decode(r.value)) as J);
      const byName = new Map(listeners.map((l) => [l['name'] as string, l]));
      const vo = byName.get('virtualOutbound')!;
      // The tcp_proxy by name: istio.stats precedes it, as istiod.
      const catchall = ((vo['filterChains'] as J[])[0]!['filters'] as J[]).find((f) => f['name'] === 'envoy.filters.network.tcp_proxy')![
        'typedConfig'
      ] as J;
      assert.equal(catchall['cluster'], 'BlackHoleCluster');
      const chains = (byName.get('virtualInbound')!['filterChains'] as J[]).map((c) => c['name']);
      // PERMISSIVE (istiod's default): passthrough HTTP and TCP chains for mTLS and plaintext, then port 9080's mTLS and plaintext chains.
      assert.deepEqual(chains, [
        'virtualInbound-blackhole',
        'virtualInbound-catchall-http',
        'virtualInbound-catchall-http',
        'virtualInbound',
        'virtualInbound',
        'virtualInbound',
        '0.0.0.0_9080',
        '0.0.0.0_9080',
      ]);
      ads.send({ typeUrl: EDS, resourceNames: ['outbound|9080||deb-nginx01.default.svc.cluster.local'] });
      const eds = await ads.next(10_000);
      const c = messageType('envoy.config.endpoint.v3.ClusterLoadAssignment');
      const cla = messageToProto3Json(c, c.decode(eds.resources[0]!.value)) as J;
      assert.match(JSON.stringify(cla), /"address":"192\.168\.0\.81","portValue":9080/);
    } finally {
      ads.close();
    }
  });

  it('a mesh config with a bad field stops the start, naming the file and the field', async () => {
    const bad = path.join(folder.dir, '..', `${path.basename(folder.dir)}-bad-meshconfig.yaml`);
    await fs.writeFile(bad, 'connectTimeout: whenever\n');
    try {
      const r = spawnSync(
        process.execPath,
        [path.join(REPO_ROOT, 'dist/server/main.js'), 'serve', '--config-dir', folder.dir, '--mesh-config', bad, ...LOCAL_FREE_PORTS],
        { encoding: 'utf8', timeout: 20_000 },
      );
      assert.equal(r.status, 1);
      const fatal = (r.stdout + r.stderr)
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string })
        .find((l) => l.msg.startsWith('cannot start'));
      assert.match(fatal?.msg ?? '', /--mesh-config .*bad-meshconfig\.yaml: connectTimeout: "whenever" is not a duration/);
    } finally {
      await fs.rm(bad, { force: true });
    }
  });
});
