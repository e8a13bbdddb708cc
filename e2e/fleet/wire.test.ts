/**
 * The fleet's request encoding: a request built from a small head plus names encoded once must be
 * the same DiscoveryRequest the full encoder writes, and the server's ACK shortcut must read it.
 */
import assert from 'node:assert/strict';
import { decodeSotwRequest, encodeSotwRequest } from '../../proto/wire.js';
import { EDS } from '../../proto/typeurls.js';
import { scanSotw } from '../../server/xds/ackscan.js';
import { namesField, withNames } from './wire.js';

describe('fleet request encoding (e2e/fleet/wire)', () => {
  const names = [
    'outbound|9080||b.ns-1.svc.cluster.local',
    'outbound|8080|v1|a.ns-0.svc.cluster.local',
    'outbound|9090||c.ns-2.svc.cluster.local',
  ];

  it('head + encoded names decodes to the same request as the full encoding', () => {
    const full = decodeSotwRequest(encodeSotwRequest({ typeUrl: EDS, versionInfo: 'v7', responseNonce: 'n3', resourceNames: names }));
    const split = decodeSotwRequest(
      withNames(encodeSotwRequest({ typeUrl: EDS, versionInfo: 'v7', responseNonce: 'n3', resourceNames: [] }), namesField(names)),
    );
    assert.deepEqual(split, full);
    assert.deepEqual(split.resourceNames, names);
  });

  it("the server's ACK scan finds the names as one run after the head", () => {
    const nb = namesField(names);
    const s = scanSotw(withNames(encodeSotwRequest({ typeUrl: EDS, versionInfo: 'v7', responseNonce: 'n3', resourceNames: [] }), nb));
    assert.ok(s, 'scan fell back to a full decode');
    assert.equal(s.typeUrl, EDS);
    assert.equal(s.versionInfo, 'v7');
    assert.equal(s.responseNonce, 'n3');
    assert.deepEqual([...s.names], [...nb]);
  });

  it('no names: an empty field, still a valid request', () => {
    assert.equal(namesField([]).length, 0);
    assert.deepEqual(decodeSotwRequest(withNames(encodeSotwRequest({ typeUrl: EDS }), namesField([]))).resourceNames, []);
  });
});
