/**
 * proto/version: a route configuration's version is the same whether computed from its bytes or
 * from its pieces' digests (the piecewise encoding's shortcut), changes with any byte of a virtual
 * host or of the other fields, and other types are versioned by a hash of their bytes.
 */
import { strict as assert } from 'node:assert';
import { encodeMessage } from './encode.js';
import { contentHash, DIGEST_BYTES, elementDigest, resourceVersion, versionOfPieces } from './version.js';

const RC = 'envoy.config.route.v3.RouteConfiguration';
const VH = 'envoy.config.route.v3.VirtualHost';
const vh = (n: string, cluster = 'c'): object => ({ name: n, domains: [n], routes: [{ match: { prefix: '/' }, route: { cluster } }] });
const rc = (vhs: object[], name = '8080'): object => ({ name, virtual_hosts: vhs, validate_clusters: { value: false } });

describe('proto/version', () => {
  it('a route config: the version from its bytes equals the version from its pieces, and follows every change', () => {
    const hosts = ['a', 'b', 'c'].map((n) => vh(n));
    const bytes = encodeMessage(RC, rc(hosts));
    const before = encodeMessage(RC, { name: '8080' });
    const after = encodeMessage(RC, { validate_clusters: { value: false } });
    const digests = new Uint8Array(hosts.length * DIGEST_BYTES);
    hosts.forEach((h, i) => digests.set(elementDigest(encodeMessage(VH, h)), i * DIGEST_BYTES));
    const v = resourceVersion(RC, bytes);
    assert.equal(versionOfPieces(before, digests, after), v);
    assert.notEqual(v, contentHash(bytes), 'not the plain hash (a different scheme, same role)');
    const others = [
      rc([vh('a'), vh('b'), vh('c', 'd')]),
      rc([vh('a'), vh('c'), vh('b')]),
      rc([vh('a'), vh('b')]),
      rc(hosts, '8081'),
      { name: '8080', virtual_hosts: hosts },
      rc([]),
    ].map((m) => resourceVersion(RC, encodeMessage(RC, m)));
    assert.equal(new Set([v, ...others]).size, others.length + 1, 'every change gives another version');
    assert.equal(resourceVersion(RC, encodeMessage(RC, rc([]))), versionOfPieces(before, new Uint8Array(0), after), 'no virtual host');
  });

  it('other types are versioned by a hash of their bytes', () => {
    const bytes = encodeMessage(VH, vh('a'));
    assert.equal(resourceVersion(VH, bytes), contentHash(bytes));
  });
});
