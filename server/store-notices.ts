/**
 * @module server/store-notices
 * Logs what the store tolerates but an operator should fix — an object defined in several files
 * (which one is in force) — once when it appears, not on every snapshot, and again only if it goes
 * away and comes back. The same facts are listed in /debug/configz.
 */
import { duplicateDefinitions, type StoreState } from '../watchers/store.js';
import type { Logger } from './log.js';

interface Notice { readonly id: string; readonly fields: Record<string, unknown>; readonly msg: string }

function keyText(key: string): string {
  const [kind, ns, name] = key.split('/');
  return `${kind} ${ns}/${name}`;
}

/** The notices a store state calls for, each with a stable id (what makes it "the same" notice). */
export function storeNotices(st: StoreState): Notice[] {
  return duplicateDefinitions(st).map((d) => {
    const files = [d.winner, ...d.ignored];
    return {
      id: `dup|${d.key}|${files.join('|')}`,
      fields: { key: d.key, files, inForce: d.winner },
      msg: `${keyText(d.key)} is defined in ${files.length} files (${files.join(', ')}); the definition in ${d.winner} is in force (the file whose path sorts first)`,
    };
  });
}

/** Returns a function to call with the state after each snapshot: it logs notices not logged while they lasted. */
export function noticeLogger(log: Logger): (st: StoreState) => void {
  let logged = new Set<string>();
  return (st) => {
    const now = new Set<string>();
    for (const n of storeNotices(st)) {
      now.add(n.id);
      if (!logged.has(n.id)) log.warn(n.fields, n.msg);
    }
    logged = now;
  };
}
