/**
 * @module e2e/proxyless/rig
 * One proxyless security scenario, all real processes: a config folder with the `shop` workloads
 * and the test's policies, the tspilot process serving it (plaintext xDS, and the TLS port with its
 * mesh CA, which issues every workload's certificate as it would to pilot-agent), one xDS-enabled gRPC
 * server per workload (grpc-js-xds or C-core, with its own SPIFFE certificate and pilot-agent's
 * bootstrap, node labels as the pod's), and clients on demand — by kind and identity, where no
 * identity means a plaintext client (insecure channel credentials; its bootstrap still has the
 * certificate provider, as pilot-agent writes it, else it would reject clusters carrying TLS) and an
 * identity means xDS credentials with that service account's certificate. `close()` stops everything started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startXdsClient, type XdsClient, type XdsClientKind } from '../clients/driver.js';
import { configFolder, startTspilot, type Tspilot } from '../tspilot.js';
import { meshCaClient, proxylessBootstrap, tokenSigner } from './identity.js';
import { freePort, startXdsServer, type ServerKind, type XdsServerProcess } from './servers.js';
import { SHOP, workloadYaml } from './shop-mesh.js';

export interface Workload {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ProxylessRig {
  readonly pilot: Tspilot;
  readonly folder: Awaited<ReturnType<typeof configFolder>>;
  readonly servers: ReadonlyMap<string, XdsServerProcess>;
  /** A client of `kind`; `sa` = service account in shop whose certificate it presents (xDS credentials), null = plaintext. */
  client(kind: XdsClientKind, sa: string | null): Promise<XdsClient>;
  close(): Promise<void>;
}

export async function proxylessRig(
  serverKind: ServerKind,
  workloads: readonly Workload[],
  files: Readonly<Record<string, string>> = {},
): Promise<ProxylessRig> {
  const folder = await configFolder();
  const certDir = mkdtempSync(path.join(tmpdir(), 'tspilot-certs-'));
  const servers = new Map<string, XdsServerProcess>();
  const clients = new Map<string, Promise<XdsClient>>();
  let pilot: Tspilot | undefined;
  const close = async (): Promise<void> => {
    await Promise.all(
      [...clients.values()].map((c) =>
        c.then(
          (x) => x.close(),
          () => undefined,
        ),
      ),
    );
    await Promise.all([...servers.values()].map((s) => s.close()));
    await pilot?.close();
    await folder.cleanup();
    rmSync(certDir, { recursive: true, force: true });
  };
  try {
    const ports = new Map<string, number>();
    for (const w of workloads) {
      ports.set(w.name, await freePort());
      await folder.write(`${w.name}.yaml`, workloadYaml(w.name, ports.get(w.name)!, w.labels ?? {}));
    }
    for (const [name, text] of Object.entries(files)) await folder.write(name, text);
    const signer = await tokenSigner(certDir);
    const caState = path.join(certDir, 'ca-state');
    pilot = await startTspilot(folder.dir, [
      '--xds-tls-port',
      '0',
      '--jwt-keys',
      signer.jwksFile,
      '--ca-state-dir',
      caState,
      '--cacerts-dir',
      path.join(certDir, 'no-cacerts'),
    ]);
    const p = pilot;
    const ca = meshCaClient(p.xdsTlsPort!, caState, signer);
    for (const w of workloads) {
      const certs = await ca.issue(SHOP, w.name, path.join(certDir, w.name));
      const boot = proxylessBootstrap(p.xdsPort, {
        pod: `${w.name}-0`,
        namespace: SHOP,
        labels: { app: w.name, ...(w.labels ?? {}) },
        certs,
      });
      servers.set(w.name, await startXdsServer(serverKind, boot, w.name, ports.get(w.name)!));
    }
    const client = (kind: XdsClientKind, sa: string | null): Promise<XdsClient> => {
      const key = `${kind}/${sa ?? ''}`;
      let c = clients.get(key);
      if (!c) {
        c = (async () => {
          const pod = `${sa ?? 'plain'}-${kind}`;
          const certs = await ca.issue(SHOP, sa ?? 'plain', path.join(certDir, pod));
          const boot = proxylessBootstrap(p.xdsPort, { pod, namespace: SHOP, labels: { app: sa ?? 'plain' }, certs });
          return startXdsClient(kind, boot, { env: { XDS_CREDS: sa ? '1' : '0' } });
        })();
        clients.set(key, c);
      }
      return c;
    };
    return { pilot: p, folder, servers, client, close };
  } catch (e) {
    await close();
    throw e;
  }
}
