/**
 * Tests for watchers/file/parse.ts parseConfigText: a file is read like `kubectl apply -f` —
 * multi-document YAML, `kind: List` expanded, each document validated on its own (one bad object
 * does not hide the others), kinds tspilot does not read skipped, an object defined twice
 * reported, and a YAML syntax error making the whole file unreadable with its line number.
 */
import assert from 'node:assert/strict';
import type { VirtualService } from '../../model/istio.js';
import type { Service } from '../../model/k8s.js';
import { parseConfigText, type ParsedFile } from './parse.js';

const SRC = '/etc/mesh/reviews.yaml';

function parsed(text: string, ns = 'default'): ParsedFile {
  const r = parseConfigText(text, SRC, ns);
  if (!r.ok) assert.fail(`expected the file to parse, got: ${r.reason}`);
  return r.file;
}

const SERVICE = `
apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  ports:
  - name: http
    port: 9080
`;

const VS = (name: string, extra = ''): string => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: bookinfo
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: reviews${extra}
`;

describe('watchers/file/parse parseConfigText', () => {
  it('reads multi-document YAML: every document becomes an object keyed Kind/namespace/name', () => {
    const f = parsed(`${SERVICE}---${VS('a')}---${VS('b')}`);
    assert.deepEqual(
      f.objects.map((o) => o.key),
      ['Service/default/reviews', 'VirtualService/bookinfo/a', 'VirtualService/bookinfo/b'],
    );
    assert.deepEqual(f.rejections, []);
    assert.deepEqual(f.ignored, []);
  });

  it('applies the default namespace to objects without one', () => {
    assert.deepEqual(
      parsed(SERVICE, 'team-a').objects.map((o) => o.key),
      ['Service/team-a/reviews'],
    );
  });

  it('expands kind: List (kubectl get -o yaml output)', () => {
    const f = parsed(`
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: ratings, namespace: bookinfo}
  spec: {ports: [{name: http, port: 9080}]}
- apiVersion: networking.istio.io/v1beta1
  kind: DestinationRule
  metadata: {name: ratings, namespace: bookinfo}
  spec: {host: ratings, subsets: [{name: v1, labels: {version: v1}}]}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: ratings-v1, namespace: bookinfo}
