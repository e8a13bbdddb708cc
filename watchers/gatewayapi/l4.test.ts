/**
 * @module watchers/gatewayapi/l4.test
 * The Gateway API's L4 listeners and tspilot's own class name, as a user sees them in status and
 * in the Istio objects the conversion hands the gateway generator: TCP listeners with TCPRoute
 * (weighted backends; UnsupportedProtocol is gone), TLS listeners in Terminate mode (SIMPLE server
 * TLS, TCPRoute only) and Passthrough (TLSRoute by SNI), the spec's reasons for routes on the
 * wrong listener or with unresolvable backends, and `--gateway-class-name`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../file/parse.js';
import { emptyState, reduce } from '../store/reduce.js';
import { buildMesh, DEFAULT_MESH_OPTIONS, type MeshOptions } from '../mesh.js';
import type { MeshConfig } from '../../model/config.js';
import type { GwObjectStatus } from '../../model/gatewayapi.js';

export function meshOf(yaml: string, opts: MeshOptions = DEFAULT_MESH_OPTIONS): MeshConfig {
  const parsed = parseConfigText(yaml, 'test.yaml');
  if (!parsed.ok) throw new Error(parsed.reason);
  assert.deepEqual(parsed.file.rejections, [], 'the test input is valid');
  const st = reduce(
    reduce(emptyState(), { type: 'replace', origin: { source: 'test.yaml' }, objects: parsed.file.objects, rejections: [] }),
    { type: 'synced' },
  );
  return buildMesh(st, opts).mesh;
}

const SERVICES = ['pg', 'pg-canary', 'mysql']
  .map(
    (n, i) =>
      `apiVersion: v1\nkind: Service\nmetadata: {name: ${n}, namespace: data}\nspec: {clusterIP: 10.0.1.${i + 1}, selector: {app: ${n}}, ports: [{name: tcp, port: 5432}]}\n---\n`,
  )
  .join('');

/** A real TLS Secret (the ingress golden case's), renamed to infra/cert. */
const SECRET =
  fs
    .readFileSync(
      path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../translators/testdata/gatewayapi-ingress.in.yaml'),
      'utf8',
    )
    .split('\n---\n')
    .find((d) => d.includes('kind: Secret'))!
    .replace(/metadata: \{[^}]*\}/, 'metadata: {name: cert, namespace: infra}') + '\n---\n';

const gateway = (cls = 'istio'): string => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: ${cls}
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - {name: tcp, port: 5432, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}
  - name: tls-term
    port: 9443
    protocol: TLS
    hostname: db.example.com
    tls: {mode: Terminate, certificateRefs: [{name: cert}]}
    allowedRoutes: {namespaces: {from: All}}
  - {name: tls-pass, port: 443, protocol: TLS, tls: {mode: Passthrough}, allowedRoutes: {namespaces: {from: All}}}
  - {name: udp, port: 53, protocol: UDP}
