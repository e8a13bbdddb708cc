/**
 * The store stage's contract, on virtual time: nothing before the sources sync; change sets are
 * exact (the keys and kinds a batch changed, no more, none lost across a burst); the push scope
 * follows them; an emitted value — mesh, change, status — is never changed by later events; the
 * cross-object last good comes from the previous output; each rejection is logged once.
 */
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import type { ConfigEvent } from '../../model/config.js';
import { parseConfigText } from '../file/parse.js';
import { storeStage, type StoreLog, type StoreOutput } from './stage.js';

const svc = (name: string, ip: string): string =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: default}\nspec:\n  clusterIP: ${ip}\n  ports: [{name: http, port: 80}]\n`;
const slice = (name: string, addr: string): string =>
  `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: ${name}-1, namespace: default, labels: {kubernetes.io/service-name: ${name}}}\naddressType: IPv4\nports: [{name: http, port: 80, protocol: TCP}]\nendpoints:\n- addresses: [${addr}]\n  conditions: {ready: true}\n`;
const dr = (subset: string): string =>
  `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a, namespace: default}\nspec:\n  host: a\n  subsets: [{name: ${subset}, labels: {version: ${subset}}}]\n`;
const vs = (subset: string, timeout: string): string =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a, namespace: default}\nspec:\n  hosts: [a]\n  http: [{timeout: ${timeout}, route: [{destination: {host: a, subset: ${subset}}}]}]\n`;
const broken =
  'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a, namespace: default}\nspec:\n  hosts: [a]\n  http: [{timeout: soon, route: [{destination: {host: a}}]}]\n';

function file(source: string, ...docs: string[]): ConfigEvent {
  const r = parseConfigText(docs.join('---\n'), source);
  assert.ok(r.ok, 'test YAML parses');
  return { type: 'replace', origin: { source }, objects: r.file.objects, rejections: r.file.rejections, ignored: r.file.ignored };
}

function recorder(): { log: StoreLog; warnings: string[] } {
  const warnings: string[] = [];
  return {
    log: {
      warn: (_f, m) => {
        warnings.push(m);
      },
      info: () => undefined,
      error: () => undefined,
    },
    warnings,
  };
}

/** Runs the stage (debounce 10 ms quiet, 100 ms max) over `events` at the given virtual times; returns every output. */
function run(
  events: readonly (readonly [number, ConfigEvent])[],
  log: StoreLog = recorder().log,
): { outs: StoreOutput[]; times: number[] } {
  const outs: StoreOutput[] = [];
  const times: number[] = [];
  const ts = new TestScheduler((a, b) => assert.deepEqual(a, b));
  ts.run(({ cold }) => {
    // Each event is a letter at its time (a letter takes one frame; gaps are time progressions).
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    let marbles = '';
    let at = 0;
    events.forEach(([t], i) => {
      if (t > at) marbles += `${t - at}ms `;
      marbles += `${letters[i]} `;
      at = t + 1;
    });
    const values = Object.fromEntries(events.map(([, e], i) => [letters[i]!, e]));
    storeStage(cold(marbles, values), { debounceMs: 10, debounceMaxMs: 100, now: () => ts.now() }, log).subscribe((o) => {
      outs.push(o);
      times.push(ts.now());
    });
  });
  return { outs, times };
}

const A_HOST = 'a.default.svc.cluster.local';

