/**
 * Tests for pushScope: endpoint-only changes become EDS pushes for exactly the services whose
 * endpoints moved; anything else is a full push.
 */
import { strict as assert } from 'node:assert';
import { meshOf } from '../../server/xds/conformance/harness.js';
import { fixtureYaml } from '../../server/xds/conformance/fixture.js';
import { pushScope } from './scope.js';

describe('watchers/store/scope pushScope', () => {
  const prev = meshOf(fixtureYaml());
  const next = meshOf(fixtureYaml({ aEndpoint: 9 }));

  it('an EndpointSlice change is an EDS-only push for its service', () => {
    const s = pushScope(prev, { mesh: next, kinds: new Set(['EndpointSlice']), keys: new Set(['EndpointSlice/default/a-1']) });
    assert.deepEqual(s.kind === 'endpoints' && [...s.hosts], ['a.default.svc.cluster.local']);
  });

  it('a deleted slice is found in the previous mesh', () => {
    const without = meshOf(fixtureYaml({ withB: false }));
    const s = pushScope(prev, { mesh: without, kinds: new Set(['EndpointSlice']), keys: new Set(['EndpointSlice/default/b-1']) });
    assert.deepEqual(s.kind === 'endpoints' && [...s.hosts], ['b.default.svc.cluster.local']);
  });

  it('any other kind in the change makes a full push', () => {
    assert.deepEqual(
      pushScope(prev, {
        mesh: next,
        kinds: new Set(['EndpointSlice', 'VirtualService']),
        keys: new Set(['EndpointSlice/default/a-1', 'VirtualService/default/x']),
      }),
      { kind: 'full' },
    );
    assert.deepEqual(pushScope(prev, { mesh: next, kinds: new Set(['Service']), keys: new Set(['Service/default/a']) }), { kind: 'full' });
    assert.deepEqual(pushScope(prev, { mesh: next, kinds: new Set(['Secret']), keys: new Set(['Secret/default/c']) }), { kind: 'secrets' });
  });

  it('an EndpointSlice change that brings a new service account is a full push (clusters carry the accounts as mTLS SANs)', () => {
    const pod = (name: string, sa: string, ip: string): string =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: default, labels: {app: r}}\nspec: {serviceAccountName: ${sa}, containers: [{name: c}]}\nstatus: {podIP: ${ip}, phase: Running}\n---\n`;
    const svc =
      'apiVersion: v1\nkind: Service\nmetadata: {name: r, namespace: default}\nspec: {clusterIP: 10.96.0.30, selector: {app: r}, ports: [{name: http, port: 80}]}\n---\n';
    const slice = (eps: [string, string][]): string =>
      `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: r-1, namespace: default, labels: {kubernetes.io/service-name: r}}\naddressType: IPv4\nports: [{name: http, port: 80}]\nendpoints:\n${eps.map(([ip, p]) => `- {addresses: [${ip}], conditions: {ready: true}, targetRef: {kind: Pod, name: ${p}, namespace: default}}`).join('\n')}\n`;
    const pods = pod('r1', 'reader', '10.2.0.1') + pod('r2', 'reader', '10.2.0.2') + pod('w1', 'writer', '10.2.0.3') + svc;
    const base = meshOf(pods + slice([['10.2.0.1', 'r1']]));
    const key = { kinds: new Set(['EndpointSlice'] as const), keys: new Set(['EndpointSlice/default/r-1']) };
    const sameAccount = pushScope(base, {
      mesh: meshOf(
        pods +
          slice([
            ['10.2.0.1', 'r1'],
            ['10.2.0.2', 'r2'],
          ]),
      ),
      ...key,
    });
    assert.deepEqual(
      sameAccount.kind === 'endpoints' ? [...sameAccount.hosts] : sameAccount,
      ['r.default.svc.cluster.local'],
      'same account: EDS only',
    );
    assert.deepEqual(
      pushScope(base, {
        mesh: meshOf(
          pods +
            slice([
              ['10.2.0.1', 'r1'],
              ['10.2.0.3', 'w1'],
            ]),
        ),
        ...key,
      }),
      { kind: 'full' },
    );
  });
});
