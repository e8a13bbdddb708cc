/**
 * Bad input from issue 18, at the store stage on virtual time: a burst of 1,000 edits in one second,
 * or 5,000 Pods starting at once, coalesces into bounded work (a bounded number of pushes, set by
 * the debounce's maximum wait, not by the number of events); nothing is dropped — the last output
 * holds the final state and its change set names every object the burst touched.
 */
import assert from 'node:assert/strict';
import { from, interval, map, mergeMap, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { ConfigEvent } from '../../model/config.js';
import { parseConfigText } from '../file/parse.js';
import { storeStage, type StoreOutput } from './stage.js';

function file(source: string, yaml: string): ConfigEvent {
  const r = parseConfigText(yaml, source);
  assert.ok(r.ok, 'test YAML parses');
  return { type: 'replace', origin: { source }, objects: r.file.objects, rejections: r.file.rejections, ignored: r.file.ignored };
}

const svc =
  'apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: default}\nspec:\n  clusterIP: 10.96.0.10\n  selector: {app: a}\n  ports: [{name: http, port: 80}]\n';
const vs = (timeoutS: number): string =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a, namespace: default}\nspec:\n  hosts: [a]\n  http: [{timeout: ${timeoutS}s, route: [{destination: {host: a}}]}]\n`;
const pod = (i: number): string =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: a-${i}, namespace: default, labels: {app: a}}\nspec: {containers: [{name: app}]}\nstatus: {podIP: 10.1.${i >> 8}.${i & 255}}\n`;
const silent = { warn: () => undefined, info: () => undefined, error: () => undefined };

/** Runs the stage (debounce 10 ms quiet, 100 ms max) over `events$` built on virtual time. */
function run(build: () => import('rxjs').Observable<ConfigEvent>): StoreOutput[] {
  const outs: StoreOutput[] = [];
  const ts = new TestScheduler((a, b) => assert.deepEqual(a, b));
  ts.run(() => {
    storeStage(build(), { debounceMs: 10, debounceMaxMs: 100, now: () => ts.now() }, silent).subscribe((o) => outs.push(o));
  });
  return outs;
}

describe('watchers/store bursts coalesce into bounded work', () => {
  it('1,000 edits of a VirtualService within one second: about one push per maximum wait, the last one holds the final edit', () => {
    const base = [file('svc.yaml', svc), file('vs.yaml', vs(1)), { type: 'synced' } as ConfigEvent];
    const edits = Array.from({ length: 1000 }, (_, i) => file('vs.yaml', vs(i + 2)));
    const outs = run(() => {
      const all = [...base];
      // One event per virtual millisecond: the first three (the initial state) and then 1,000 edits.
      return interval(1).pipe(
        take(all.length + edits.length),
        map((i) => (i < all.length ? all[i]! : edits[i - all.length]!)),
      );
    });
    assert.ok(
      outs.length >= 2 && outs.length <= 13,
      `1,000 edits in ~1 s made ${outs.length} outputs (bounded by the 100 ms maximum wait)`,
    );
    const last = outs.at(-1)!;
    assert.equal(last.mesh.virtualServices[0]!.spec.http![0]!.timeout, '1001s', 'the final edit is in force');
    for (const o of outs.slice(1)) assert.ok(o.change.keys.has('VirtualService/default/a'), 'each push names the edited object');
  });

  it('5,000 Pods of a running Deployment starting at once: a few endpoint-only pushes of the one host they back, every Pod in the last', () => {
    const pods = Array.from({ length: 5000 }, (_, i) => file(`pod-${i + 1}.yaml`, pod(i + 1)));
    const all = run(() => {
      // The Service with its first Pod (same service account: clusters keep their SANs), then
      // (20 virtual ms later, after the start's push) 5,000 more Pods in one go.
      const start = [file('svc.yaml', svc), file('pod-0.yaml', pod(0)), { type: 'synced' } as ConfigEvent];
      return interval(20).pipe(
        take(2),
        mergeMap((i) => from(i === 0 ? start : pods)),
      );
    });
    assert.ok(all.length >= 2 && all.length <= 4, `${all.length} outputs`);
    const later = all.slice(1);
    for (const o of later)
      assert.deepEqual(
        o.change.scope.kind === 'endpoints' ? [...o.change.scope.hosts] : o.change.scope,
        ['a.default.svc.cluster.local'],
        'Pods of a Deployment that only back a Service: EDS of that host, not a full push',
      );
    const last = all.at(-1)!;
    assert.equal(last.mesh.pods.size, 5001);
    assert.equal(last.mesh.endpoints.get('a.default.svc.cluster.local')!.get(80)!.length, 5001, 'every Pod is an endpoint');
    assert.equal(
      later.reduce((n, o) => n + (o.change.scope.kind === 'endpoints' ? (o.change.scope.proxies?.size ?? 0) : 0), 0),
      5000,
      'each new Pod is named once for its own (future) proxy',
    );
  });

  it('5,000 Pods starting at once: one push, every Pod in it', () => {
    const pods = Array.from({ length: 5000 }, (_, i) => file(`pod-${i}.yaml`, pod(i)));
    const outs = run(() => from([file('svc.yaml', svc), { type: 'synced' } as ConfigEvent, ...pods]));
    assert.equal(outs.length, 1, 'the start and the 5,000 Pods arrive together: one output');
    assert.equal(outs[0]!.mesh.pods.size, 5000);
    assert.equal([...outs[0]!.change.keys].filter((k) => k.startsWith('Pod/')).length, 5000, 'every Pod is in the change set');
  });
});
