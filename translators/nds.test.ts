/**
 * @module translators/nds.test
 * Golden name tables: every case under testdata/ (the Envoy goldens' inputs) and testdata/nds/ is
 * translated for each of its proxies into the NameTable istio-agent receives — encoded as the server
 * sends it, decoded back — and compared with testdata/nds/<case>.nds.yaml. `UPDATE_GOLDENS=1`
 * rewrites them. Plus the rules a golden cannot show on its own.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { encodeResource } from '../proto/encode.js';
import { messageType } from '../proto/registry.js';
import { NAME_TABLE } from '../proto/typeurls.js';
import { readMeshConfig } from '../watchers/validate/meshconfig.js';
import { TESTDATA, readCase } from './golden.test.js';
import { meshFrom, proxy } from './harness.test.js';
import { autoAllocated, buildNameTable } from './nds.js';
import { generate, proxyClass } from './index.js';
import { PROTO_PATCH_OPS } from '../proto/patch.js';

const UPDATE = process.env['UPDATE_GOLDENS'] === '1';
const NDS_DIR = path.join(TESTDATA, 'nds');

function render(file: string): Record<string, unknown> {
  const { text, tc } = readCase(file);
  const { mesh } = meshFrom(text, readMeshConfig(tc.meshConfig ?? null).settings);
  const out: Record<string, unknown> = {};
  for (const p of tc.proxies) {
    const px = proxy(p.id, p.metadata ?? {});
    const msg = generate(mesh, px, PROTO_PATCH_OPS).nameTable!.get('')!;
    const r = encodeResource(NAME_TABLE, '', msg);
    const t = messageType(NAME_TABLE);
    out[p.id] = t.toObject(t.decode(r.bytes), { arrays: true, objects: true });
  }
  return out;
}

const cases = [
  ...fs
    .readdirSync(TESTDATA)
    .filter((f) => f.endsWith('.in.yaml'))
    .map((f) => path.join(TESTDATA, f)),
  ...fs
    .readdirSync(NDS_DIR)
    .filter((f) => f.endsWith('.in.yaml'))
    .map((f) => path.join(NDS_DIR, f)),
].sort();

describe('NDS name table goldens (testdata/**/*.in.yaml → testdata/nds/*.nds.yaml)', () => {
  for (const c of cases) {
    const name = path.basename(c).replace(/\.in\.yaml$/, '');
    it(name, () => {
      const out = render(c);
      const outFile = path.join(NDS_DIR, `${name}.nds.yaml`);
      const text = stringify(out, { lineWidth: 0, aliasDuplicateObjects: false });
      if (UPDATE) {
        fs.writeFileSync(outFile, text);
        return;
      }
      assert.ok(fs.existsSync(outFile), `${outFile} is missing: run UPDATE_GOLDENS=1 npm test`);
      assert.deepEqual(out, parseAllDocuments(fs.readFileSync(outFile, 'utf8'))[0]!.toJS(), `${name}: name table differs from the golden`);
    });
  }
});

describe('NDS name table rules', () => {
  const { text } = readCase(path.join(NDS_DIR, 'bookinfo-dns.in.yaml'));
  const { mesh } = meshFrom(text);
  const plain = proxy('sidecar~10.244.0.21~productpage-v1-1.default~default.svc.cluster.local', { LABELS: { app: 'productpage' } });
  const auto = proxy('sidecar~10.244.0.21~productpage-v1-1.default~default.svc.cluster.local', {
    LABELS: { app: 'productpage' },
    DNS_CAPTURE: 'true',
    DNS_AUTO_ALLOCATE: 'true',
  });

  it('Kubernetes services carry shortname and namespace; headless ones their pod IPs and per-pod names', () => {
    assert.deepEqual(mesh.rejected, []);
    const t = buildNameTable(mesh, plain).table;
    assert.deepEqual(t['reviews.default.svc.cluster.local'], {
      ips: ['10.96.0.11'],
      registry: 'Kubernetes',
      namespace: 'default',
      shortname: 'reviews',
    });
    assert.deepEqual(t['mysql.default.svc.cluster.local']?.ips, ['10.244.3.10', '10.244.3.11']);
    assert.deepEqual(t['mysql-1.mysql.default.svc.cluster.local'], {
      ips: ['10.244.3.11'],
      registry: 'Kubernetes',
      namespace: 'default',
      shortname: 'mysql-1.mysql',
    });
    assert.deepEqual(t['payments.example.com'], { ips: ['192.0.2.10', '192.0.2.11'], registry: 'External' });
    assert.deepEqual(t['db.legacy.internal']?.ips, ['172.16.0.5', '172.16.0.6']);
    assert.equal(t['*.googleapis.com'], undefined);
    assert.equal(t['internal.ops.svc.cluster.local'], undefined, 'exportTo "." hides it from default');
  });

  it('auto-allocated addresses only for proxies that ask, stable whatever else is in the mesh', () => {
    assert.equal(buildNameTable(mesh, plain).table['httpbin.org'], undefined);
    const ip = buildNameTable(mesh, auto).table['httpbin.org']?.ips[0];
    assert.match(ip ?? '', /^240\.240\.\d+\.\d+$/);
    assert.notEqual(ip, buildNameTable(mesh, auto).table['api.github.com']?.ips[0]);
    assert.notEqual(proxyClass(plain, mesh), proxyClass(auto, mesh), 'the two cannot share a translation');
    // Adding an unrelated host does not move this one (slots come from the host's own hash).
    const { mesh: bigger } = meshFrom(
      `${text}\n---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: more, namespace: default}\nspec: {hosts: [more.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}\n`,
    );
    assert.equal(autoAllocated(bigger).get('default/httpbin.org')?.v4, ip);
    assert.ok(![...autoAllocated(bigger).values()].some((a) => a.v4.endsWith('.255') || a.v4.endsWith('.0')));
  });
});
