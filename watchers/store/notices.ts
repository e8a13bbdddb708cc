/**
 * @module watchers/store/notices
 * Logs what the store tolerates but an operator should fix — an object defined in several files
 * (which one is in force), a document of a kind tspilot does not read (once per file and kind) —
 * once when it appears, not on every snapshot, and again only if it goes away and comes back. The
 * same facts are listed in /debug/configz. A duplicate is logged only once it has lasted `graceMs`:
 * while a file is renamed or copied and deleted, both paths define its objects for a moment.
 */
import type { StoreLog, StoreStatus } from './status.js';

/** The part of a store status notices are about. */
export type NoticeInput = Pick<StoreStatus, 'duplicates' | 'ignored'>;

interface Notice {
  readonly id: string;
  readonly level: 'warn' | 'info';
  readonly fields: Record<string, unknown>;
  readonly msg: string;
  readonly transient?: boolean;
}

function keyText(key: string): string {
  const [kind, ns, name] = key.split('/');
  return `${kind} ${ns}/${name}`;
}

/** The notices a store status calls for, each with a stable id (what makes it "the same" notice). */
export function storeNotices(st: NoticeInput): Notice[] {
  const out: Notice[] = st.duplicates.map((d) => {
    const files = [d.winner, ...d.ignored];
    return {
      id: `dup|${d.key}|${files.join('|')}`,
      level: 'warn',
      transient: true,
      fields: { key: d.key, files, inForce: d.winner },
      msg: `${keyText(d.key)} is defined in ${files.length} files (${files.join(', ')}); the definition in ${d.winner} is in force (the file whose path sorts first)`,
    };
  });
  const seen = new Set<string>();
  for (const i of st.ignored) {
    const id = `ign|${i.source}|${i.apiVersion}|${i.kind}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({
      id,
      level: i.level,
      fields: { file: i.source, kind: i.kind, apiVersion: i.apiVersion, reason: i.reason },
      msg: `${i.source}: skipped ${i.kind} ${i.namespace}/${i.name || '(unnamed)'}${i.level === 'warn' ? ' and any others of that kind' : ''}: ${i.reason}`,
    });
  }
  return out;
}

/** Returns a function to call with the status of each snapshot: it logs notices not logged while they lasted. */
export function noticeLogger(log: Pick<StoreLog, 'warn' | 'info'>, graceMs = 2000): (st: NoticeInput) => void {
  let logged = new Set<string>();
  /** Transient-kind notices seen but not logged yet: since when. */
  let waiting = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let latest: NoticeInput | undefined;
  const check = (st: NoticeInput): void => {
    latest = st;
    const now = Date.now();
    const nowIds = new Set<string>();
    const nextWaiting = new Map<string, number>();
    for (const n of storeNotices(st)) {
      nowIds.add(n.id);
      if (logged.has(n.id)) continue;
      const since = waiting.get(n.id) ?? now;
      if (n.transient && now - since < graceMs) {
        nextWaiting.set(n.id, since);
        continue;
      }
      log[n.level](n.fields, n.msg);
      logged.add(n.id);
    }
    logged = new Set([...logged].filter((id) => nowIds.has(id)));
    waiting = nextWaiting;
    clearTimeout(timer);
    timer = undefined;
    if (waiting.size) {
      let first = Infinity; // a loop, not Math.min(...): a copied file can make 100k+ duplicates, past the spread limit
      for (const t of waiting.values()) if (t < first) first = t;
      const due = first + graceMs - now;
      timer = setTimeout(
        () => {
          if (latest) check(latest);
        },
        Math.max(due, 1),
      );
      timer.unref();
    }
  };
  return check;
}