---
${SERVICE}`);
    assert.deepEqual(
      f.objects.map((o) => o.key),
      ['Service/bookinfo/ratings', 'DestinationRule/bookinfo/ratings', 'Service/default/reviews'],
    );
    assert.deepEqual(
      f.ignored.map((i) => i.kind),
      ['Deployment'],
    );
  });

  it('an invalid document is rejected on its own; the others are still read', () => {
    const f = parsed(`${VS('good')}---${VS('bad', '\n    timeout: soon')}---${SERVICE}`);
    assert.deepEqual(
      f.objects.map((o) => o.key),
      ['VirtualService/bookinfo/good', 'Service/default/reviews'],
    );
    assert.equal(f.rejections.length, 1);
    const r = f.rejections[0]!;
    assert.equal(r.key, 'VirtualService/bookinfo/bad');
    assert.equal(r.source, SRC);
    assert.equal(r.field, 'spec.http[0].timeout');
  });

  it('a Deployment is ignored, not rejected', () => {
    const f = parsed(`apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: reviews-v1}\nspec: {replicas: 3}\n---${SERVICE}`);
    assert.deepEqual(
      f.ignored.map((i) => [i.kind, i.name, i.namespace, i.source]),
      [['Deployment', 'reviews-v1', 'default', SRC]],
    );
    assert.match(f.ignored[0]!.reason, /no mesh configuration/);
    assert.equal(f.ignored[0]!.level, 'info', 'an ordinary workload kind is not worth a warning');
    assert.deepEqual(f.rejections, []);
    assert.equal(f.objects.length, 1);
  });

  describe('kinds tspilot does not read are listed with the reason', () => {
    const one = (apiVersion: string, kind: string): ParsedFile['ignored'][number] => {
      const f = parsed(`apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: x, namespace: bookinfo}\nspec: {}\n`);
      assert.equal(f.ignored.length, 1, JSON.stringify(f));
      return f.ignored[0]!;
    };

    it('a misspelled kind: unknown, with a suggestion', () => {
      const i = one('networking.istio.io/v1', 'VirtualServce');
      assert.deepEqual(
        [i.kind, i.apiVersion, i.name, i.namespace, i.level],
        ['VirtualServce', 'networking.istio.io/v1', 'x', 'bookinfo', 'warn'],
      );
      assert.match(i.reason, /unknown kind VirtualServce \(did you mean VirtualService\?\)/);
      assert.match(one('networking.istio.io/v1', 'Destinationrule').reason, /did you mean DestinationRule\?/);
      assert.match(one('networking.istio.io/v1', 'serviceentries').reason, /did you mean ServiceEntry\?/);
    });

    it('a kind nothing resembles: unknown, no suggestion', () => {
      const i = one('example.com/v1', 'Frobnicator');
      assert.equal(i.reason, 'unknown kind Frobnicator');
      assert.equal(i.level, 'warn');
    });

    for (const [apiVersion, kind] of [
      ['extensions.istio.io/v1alpha1', 'WasmPlugin'],
      ['networking.istio.io/v1alpha3', 'WorkloadGroup'],
      ['gateway.networking.k8s.io/v1alpha2', 'UDPRoute'],
    ] as const) {
      it(`${apiVersion} ${kind}: not translated by tspilot yet`, () => {
        const i = one(apiVersion, kind);
        assert.match(
          i.reason,
          new RegExp(`^${kind} \\(${apiVersion.split('/')[0]!.replace(/\./g, '\\.')}\\) is not translated by tspilot yet`),
        );
        assert.equal(i.level, 'warn');
      });
    }
  });

  it('an object defined twice in one file: the first is kept, the second reported', () => {
    const f = parsed(`${VS('dup')}---${VS('dup', '.bookinfo.svc.cluster.local')}`);
    assert.equal(f.objects.length, 1);
    assert.equal((f.objects[0]!.object as VirtualService).spec.http![0]!.route![0]!.destination.host, 'reviews');
    assert.equal(f.rejections.length, 1);
    const r = f.rejections[0]!;
    assert.deepEqual(
      [r.key, r.kind, r.namespace, r.name, r.field],
      ['VirtualService/bookinfo/dup', 'VirtualService', 'bookinfo', 'dup', 'metadata.name'],
    );
    assert.match(r.reason, /defined twice/);
  });

  it('empty documents and comment-only files are fine', () => {
    assert.deepEqual(parsed('# nothing here yet\n').objects, []);
    assert.deepEqual(
      parsed(`---\n---${SERVICE}---\n`).objects.map((o) => o.key),
      ['Service/default/reviews'],
    );
  });

  it('reads JSON too', () => {
    const f = parsed(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'j', namespace: 'x' },
        spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      }),
    );
    assert.equal(f.objects[0]!.key, 'Service/x/j');
    assert.equal((f.objects[0]!.object as Service).ports[0]!.targetPort, 8080);
  });

  describe('YAML syntax errors make the file unreadable, with the line', () => {
    it('bad indentation', () => {
      const r = parseConfigText('apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n spec: {}\n', SRC);
      assert.equal(r.ok, false);
      assert.match(!r.ok ? r.reason : '', /^line 5\b/);
    });

    it('an unclosed flow mapping in the second document', () => {
      const r = parseConfigText(`${SERVICE}---\napiVersion: v1\nkind: Service\nmetadata: {name: x\n`, SRC);
      assert.equal(r.ok, false);
      assert.match(!r.ok ? r.reason : '', /line \d+/);
    });

    it('a duplicate key', () => {
      const r = parseConfigText('apiVersion: v1\nkind: Service\nkind: Pod\nmetadata: {name: a}\n', SRC);
      assert.equal(r.ok, false);
      assert.match(!r.ok ? r.reason : '', /^line 3\b/);
    });
  });

  describe('hostile YAML is refused with a reason, never thrown', () => {
    const refused = (text: string): string => {
      const r = parseConfigText(text, SRC);
      assert.equal(r.ok, false);
      return r.ok ? '' : r.reason;
    };

    it('an alias bomb', () => {
      let bomb = 'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
      let prev = 'a';
      for (const c of 'bcdefghi') {
        bomb += `${c}: &${c} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
        prev = c;
      }
      assert.match(refused(bomb), /aliases/);
    });

    it('a document nested deeper than the parser can go', () => {
      const depth = 20_000;
      assert.match(
        refused(`apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: ${'['.repeat(depth)}${']'.repeat(depth)}\n`),
        /line 4: nested too deeply/,
      );
      assert.match(refused(`a: ${'{b: '.repeat(300)}1${'}'.repeat(300)}\n`), /nested too deeply/);
    });

    it('brackets in quotes and comments do not count as nesting', () => {
      const many = '['.repeat(300);
      const f = parsed(
        `# ${many}\napiVersion: v1\nkind: Service\nmetadata: {name: reviews, annotations: {a: "${many}\\"${many}", b: '${many}'}}\nspec: {ports: [{port: 80}]}\n`,
      );
      assert.equal(f.objects.length, 1);
    });
  });
});
