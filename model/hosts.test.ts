/**
 * @module model/hosts.test
 * Short-name resolution and wildcard host matching, against istiod's documented examples and as
 * properties over generated names.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hostSubsetOf, hostsMatch, isWildcardHost, resolveShortName } from './hosts.js';

const label = fc.constantFrom('a', 'b', 'foo', 'example', 'com');
const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((xs) => xs.join('.'));
const host = fc.oneof(
  name,
  name.map((n) => `*.${n}`),
  fc.constant('*'),
);

describe('model/hosts', () => {
  it('resolves short names in the config namespace and leaves FQDNs, wildcards and IPs alone', () => {
    assert.equal(resolveShortName('reviews', 'bookinfo', 'cluster.local'), 'reviews.bookinfo.svc.cluster.local');
    assert.equal(resolveShortName('reviews.other', 'bookinfo', 'cluster.local'), 'reviews.other');
    assert.equal(resolveShortName('*', 'bookinfo', 'cluster.local'), '*');
    assert.equal(resolveShortName('*.example.com', 'bookinfo', 'cluster.local'), '*.example.com');
    assert.equal(resolveShortName('10.0.0.1', 'bookinfo', 'cluster.local'), '10.0.0.1');
    assert.equal(resolveShortName('fd00::1', 'bookinfo', 'cluster.local'), 'fd00::1');
  });

  it('matches wildcards as istiod host.Name does', () => {
    assert.equal(hostsMatch('foo.com', 'foo.com'), true);
    assert.equal(hostsMatch('foo.com', 'bar.com'), false);
    assert.equal(hostsMatch('*.com', 'foo.com'), true);
    assert.equal(hostsMatch('bar.com', '*.com'), true);
    assert.equal(hostsMatch('*.foo.com', 'foo.com'), false);
    assert.equal(hostsMatch('*', 'foo.com'), true);
    assert.equal(hostsMatch('*', '*.com'), true);
    assert.equal(hostSubsetOf('a.b.example.com', '*.example.com'), true, 'a wildcard covers any depth');
    assert.equal(hostSubsetOf('*.a.example.com', '*.example.com'), true);
    assert.equal(hostSubsetOf('*.example.com', '*.a.example.com'), false);
    assert.equal(hostSubsetOf('*.example.com', 'a.example.com'), false, 'a wildcard is never covered by a name');
    assert.equal(hostSubsetOf('*', '*.com'), false);
  });

  it('is reflexive, covered by *, and Matches is SubsetOf in either direction (property)', () => {
    fc.assert(
      fc.property(host, host, (a, b) => {
        assert.equal(hostSubsetOf(a, a), true);
        assert.equal(hostSubsetOf(a, '*'), true);
        assert.equal(hostsMatch(a, b), hostsMatch(b, a));
        assert.equal(hostsMatch(a, b), hostSubsetOf(a, b) || hostSubsetOf(b, a));
        if (!isWildcardHost(a) && !isWildcardHost(b)) assert.equal(hostsMatch(a, b), a === b);
      }),
    );
    fc.assert(fc.property(name, name, (n, m) => assert.equal(hostSubsetOf(n, `*.${m}`), n.endsWith(`.${m}`))));
  });
});
