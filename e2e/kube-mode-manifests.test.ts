/**
 * Issue #5, deploy/: parses every manifest and the Dockerfile and checks they agree with each
 * other (names, labels, selectors, ports, volumes, RBAC subjects) and with the server itself: port
 * numbers come from server/defaults.ts, the webhook path from the webhook, the flags from
 * `tspilot serve --help`, and the RBAC must grant exactly the resources watchers/kube lists.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_ISTIO_NAMESPACE, DEFAULT_PORTS } from '../server/defaults.js';
import { VALIDATE_PATH } from '../server/http/webhook.js';
import { REFERENCED_CONFIGMAPS, WATCHED_RESOURCES, WATCH_VERBS } from '../watchers/kube/resources.js';
import { CA_CLUSTER_RULES, CA_NAMESPACE_RULES } from '../server/ca/rbac.js';
import { GATEWAY_STATUS_CLUSTER_RULES, GATEWAY_STATUS_NAMESPACE_RULES } from '../server/gwstatus/rbac.js';
import { REPO_ROOT } from './tspilot.js';

// Manifests are untyped YAML; the checks below navigate them field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped YAML documents
type Doc = any;

const DEPLOY = path.join(REPO_ROOT, 'deploy');
const BASE = path.join(DEPLOY, 'base');

function docsOf(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of docs)
    assert.deepEqual(
      d.errors.map((e) => e.message),
      [],
      `${file} parses`,
    );
  return docs.map((d) => d.toJS() as Doc).filter((d) => d);
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

describe('deploy/ manifests agree with each other and with the server', () => {
  const kustomization = docsOf(path.join(BASE, 'kustomization.yaml'))[0];
  const docs: Doc[] = (kustomization.resources as string[]).flatMap((f) => docsOf(path.join(BASE, f)));
  const find = (kind: string, name?: string): Doc[] =>
    docs.filter((d) => d.kind === kind && (name === undefined || d.metadata?.name === name));
  const one = (kind: string, name?: string): Doc => {
    const all = find(kind, name);
    assert.equal(all.length, 1, `exactly one ${kind}${name ? ' ' + name : ''}`);
    return all[0];
  };
  const deployment = one('Deployment');
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];
  const containerPorts: { name: string; containerPort: number }[] = container.ports;
  const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
    Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

  it('kustomize base lists every file in deploy/base and nothing else; every YAML under deploy/ parses', () => {
    const files = readdirSync(BASE).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    assert.deepEqual(sorted(kustomization.resources), sorted(files));
    const overlay = path.join(DEPLOY, 'overlays', 'next-to-istiod');
    for (const f of readdirSync(overlay)) docsOf(path.join(overlay, f));
    assert.equal(kustomization.namespace, DEFAULT_ISTIO_NAMESPACE);
    for (const d of docs) {
      const namespaced = !['ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration'].includes(d.kind);
      assert.equal(d.metadata.namespace, namespaced ? DEFAULT_ISTIO_NAMESPACE : undefined, `${d.kind} ${d.metadata.name} namespace`);
    }
  });

  it('RBAC grants exactly get/list/watch on exactly the resources the watchers list (ConfigMaps cluster-wide for BackendTLSPolicy CA refs)', () => {
    const grants = (rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[]): string[] =>
      rules.flatMap((r) => {
        assert.deepEqual(sorted(r.verbs), sorted(WATCH_VERBS), 'verbs');
        return r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`));
      });
    const cluster = grants(one('ClusterRole', 'tspilot').rules);
    const ns = grants(one('Role', 'tspilot').rules);
    const want = (pred: (r: (typeof WATCHED_RESOURCES)[number]) => boolean) =>
      sorted(WATCHED_RESOURCES.filter(pred).map((r) => `${r.group}/${r.resource}`));
    assert.deepEqual(
      sorted(cluster),
      sorted([...want((r) => r.only === undefined), `${REFERENCED_CONFIGMAPS.group}/${REFERENCED_CONFIGMAPS.resource}`]),
    );
    assert.deepEqual(
      sorted(ns),
      want((r) => r.only !== undefined),
    );
    assert.equal(new Set(cluster).size, cluster.length, 'no resource granted twice');
    const sa = one('ServiceAccount');
    assert.equal(pod.spec.serviceAccountName, sa.metadata.name);
    for (const name of ['tspilot', 'tspilot-ca']) {
      for (const [binding, role] of [
        ['ClusterRoleBinding', 'ClusterRole'],
        ['RoleBinding', 'Role'],
      ] as const) {
        const b = one(binding, name);
        assert.equal(b.roleRef.kind, role);
        assert.equal(b.roleRef.name, one(role, name).metadata.name);
        assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: DEFAULT_ISTIO_NAMESPACE }]);
      }
    }
  });

  it("the CA's RBAC is exactly server/ca/rbac.ts: ConfigMaps cluster-wide, its Secrets by name and the election Lease in istio-system", () => {
    const norm = (
      rules: readonly {
        apiGroups: readonly string[];
        resources: readonly string[];
        resourceNames?: readonly string[];
        verbs: readonly string[];
      }[],
    ): string[] =>
      rules.map((r) => JSON.stringify([sorted(r.apiGroups), sorted(r.resources), sorted(r.resourceNames ?? []), sorted(r.verbs)])).sort();
    assert.deepEqual(norm(one('ClusterRole', 'tspilot-ca').rules), norm(CA_CLUSTER_RULES));
    assert.deepEqual(norm(one('Role', 'tspilot-ca').rules), norm(CA_NAMESPACE_RULES));
    for (const r of one('Role', 'tspilot-ca').rules as { resources: string[]; resourceNames?: string[]; verbs: string[] }[]) {
      if (r.resources.includes('secrets'))
        assert.ok(r.resourceNames?.length || sorted(r.verbs).join() === 'create', 'Secrets are read only by name');
      assert.ok(!r.verbs.includes('list') && !r.verbs.includes('delete'), 'no list or delete in the namespace');
    }
  });

  it("the Gateway API status writer's RBAC is exactly server/gwstatus/rbac.ts: update on /status subresources only, its Lease by name", () => {
    const norm = (
      rules: readonly {
        apiGroups: readonly string[];
        resources: readonly string[];
        resourceNames?: readonly string[];
        verbs: readonly string[];
      }[],
    ): string[] =>
      rules.map((r) => JSON.stringify([sorted(r.apiGroups), sorted(r.resources), sorted(r.resourceNames ?? []), sorted(r.verbs)])).sort();
    assert.deepEqual(norm(one('ClusterRole', 'tspilot-gateway-status').rules), norm(GATEWAY_STATUS_CLUSTER_RULES));
    assert.deepEqual(norm(one('Role', 'tspilot-gateway-status').rules), norm(GATEWAY_STATUS_NAMESPACE_RULES));
    for (const r of GATEWAY_STATUS_CLUSTER_RULES)
      assert.ok(
        r.resources.every((x) => x.endsWith('/status')),
        'never the objects themselves',
      );
  });

  it('Deployment: 2 replicas, readiness on /ready, requests, hardened securityContext, ports from the server defaults', () => {
    assert.equal(deployment.spec.replicas, 2);
    assert.ok(matches(deployment.spec.selector.matchLabels, pod.metadata.labels), 'selector matches the pod template');
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/ready', port: DEFAULT_PORTS.http });
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory, 'resource requests');
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    assert.deepEqual(
      sorted(containerPorts.map((p) => String(p.containerPort))),
      sorted([DEFAULT_PORTS.xds, DEFAULT_PORTS.xdsTls, DEFAULT_PORTS.monitoring, DEFAULT_PORTS.webhook, DEFAULT_PORTS.http].map(String)),
    );
    assert.equal(container.livenessProbe.tcpSocket.port, DEFAULT_PORTS.monitoring);
    // Prometheus' kubernetes-pods job finds /metrics through the pod's scrape annotations (istiod's).
    assert.deepEqual(
      [
        pod.metadata.annotations['prometheus.io/scrape'],
        pod.metadata.annotations['prometheus.io/port'],
        pod.metadata.annotations['prometheus.io/path'],
      ],
      ['true', String(DEFAULT_PORTS.monitoring), '/metrics'],
    );
    const pdb = one('PodDisruptionBudget');
    assert.ok(matches(pdb.spec.selector.matchLabels, pod.metadata.labels), 'PDB selects the pods');
    assert.ok(pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < deployment.spec.replicas, 'PDB lets one replica at a time go');
  });

  it('container args are real `tspilot serve` flags and name files on mounted volumes', () => {
    const help = execFileSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'server', 'main.js'), 'serve', '--help'], {
      encoding: 'utf8',
    });
    assert.equal(container.args[0], 'serve');
    const mounts: { name: string; mountPath: string }[] = container.volumeMounts;
    const volumes = new Set((pod.spec.volumes as { name: string }[]).map((v) => v.name));
    for (const m of mounts) assert.ok(volumes.has(m.name), `volume ${m.name} exists`);
    for (const a of container.args.slice(1) as string[]) {
      const [flag, value] = a.split('=');
      assert.ok(help.includes(`${flag} `), `${flag} is a serve flag`);
      assert.equal(flag === '--config-dir' || flag === '--kubeconfig', false, 'in a pod the service account is used');
      if (value?.startsWith('/'))
        assert.ok(
          mounts.some((m) => value.startsWith(m.mountPath + '/')),
          `${value} is on a mounted volume`,
        );
    }
  });

  it('Services istiod and istio-pilot select the pods and expose 15010/15012/15014/15017/8080 onto real container ports', () => {
    for (const name of ['istiod', 'istio-pilot']) {
      const svc = one('Service', name);
      assert.ok(matches(svc.spec.selector, pod.metadata.labels), `${name} selects the pods`);
      const ports: { name: string; port: number; targetPort: string | number }[] = svc.spec.ports;
      for (const p of [DEFAULT_PORTS.xds, DEFAULT_PORTS.xdsTls, DEFAULT_PORTS.monitoring, DEFAULT_PORTS.webhook, DEFAULT_PORTS.http]) {
        assert.ok(
          ports.some((x) => x.port === p),
          `${name} exposes ${p}`,
        );
      }
      for (const p of ports) {
        const target = containerPorts.find((c) => c.name === p.targetPort || c.containerPort === p.targetPort);
        assert.ok(target, `${name}:${p.port} → ${p.targetPort} is a container port`);
        // istio-pilot's legacy 15011 (Istio 1.0's mTLS xDS) is served by the TLS port.
        assert.equal(
          target.containerPort,
          p.port === 15011 ? DEFAULT_PORTS.xdsTls : p.port,
          `${name}:${p.port} keeps istiod's number inside the pod`,
        );
      }
    }
    assert.ok(
      one('Service', 'istio-pilot').spec.ports.some((p: { port: number }) => p.port === 15011),
      'istio-pilot keeps the old 15011 name',
    );
  });

  it('ValidatingWebhookConfiguration targets a Service port that reaches the webhook, for exactly the Istio kinds', () => {
    const hook = one('ValidatingWebhookConfiguration').webhooks[0];
    const ref = hook.clientConfig.service;
    assert.equal(ref.path, VALIDATE_PATH);
    assert.equal(ref.namespace, DEFAULT_ISTIO_NAMESPACE);
    const svc = one('Service', ref.name);
    const sp = svc.spec.ports.find((p: { port: number }) => p.port === ref.port);
    assert.ok(sp, 'the webhook port is on the Service');
    const target = containerPorts.find((c) => c.name === sp.targetPort || c.containerPort === sp.targetPort);
    assert.equal(target?.containerPort, DEFAULT_PORTS.webhook);
    assert.deepEqual(hook.admissionReviewVersions, ['v1']);
    const istio = WATCHED_RESOURCES.filter((r) => r.group.endsWith('.istio.io'));
    const validated = hook.rules.flatMap((r: { apiGroups: string[]; resources: string[] }) =>
      r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`)),
    );
    assert.deepEqual(sorted(validated), sorted(istio.map((r) => `${r.group}/${r.resource}`)));
  });

  it("the next-to-istiod overlay keeps istiod's Services and points the webhook at its own Service", () => {
    const dir = path.join(DEPLOY, 'overlays', 'next-to-istiod');
    const k = docsOf(path.join(dir, 'kustomization.yaml'))[0];
    const svc = docsOf(path.join(dir, 'service.yaml'))[0];
    assert.ok(matches(svc.spec.selector, pod.metadata.labels));
    assert.ok(k.patches.some((p: { patch: string }) => p.patch.includes('$patch: delete') && p.patch.includes('name: istiod')));
    assert.ok(k.patches.some((p: { patch: string }) => p.patch.includes('$patch: delete') && p.patch.includes('name: istio-pilot')));
    assert.ok(
      k.patches.some(
        (p: { patch: string }) =>
          p.patch.includes('/webhooks/0/clientConfig/service/name') && p.patch.includes(`value: ${svc.metadata.name}`),
      ),
    );
  });

  it('kustomize renders the base and the overlay as intended (needs kubectl; skipped without it)', function () {
    let kubectl = true;
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    } catch {
      kubectl = false;
    }
    if (!kubectl) this.skip();
    const render = (dir: string): Doc[] =>
      parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })).map((d) => d.toJS() as Doc);
    const base = render(BASE);
    assert.deepEqual(sorted(base.map((d) => `${d.kind}/${d.metadata.name}`)), sorted(docs.map((d) => `${d.kind}/${d.metadata.name}`)));
    assert.ok(
      base.every((d) => d.metadata.labels?.['app.kubernetes.io/name'] === 'tspilot'),
      'common labels',
    );
    const overlay = render(path.join(DEPLOY, 'overlays', 'next-to-istiod'));
    const services = overlay.filter((d) => d.kind === 'Service').map((d) => d.metadata.name);
    assert.deepEqual(services, ['tspilot'], "istiod's own Services are left alone");
    assert.equal(overlay.find((d) => d.kind === 'ValidatingWebhookConfiguration').webhooks[0].clientConfig.service.name, 'tspilot');
    assert.equal(overlay.find((d) => d.kind === 'Deployment').spec.template.spec.containers[0].image, 'tspilot:0.1.0');
    const overlayArgs: string[] = overlay.find((d) => d.kind === 'Deployment').spec.template.spec.containers[0].args;
    assert.ok(
      overlayArgs.includes('--xds-tls-port=15012') && overlayArgs.includes('--no-root-cert-configmaps'),
      "next to istiod: TLS xDS from istiod's root, istiod keeps writing the root ConfigMaps",
    );
    const help = execFileSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'server', 'main.js'), 'serve', '--help'], {
      encoding: 'utf8',
    });
    for (const a of overlayArgs.slice(1)) assert.ok(help.includes(`${a.split('=')[0]!} `), `${a} is a serve flag`);
  });

  it('Dockerfile: multi-stage on node:22-slim, numeric non-root user matching runAsUser, exposes the served ports', () => {
    const text = readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8');
    const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    assert.ok(froms.length >= 2, 'multi-stage');
    for (const f of froms) assert.equal(f, 'node:22-slim');
    const user = /^USER\s+(\d+)(?::(\d+))?/m.exec(text);
    assert.ok(user && user[1] !== '0', 'numeric non-root USER');
    assert.equal(Number(user[1]), pod.spec.securityContext.runAsUser);
    const exposed = (/^EXPOSE\s+(.+)$/m.exec(text)?.[1] ?? '').split(/\s+/).map(Number);
    assert.deepEqual(sorted(exposed.map(String)), sorted(containerPorts.map((p) => String(p.containerPort))));
  });
});