describe('watchers/store/stage storeStage', () => {
  it('emits nothing before the sources sync; the first output carries every change folded before', () => {
    const { outs, times } = run([
      [0, file('a.yaml', svc('a', '10.96.0.10'))],
      [50, file('b.yaml', svc('b', '10.96.0.11'))],
      [200, { type: 'synced' }],
    ]);
    assert.equal(outs.length, 1);
    assert.equal(times[0], 210, 'after the quiet period that follows the sync');
    const c = outs[0]!.change;
    assert.deepEqual([...c.keys].sort(), ['Service/default/a', 'Service/default/b']);
    assert.deepEqual([...c.kinds], ['Service']);
    assert.equal(c.firstChangeAt, 0, 'the first change, not the sync');
    assert.equal(c.mesh, outs[0]!.mesh);
    assert.equal(outs[0]!.status.synced, true);
  });

  it('change sets are exact: a burst is the union of its events, a re-read that changes nothing is empty', () => {
    const { outs } = run([
      [0, file('a.yaml', svc('a', '10.96.0.10'), slice('a', '10.1.0.1'))],
      [1, { type: 'synced' }],
      [50, file('b.yaml', svc('b', '10.96.0.11'))],
      [55, file('a.yaml', svc('a', '10.96.0.10'), slice('a', '10.1.0.2'))],
      [100, file('a.yaml', svc('a', '10.96.0.10'), slice('a', '10.1.0.2'))],
    ]);
    assert.equal(outs.length, 3);
    assert.deepEqual([...outs[1]!.change.keys].sort(), ['EndpointSlice/default/a-1', 'Service/default/b']);
    assert.deepEqual([...outs[1]!.change.kinds].sort(), ['EndpointSlice', 'Service']);
    assert.deepEqual(outs[1]!.change.reasons, ['endpoint', 'service']);
    assert.equal(outs[1]!.change.firstChangeAt, 50);
    assert.deepEqual([...outs[2]!.change.keys], [], 'the same file again changes nothing');
  });

  it('a file whose slice lost a ready address is pushed at once; one that only adds waits for the quiet period', () => {
    const { outs, times } = run([
      [0, file('a.yaml', svc('a', '10.96.0.10'), slice('a', '10.1.0.1'))],
      [1, { type: 'synced' }],
      [50, file('a.yaml', svc('a', '10.96.0.10'), slice('a', '10.1.0.2'))],
      [100, file('a.yaml', svc('a', '10.96.0.10'), slice('a', '10.1.0.2'), slice('b', '10.1.0.3'))],
    ]);
    assert.equal(outs.length, 3);
    assert.equal(times[1], 50, 'the removal (a rolling update written to the file) is not held for the debounce');
    assert.deepEqual([...outs[1]!.change.keys], ['EndpointSlice/default/a-1']);
    assert.equal(times[2], 110, 'an added slice waits for the quiet period');
  });

  it('scopes each push against the previous output: endpoint-only changes name their hosts, anything else is full', () => {
    const { outs } = run([
      [0, file('a.yaml', svc('a', '10.96.0.10'), slice('a', '10.1.0.1'))],
      [1, { type: 'synced' }],
      [50, file('a.yaml', svc('a', '10.96.0.10'), slice('a', '10.1.0.2'))],
      [100, file('a.yaml', svc('a', '10.96.0.10'))],
      [150, file('a.yaml', svc('a', '10.96.0.20'))],
    ]);
    assert.deepEqual(
      outs.map((o) => o.change.scope.kind),
      ['full', 'endpoints', 'endpoints', 'full'],
    );
    const s1 = outs[1]!.change.scope;
    assert.deepEqual(s1.kind === 'endpoints' && [...s1.hosts], [A_HOST]);
    const s2 = outs[2]!.change.scope;
    assert.deepEqual(s2.kind === 'endpoints' && [...s2.hosts], [A_HOST], 'a deleted slice is found in the previous output');
  });

  it('an emitted value is never changed by later events', () => {
    const { outs } = run([
      [0, file('a.yaml', svc('a', '10.96.0.10'), slice('a', '10.1.0.1'))],
      [1, file('dup.yaml', svc('a', '10.96.0.10'))],
      [2, { type: 'synced' }],
      [50, file('a.yaml', svc('a', '10.96.0.99'), slice('a', '10.1.0.7'), broken)],
      [60, file('c.yaml', svc('c', '10.96.0.12'))],
      [70, { type: 'sourceError', origin: { source: 'a.yaml' }, reason: 'gone' }],
      [80, file('dup.yaml')],
    ]);
    assert.ok(outs.length >= 2);
    const first = outs[0]!;
    assert.deepEqual([...first.change.keys].sort(), ['EndpointSlice/default/a-1', 'Service/default/a']);
    assert.deepEqual(
      first.mesh.services.map((s) => [s.name, s.clusterIP]),
      [['a', '10.96.0.10']],
    );
    assert.deepEqual(
      [...first.mesh.endpoints.get(A_HOST)!.get(80)!].map((e) => e.address),
      ['10.1.0.1'],
    );
    assert.deepEqual([...first.status.objects.keys()].sort(), ['EndpointSlice/default/a-1', 'Service/default/a']);
    assert.deepEqual([...first.status.rejected.keys()], []);
    assert.deepEqual([...first.status.sourceErrors.keys()], []);
    assert.deepEqual(
      first.status.duplicates.map((d) => [d.key, d.winner, d.ignored]),
      [['Service/default/a', 'a.yaml', ['dup.yaml']]],
    );
    // The later outputs did see the changes.
    const lastOut = outs[outs.length - 1]!;
    assert.deepEqual(
      lastOut.mesh.services.map((s) => s.name),
      ['a', 'c'],
    );
    assert.deepEqual([...lastOut.status.sourceErrors.keys()], ['a.yaml']);
    assert.deepEqual(lastOut.status.duplicates, []);
    assert.deepEqual([...lastOut.status.rejected.keys()], ['VirtualService/default/a']);
  });

  it('a VirtualService that stops checking out keeps its version from the previous output', () => {
    const { log, warnings } = recorder();
    const { outs } = run(
      [
        [0, file('a.yaml', svc('a', '10.96.0.10'), dr('v1'), vs('v1', '1s'))],
        [1, { type: 'synced' }],
        [50, file('a.yaml', svc('a', '10.96.0.10'), dr('v1'), vs('v9', '2s'))],
        [100, file('a.yaml', svc('a', '10.96.0.10'), dr('v1'), vs('v9', '3s'))],
      ],
      log,
    );
    assert.deepEqual(
      outs.map((o) => o.mesh.virtualServices[0]?.spec.http?.[0]?.timeout),
      ['1s', '1s', '1s'],
    );
    assert.deepEqual(
      outs.map((o) => o.mesh.rejected.map((r) => r.key)),
      [[], ['VirtualService/default/a'], ['VirtualService/default/a']],
    );
    assert.equal(warnings.filter((w) => w.startsWith('rejected VirtualService default/a')).length, 1, 'logged once while it lasts');
  });
});
