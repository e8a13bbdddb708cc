/**
 * `tspilot serve` with the CA on (ServeOptions.ca, set by the CLI when the TLS port is): the CA is
 * started from the flags' folders, exposed on the running server for the TLS port, and its
 * metrics (root expiry) appear on /metrics of the monitoring port.
 */
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { serve } from '../serve.js';
import { inProcessServe, REPO_ROOT } from '../../e2e/tspilot.js';
import { rmDir, tempDir } from './testkit.js';

describe('serve with the mesh CA', function () {
  this.timeout(30_000);
  it('starts the CA from the flags and reports citadel_server_root_cert_expiry_timestamp', async () => {
    const dir = tempDir();
    const s = await serve({
      ...inProcessServe(path.join(REPO_ROOT, 'examples', 'bookinfo')),
      ca: {
        cacertsDir: path.join(dir, 'none'),
        caStateDir: path.join(dir, 'state'),
        tlsDnsNames: ['tspilot', 'pilot.example.com'],
        workloadCertTtl: 3600,
        maxWorkloadCertTtl: 7200,
      },
    });
    try {
      assert.ok(s.ca, 'the running server exposes the CA');
      const leaf = new X509Certificate(s.ca.serving().certChainPem);
      assert.ok(leaf.subjectAltName?.includes('DNS:pilot.example.com'));
      assert.ok(leaf.subjectAltName?.includes('DNS:istiod.istio-system.svc'));
      const text = await (await fetch(`http://127.0.0.1:${s.monitoringPort}/metrics`)).text();
      const expiry = Number(/^citadel_server_root_cert_expiry_timestamp (\S+)$/m.exec(text)?.[1]);
      assert.equal(expiry, Math.floor(Date.parse(new X509Certificate(s.ca.roots()[0]!).validTo) / 1000));
    } finally {
      await s.close();
      rmDir(dir);
    }
  });
});