---
`;

const l4Route = (kind: 'TCPRoute' | 'TLSRoute', name: string, section: string, backends: string, extra = ''): string =>
  `apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: ${kind}\nmetadata: {name: ${name}, namespace: data}\nspec:\n  parentRefs: [{name: gw, namespace: infra, sectionName: ${section}}]\n${extra}  rules:\n  - backendRefs: ${backends}\n---\n`;

const statusOf = (m: MeshConfig, kind: string, name: string): GwObjectStatus | undefined =>
  m.gatewayApiStatus?.find((s) => s.kind === kind && s.name === name);
const cond = (s: GwObjectStatus | undefined, type: string): string => {
  const c = s?.parents?.[0]?.conditions.find((x) => x.type === type);
  return c ? `${c.status} ${c.reason}` : 'none';
};
const listenerCond = (m: MeshConfig, listener: string, type: string): string => {
  const l = statusOf(m, 'KubernetesGateway', 'gw')?.listeners?.find((x) => x.name === listener);
  const c = l?.conditions.find((x) => x.type === type);
  return c ? `${c.status} ${c.reason}` : 'none';
};

describe('watchers/gatewayapi: TCP and TLS listeners, TCPRoute and TLSRoute', () => {
  const m = meshOf(
    SERVICES +
      SECRET +
      gateway() +
      l4Route('TCPRoute', 'pg', 'tcp', '[{name: pg, port: 5432, weight: 3}, {name: pg-canary, port: 5432, weight: 1}]') +
      l4Route('TCPRoute', 'term', 'tls-term', '[{name: mysql, port: 5432}]') +
      l4Route('TLSRoute', 'sni', 'tls-pass', '[{name: mysql, port: 5432}]', '  hostnames: [a.example.com]\n') +
      l4Route('TLSRoute', 'tls-on-term', 'tls-term', '[{name: mysql, port: 5432}]', '  hostnames: [db.example.com]\n') +
      l4Route('TCPRoute', 'tcp-on-http', 'http', '[{name: pg, port: 5432}]') +
      l4Route('TCPRoute', 'missing', 'tcp', '[{name: nope, port: 5432}]') +
      l4Route('TCPRoute', 'foreign', 'tcp', '[{name: pg, namespace: other, port: 5432}]'),
  );

  it('a TCP listener is Accepted and Programmed (no longer UnsupportedProtocol) and becomes an Istio TCP server', () => {
    assert.equal(listenerCond(m, 'tcp', 'Accepted'), 'True Accepted');
    assert.equal(listenerCond(m, 'tcp', 'Programmed'), 'True Programmed');
    const g = m.gateways.find((x) => x.meta.name === 'gw-istio-autogenerated-k8s-gateway-tcp');
    assert.deepEqual(g?.spec.servers[0]?.port, { number: 5432, protocol: 'TCP', name: 'default' });
    assert.equal(listenerCond(m, 'udp', 'Accepted'), 'False UnsupportedProtocol');
  });

  it('a TCPRoute becomes a tcp route bound to the listener, with the backend weights as percentages', () => {
    const vs = m.virtualServices.find((v) => v.meta.name === 'gw-istio-autogenerated-k8s-gateway-tcp-tcp-data-pg');
    assert.deepEqual(vs?.spec.gateways, ['infra/gw-istio-autogenerated-k8s-gateway-tcp']);
    assert.deepEqual(
      vs?.spec.tcp?.[0]?.route.map((d) => `${d.destination.host}:${d.destination.port?.number} ${d.weight}`),
      ['pg.data.svc.cluster.local:5432 75', 'pg-canary.data.svc.cluster.local:5432 25'],
    );
    assert.equal(cond(statusOf(m, 'TCPRoute', 'pg'), 'Accepted'), 'True Accepted');
  });

  it('a TLS Terminate listener terminates with the certificateRef (SIMPLE) and takes TCPRoutes, not TLSRoutes', () => {
    const g = m.gateways.find((x) => x.meta.name === 'gw-istio-autogenerated-k8s-gateway-tls-term');
    assert.deepEqual(g?.spec.servers[0]?.tls, { mode: 'SIMPLE', credentialName: 'kubernetes-gateway://infra/cert' });
    assert.equal(g?.spec.servers[0]?.port.protocol, 'TLS');
    assert.deepEqual(
      statusOf(m, 'KubernetesGateway', 'gw')
        ?.listeners?.find((l) => l.name === 'tls-term')
        ?.supportedKinds.map((k) => k.kind),
      ['TCPRoute'],
    );
    assert.equal(cond(statusOf(m, 'TCPRoute', 'term'), 'Accepted'), 'True Accepted');
    assert.equal(cond(statusOf(m, 'TLSRoute', 'tls-on-term'), 'Accepted'), 'False NotAllowedByListeners');
  });

  it('a TLSRoute on a Passthrough listener routes by SNI', () => {
    const vs = m.virtualServices.find((v) => v.meta.name === 'gw-istio-autogenerated-k8s-gateway-tls-pass-tls-data-sni');
    assert.deepEqual(vs?.spec.tls?.[0]?.match[0]?.sniHosts, ['a.example.com']);
  });

  it('a TCPRoute on an HTTP listener: NotAllowedByListeners, and nothing is generated for it', () => {
    assert.equal(cond(statusOf(m, 'TCPRoute', 'tcp-on-http'), 'Accepted'), 'False NotAllowedByListeners');
    assert.ok(!m.virtualServices.some((v) => v.meta.name.endsWith('tcp-data-tcp-on-http')));
  });

  it('unresolvable backends: BackendNotFound / RefNotPermitted in ResolvedRefs; the route closes connections (no destination)', () => {
    assert.equal(cond(statusOf(m, 'TCPRoute', 'missing'), 'ResolvedRefs'), 'False BackendNotFound');
    assert.equal(cond(statusOf(m, 'TCPRoute', 'foreign'), 'ResolvedRefs'), 'False RefNotPermitted');
    const vs = m.virtualServices.find((v) => v.meta.name.endsWith('-tcp-data-missing'));
    assert.deepEqual(vs?.spec.tcp?.[0]?.route, []);
  });
});

describe("watchers/gatewayapi: tspilot's own GatewayClass name", () => {
  const base = SERVICES + SECRET;
  it('by default class istio is served without a GatewayClass object; another class name is not', () => {
    assert.ok(meshOf(base + gateway('istio')).gateways.length > 0);
    const other = meshOf(base + gateway('tspilot'));
    assert.equal(other.gateways.length, 0);
    assert.equal(statusOf(other, 'KubernetesGateway', 'gw'), undefined, 'a foreign Gateway gets no status from us');
  });

  it('--gateway-class-name tspilot: class tspilot is ours, class istio (no GatewayClass object) no longer is', () => {
    const opts = { ...DEFAULT_MESH_OPTIONS, gatewayClassName: 'tspilot' };
    const ours = meshOf(base + gateway('tspilot') + l4Route('TCPRoute', 'pg', 'tcp', '[{name: pg, port: 5432}]'), opts);
    assert.ok(ours.gateways.some((g) => g.meta.name === 'gw-istio-autogenerated-k8s-gateway-tcp'));
    assert.equal(cond(statusOf(ours, 'TCPRoute', 'pg'), 'Accepted'), 'True Accepted');
    const old = meshOf(base + gateway('istio') + l4Route('TCPRoute', 'pg', 'tcp', '[{name: pg, port: 5432}]'), opts);
    assert.equal(old.gateways.length, 0);
    assert.equal(statusOf(old, 'TCPRoute', 'pg'), undefined, 'a route whose only parent is foreign gets no status from us');
  });

  it('a GatewayClass naming our controller is ours under any name, and gets Accepted; one naming another controller is not', () => {
    const cls = (name: string, controller: string): string =>
      `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: ${name}}\nspec: {controllerName: ${controller}}\n---\n`;
    const opts = { ...DEFAULT_MESH_OPTIONS, gatewayClassName: 'tspilot' };
    const m = meshOf(base + cls('custom', 'istio.io/gateway-controller') + cls('tspilot', 'example.com/other') + gateway('custom'), opts);
    assert.ok(m.gateways.length > 0);
    assert.equal(statusOf(m, 'GatewayClass', 'custom')?.conditions?.[0]?.reason, 'Accepted');
    assert.equal(statusOf(m, 'GatewayClass', 'tspilot'), undefined);
    const n = meshOf(base + cls('tspilot', 'example.com/other') + gateway('tspilot'), opts);
    assert.equal(n.gateways.length, 0, 'the GatewayClass object decides: another controller owns class tspilot');
  });
});
