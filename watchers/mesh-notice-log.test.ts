/**
 * Tests for watchers/mesh-notice-log.ts: a policy that selects no workload is logged once (warn,
 * naming kind, namespace/name and the reason) however many snapshots carry it; an ignored part of an
 * object is logged at info; a notice that clears and comes back is logged again. Snapshots are built
 * by the real store (reduce + buildMesh) from YAML, so the notices are the ones configz shows.
 */
import assert from 'node:assert/strict';
import { meshNoticeLogger } from './mesh-notice-log.js';
import { parseConfigText } from './file/parse.js';
import { buildMesh } from './mesh.js';
import { emptyState, reduce } from './store/reduce.js';
import type { MeshConfig } from '../model/config.js';

const POD = `apiVersion: v1
kind: Pod
metadata: {name: cart-1, namespace: shop, labels: {app: cart}}
spec: {containers: [{name: app}]}
status: {podIP: 10.1.0.7}
`;
const PA = (app: string): string => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: strict, namespace: shop}
spec: {selector: {matchLabels: {app: ${app}}}, mtls: {mode: STRICT}}
`;
const AP = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all, namespace: shop}
spec: {selector: {matchLabels: {app: nothing-here}}}
`;
const UDP = `apiVersion: v1
kind: Service
metadata: {name: dns, namespace: shop}
spec: {clusterIP: 10.96.0.53, ports: [{name: dns, port: 53, protocol: UDP}, {name: tcp, port: 5353}]}
`;

/** The mesh a folder of one file holding `yaml` gives. */
function meshOf(yaml: string): MeshConfig {
  const state = emptyState();
  const r = parseConfigText(yaml, '/m/a.yaml', 'shop');
  if (!r.ok) throw new Error(r.reason);
  reduce(state, {
    type: 'replace',
    origin: { source: '/m/a.yaml' },
    objects: r.file.objects,
    rejections: r.file.rejections,
    ignored: r.file.ignored,
  });
  return buildMesh(state).mesh;
}

class Lines {
  readonly lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  warn(fields: Record<string, unknown>, msg: string): void {
    this.lines.push({ level: 'warn', fields, msg });
  }
  info(fields: Record<string, unknown>, msg: string): void {
    this.lines.push({ level: 'info', fields, msg });
  }
}

describe('watchers/mesh-notice-log', () => {
  it('logs a policy that selects nothing once, not on every snapshot, and again when it comes back', () => {
    const out = new Lines();
    const logNotices = meshNoticeLogger(out);
    const bad = meshOf([POD, PA('typo'), AP].join('---\n'));
    logNotices(bad);
    logNotices(bad);
    logNotices(meshOf([POD, PA('typo'), AP].join('---\n')));
    assert.deepEqual(
      out.lines.map((l) => [l.level, l.fields['kind'], l.fields['key']]),
      [
        ['warn', 'AuthorizationPolicy', 'AuthorizationPolicy/shop/deny-all'],
        ['warn', 'PeerAuthentication', 'PeerAuthentication/shop/strict'],
      ],
    );
    assert.match(
      out.lines[1]!.msg,
      /^PeerAuthentication shop\/strict .*spec\.selector: selects no Pod or WorkloadEntry in namespace shop \(app=typo\)/,
    );
    // Fixed: nothing new is logged; broken again: logged again.
    logNotices(meshOf([POD, PA('cart'), AP].join('---\n')));
    assert.equal(out.lines.length, 2);
    logNotices(meshOf([POD, PA('typo'), AP].join('---\n')));
    assert.equal(out.lines.length, 3);
    assert.equal(out.lines[2]!.fields['key'], 'PeerAuthentication/shop/strict');
  });

  it('logs an ignored part of an object (a UDP port) at info, once', () => {
    const out = new Lines();
    const logNotices = meshNoticeLogger(out);
    logNotices(meshOf(UDP));
    logNotices(meshOf(UDP));
    assert.equal(out.lines.length, 1);
    assert.equal(out.lines[0]!.level, 'info');
    assert.deepEqual(out.lines[0]!.fields['key'], 'Service/shop/dns');
    assert.match(out.lines[0]!.msg, /^Service shop\/dns spec\.ports\[0\]: UDP port 53 \(dns\) is ignored/);
  });
});
