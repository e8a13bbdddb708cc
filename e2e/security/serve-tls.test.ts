/**
 * `tspilot serve` with the secure-xDS flags, as a user runs it: the TLS port from PEM files
 * (--tls-cert/--tls-key/--tls-ca, e.g. from cert-manager), JWTs checked against --jwt-keys, the
 * plaintext port off. A proxy with a token gets config and shows its identity in /debug/syncz; a
 * refused one is in /debug/adsz and the auth-failure metric; replaced certificate files are used
 * for new connections without a restart; a broken flag set stops startup with a clear error.
 */
import { strict as assert } from 'node:assert';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { CDS } from '../../proto/typeurls.js';
import { fixtureYaml } from '../../server/xds/conformance/fixture.js';
import { rawAds, type RawAds } from '../adsclient.js';
import { configFolder, getJsonFrom, launchTspilot, LOCAL_FREE_PORTS, type TspilotProcess } from '../tspilot.js';
import { ISTIOD_SAN, testLeaf, testRoot, type TestRoot } from './testca.js';

const node = (name: string, ns: string) => ({
  id: `sidecar~10.0.0.9~${name}.${ns}~${ns}.svc.cluster.local`,
  cluster: 'Kubernetes',
  metadata: { NAMESPACE: ns },
  userAgentName: 'envoy',
  clientFeatures: [],
  locality: null,
});

describe('tspilot serve: TLS xDS from PEM files, JWT keys, no plaintext port', function () {
  this.timeout(90_000);
  let folder: Awaited<ReturnType<typeof configFolder>>;
  let p: TspilotProcess | undefined;
  let root: TestRoot;
  let token: string;
  let tlsPort = 0;
  let httpPort = 0;
  let monitoringPort = 0;
  const open: RawAds[] = [];
  const dial = (o: { token?: string; root?: string } = {}): RawAds => {
    const c = rawAds(`127.0.0.1:${tlsPort}`, undefined, {
      credentials: grpc.credentials.createSsl(Buffer.from(o.root ?? root.certPem)),
      channelOptions: { 'grpc.ssl_target_name_override': ISTIOD_SAN },
      metadata: o.token ? { authorization: `Bearer ${o.token}` } : {},
    });
    open.push(c);
    return c;
  };
  const writeServing = async (r: TestRoot): Promise<void> => {
    const leaf = await testLeaf(r, { dns: [ISTIOD_SAN] });
    // Replace each file atomically (rename), as Kubernetes Secret volumes and cert-manager do.
    for (const [f, text] of [
      ['tls.key', leaf.keyPem],
      ['tls.crt', leaf.certPem],
      ['ca.crt', r.certPem],
    ] as const) {
      await writeFile(path.join(folder.dir, `.${f}.tmp`), text);
      await rename(path.join(folder.dir, `.${f}.tmp`), path.join(folder.dir, 'certs', f));
    }
  };

  before(async () => {
    folder = await configFolder();
    await folder.write('mesh.yaml', fixtureYaml());
    await mkdir(path.join(folder.dir, 'certs'));
    root = await testRoot();
    await writeServing(root);
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    await writeFile(
      path.join(folder.dir, 'certs', 'jwks.json'),
      JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'a', alg: 'ES256' }] }),
    );
    token = await new SignJWT({ 'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'sleep' } } })
      .setProtectedHeader({ alg: 'ES256', kid: 'a' })
      .setAudience('istio-ca')
      .setExpirationTime('1h')
      .sign(privateKey);
    const certs = (f: string): string => path.join(folder.dir, 'certs', f);
    const launched = await launchTspilot(
      [
        '--config-dir',
        folder.dir,
        ...LOCAL_FREE_PORTS,
        '--xds-tls-port',
        '0',
        '--no-plaintext-xds',
        '--tls-cert',
        certs('tls.crt'),
        '--tls-key',
        certs('tls.key'),
        '--tls-ca',
        certs('ca.crt'),
        '--jwt-keys',
        certs('jwks.json'),
        '--log-level',
        'debug',
      ],
      (l) => l.msg === 'listening',
    );
    p = launched.process;
    tlsPort = launched.up['xdsTls'] as number;
    httpPort = launched.up['http'] as number;
    monitoringPort = launched.up['monitoring'] as number;
    assert.equal(launched.up['xds'], undefined);
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await p?.close();
    await folder?.cleanup();
  });

  it('serves a proxy with a valid token; syncz shows the identity; a refused proxy is in adsz and the metric', async () => {
    const c = dial({ token });
    c.send({ typeUrl: CDS, node: node('sleep-1', 'default') });
    assert.equal((await c.next()).type_url, CDS);
    const syncz = await getJsonFrom<{ proxy: string; identity: { spiffe: string[]; method: string } | null }[]>(httpPort, '/debug/syncz');
    const me = syncz.body.find((s) => s.proxy.includes('sleep-1.default'));
    assert.deepEqual(me?.identity?.spiffe, ['spiffe://cluster.local/ns/default/sa/sleep']);
    const bad = dial({ token });
    bad.send({ typeUrl: CDS, node: node('vault-0', 'secret') });
    assert.equal((await bad.status).code, grpc.status.PERMISSION_DENIED);
    const adsz = await getJsonFrom<{ refused: { proxy: string; code: string; message: string }[] }>(httpPort, '/debug/adsz');
    assert.ok(adsz.body.refused.some((r) => r.proxy.includes('vault-0.secret') && r.code === 'PERMISSION_DENIED'));
    const metrics = await getJsonFrom<string>(monitoringPort, '/metrics');
    assert.match(metrics.body, /tspilot_xds_auth_failures_total\{reason="permission_denied"\} 1/);
  });

  it('replaced certificate files are used for new connections without a restart; the open stream stays', async () => {
    const c = dial({ token });
    c.send({ typeUrl: CDS, node: node('steady', 'default') });
    await c.next();
    const next = await testRoot('next root');
    await writeServing(next);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const d = dial({ token, root: next.certPem });
      d.send({ typeUrl: CDS, node: node('after-rotation', 'default') });
      const ok = await d.next(2000).then(
        () => true,
        () => false,
      );
      d.close();
      if (ok) break;
      if (Date.now() > deadline) throw new Error('the new certificate was not picked up within 20 s');
    }
    const syncz = await getJsonFrom<{ proxy: string }[]>(httpPort, '/debug/syncz');
    assert.ok(syncz.body.some((s) => s.proxy.includes('steady.default')));
  });

  it('--no-plaintext-xds without TLS files, or an incomplete trio, stops startup with a clear error', async () => {
    for (const [args, re] of [
      [['--no-plaintext-xds'], /--no-plaintext-xds needs the TLS xDS port \(--xds-tls-port\) and its material/],
      [['--tls-cert', 'x.pem'], /--tls-cert, --tls-key and --tls-ca go together/],
    ] as const) {
      await assert.rejects(
        launchTspilot(
          ['--config-dir', folder.dir, '--bind', '127.0.0.1', '--xds-port', '0', '--monitoring-port', '0', '--http-port', '0', ...args],
          (l) => l.msg === 'listening',
        ),
        re,
      );
    }
  });
});
