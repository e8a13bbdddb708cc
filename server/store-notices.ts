/**
 * @module server/store-notices
 * Logs what the store tolerates but an operator should fix — an object defined in several files
 * (which one is in force), a document of a kind tspilot does not read (once per file and kind) —
 * once when it appears, not on every snapshot, and again only if it goes away and comes back. The
 * same facts are listed in /debug/configz.
 */
import { duplicateDefinitions, ignoredObjects, type StoreState } from '../watchers/store.js';
import type { Logger } from './log.js';

interface Notice { readonly id: string; readonly level: 'warn' | 'info'; readonly fields: Record<string, unknown>; readonly msg: string }

function keyText(key: string): string {
  const [kind, ns, name] = key.split('/');
  return `${kind} ${ns}/${name}`;
}

/** The notices a store state calls for, each with a stable id (what makes it "the same" notice). */
export function storeNotices(st: StoreState): Notice[] {
  const out: Notice[] = duplicateDefinitions(st).map((d) => {
    const files = [d.winner, ...d.ignored];
    return {
      id: `dup|${d.key}|${files.join('|')}`, level: 'warn',
      fields: { key: d.key, files, inForce: d.winner },
      msg: `${keyText(d.key)} is defined in ${files.length} files (${files.join(', ')}); the definition in ${d.winner} is in force (the file whose path sorts first)`,
    };
  });
  const seen = new Set<string>();
  for (const i of ignoredObjects(st)) {
    const id = `ign|${i.source}|${i.apiVersion}|${i.kind}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ id, level: i.level, fields: { file: i.source, kind: i.kind, apiVersion: i.apiVersion, reason: i.reason },
      msg: `${i.source}: skipped ${i.kind} ${i.namespace}/${i.name || '(unnamed)'}${i.level === 'warn' ? ' and any others of that kind' : ''}: ${i.reason}` });
  }
  return out;
}

/** Returns a function to call with the state after each snapshot: it logs notices not logged while they lasted. */
export function noticeLogger(log: Logger): (st: StoreState) => void {
  let logged = new Set<string>();
  return (st) => {
    const now = new Set<string>();
    for (const n of storeNotices(st)) {
      now.add(n.id);
      if (!logged.has(n.id)) log[n.level](n.fields, n.msg);
    }
    logged = now;
  };
}
