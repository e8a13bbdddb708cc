/**
 * Tests for watchers/store/notices.ts: what the store tolerates is logged once while it lasts —
 * an object defined in two files (both names), a skipped kind (once per file and kind, warn for a
 * typo or a kind not translated yet, info for an ordinary workload kind).
 */
import assert from 'node:assert/strict';
import type { ConfigEvent } from '../../model/config.js';
import { parseConfigText } from '../file/parse.js';
import { duplicateDefinitions, emptyState, ignoredObjects, reduce, type StoreState } from './reduce.js';
import { noticeLogger as statusNoticeLogger } from './notices.js';
import type { StoreLog } from './status.js';

/** The logger fed with the state's duplicates and ignored documents, as the stage's status carries them. */
const noticeLogger = (log: Pick<StoreLog, 'warn' | 'info'>, graceMs?: number) => {
  const f = statusNoticeLogger(log, graceMs);
  return (st: StoreState): void => f({ duplicates: duplicateDefinitions(st), ignored: ignoredObjects(st) });
};

function fileEvent(source: string, text: string): ConfigEvent {
  const r = parseConfigText(text, source);
  assert.ok(r.ok);
  return { type: 'replace', origin: { source }, objects: r.file.objects, rejections: r.file.rejections, ignored: r.file.ignored };
}

function recorder(): { log: Pick<StoreLog, 'warn' | 'info'>; lines: { level: string; fields: Record<string, unknown>; msg: string }[] } {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push({ level, fields, msg });
    };
  return { log: { warn: at('warn'), info: at('info') }, lines };
}

const doc = (kind: string, name: string, apiVersion = 'networking.istio.io/v1'): string =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: {}\n---\n`;
const SVC = 'apiVersion: v1\nkind: Service\nmetadata: {name: reviews}\nspec: {ports: [{port: 80}]}\n';

describe('watchers/store/notices', () => {
  let st: StoreState;
  beforeEach(() => {
    st = emptyState();
  });

  it('a skipped kind is warned once per file and kind, however many documents and snapshots', () => {
    const { log, lines } = recorder();
    const notice = noticeLogger(log, 0);
    reduce(
      st,
      fileEvent(
        '/m/a.yaml',
        doc('VirtualServce', 'r1') + doc('VirtualServce', 'r2') + doc('WasmPlugin', 'p', 'extensions.istio.io/v1alpha1'),
      ),
    );
    notice(st);
    reduce(st, fileEvent('/m/a.yaml', doc('VirtualServce', 'r1') + doc('WasmPlugin', 'p', 'extensions.istio.io/v1alpha1') + SVC));
    notice(st);
    assert.deepEqual(
      lines.map((l) => [l.level, l.fields['file'], l.fields['kind']]),
      [
        ['warn', '/m/a.yaml', 'VirtualServce'],
        ['warn', '/m/a.yaml', 'WasmPlugin'],
      ],
    );
    assert.match(lines[0]!.msg, /did you mean VirtualService\?/);
    assert.match(lines[1]!.msg, /not translated by tspilot yet/);
    // Another file with the same kind is its own notice.
    reduce(st, fileEvent('/m/b.yaml', doc('VirtualServce', 'x')));
    notice(st);
    assert.equal(lines.length, 3);
    assert.equal(lines[2]!.fields['file'], '/m/b.yaml');
  });

  it('an ordinary workload kind is noted at info level', () => {
    const { log, lines } = recorder();
    noticeLogger(log, 0)((reduce(st, fileEvent('/m/d.yaml', doc('Deployment', 'web', 'apps/v1'))), st));
    assert.deepEqual(
      lines.map((l) => l.level),
      ['info'],
    );
  });

  it('an object defined in two files is warned once, with both names; again only after it went away and came back', () => {
    const { log, lines } = recorder();
    const notice = noticeLogger(log, 0);
    reduce(st, fileEvent('/m/b.yaml', SVC));
    reduce(st, fileEvent('/m/a.yaml', SVC));
    notice(st);
    notice(st);
    assert.equal(lines.length, 1);
    assert.deepEqual(lines[0]!.fields, { key: 'Service/default/reviews', files: ['/m/a.yaml', '/m/b.yaml'], inForce: '/m/a.yaml' });
    reduce(st, { type: 'replace', origin: { source: '/m/b.yaml' }, objects: [], rejections: [] });
    notice(st);
    reduce(st, fileEvent('/m/b.yaml', SVC));
    notice(st);
    assert.equal(lines.length, 2);
  });

  it('a duplicate is logged only once it has lasted the grace period (a rename shows both paths for a moment)', async () => {
    const { log, lines } = recorder();
    const notice = noticeLogger(log, 80);
    reduce(st, fileEvent('/m/a.yaml', SVC));
    reduce(st, fileEvent('/m/b.yaml', SVC));
    notice(st);
    reduce(st, { type: 'replace', origin: { source: '/m/a.yaml' }, objects: [], rejections: [] });
    notice(st);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(lines.length, 0, 'a duplicate that went away within the grace period is not logged');
    reduce(st, fileEvent('/m/c.yaml', SVC));
    notice(st);
    assert.equal(lines.length, 0);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(lines.length, 1, 'logged once it lasted, without waiting for another snapshot');
    assert.deepEqual(lines[0]!.fields['files'], ['/m/b.yaml', '/m/c.yaml']);
  });
});
