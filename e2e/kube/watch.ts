// Contract: serves one watch request as the real apiserver (cacher) does: HTTP 200 with a chunked
// stream of newline-delimited `{"type":...,"object":...}` JSON events.
// - Start point: resourceVersion unset/""/"0" -> synthetic ADDED for the current state, then live;
//   X -> every event after X (replayed from history), then live; X older than the history floor ->
//   a single ERROR event with Status 410 "Expired" and the stream ends (never an HTTP 410).
//   sendInitialEvents=true -> synthetic ADDED for the current state, then (if allowWatchBookmarks) a
//   BOOKMARK annotated `k8s.io/initial-events-end: "true"`; sendInitialEvents=false -> live only.
// - Selectors/namespace are applied per event with the cacher's rules: newly matching -> ADDED,
//   still matching -> MODIFIED, no longer matching (or deleted) -> DELETED carrying the previous
//   content with the event's resourceVersion.
// - allowWatchBookmarks=true -> BOOKMARK every `bookmarkIntervalMs`, object = {kind, apiVersion,
//   metadata: {resourceVersion}} at the current revision (all earlier events already written).
// - timeoutSeconds ends the stream cleanly (terminating chunk). History replay and subscription
//   happen in one synchronous step, so no write can fall between them.
// WatchHub tracks open watches for the test hooks: dropAll (destroy sockets), closeAll (clean end).
import type { ServerResponse } from 'node:http';
import { apiVersionOf, type ResourceDef } from './registry.js';
import { matches, type Selector } from './selectors.js';
import { watchTooOld } from './status.js';
import type { Store, StoreEvent, StoredObject } from './store.js';

export interface WatchRequest {
  def: ResourceDef;
  version: string;
  namespace?: string;
  selector: Selector;
  /** Parsed resourceVersion: undefined for unset/""; 0 for "0". */
  resourceVersion?: number;
  sendInitialEvents?: boolean;
  allowWatchBookmarks: boolean;
  timeoutSeconds?: number;
}

interface ActiveWatch {
  res: ServerResponse;
  stop: () => void;
  path: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export function render(def: ResourceDef, version: string, obj: StoredObject): Record<string, unknown> {
  return { apiVersion: apiVersionOf(def.group, version), kind: def.kind, ...obj };
}

/** The cacher's convertToWatchEvent: what (if anything) this watcher sees for a store event. */
export function convertEvent(
  ev: StoreEvent,
  sel: Selector,
  namespace?: string,
): { type: WatchEventType; object: StoredObject } | undefined {
  if (namespace !== undefined && ev.object.metadata.namespace !== namespace) return undefined;
  const cur = ev.type !== 'DELETED' && matches(sel, ev.object);
  const old = ev.prev !== undefined && matches(sel, ev.prev);
  if (cur && !old) return { type: 'ADDED', object: ev.object };
  if (cur && old) return { type: 'MODIFIED', object: ev.object };
  if (!cur && old) {
    const prev = ev.prev as StoredObject;
    return { type: 'DELETED', object: { ...prev, metadata: { ...prev.metadata, resourceVersion: String(ev.rv) } } };
  }
  return undefined;
}

export class WatchHub {
  private readonly active = new Set<ActiveWatch>();

  constructor(
    private readonly store: Store,
    private readonly bookmarkIntervalMs: number,
  ) {}

  get count(): number {
    return this.active.size;
  }

  paths(): string[] {
    return [...this.active].map((w) => w.path);
  }

  serve(req: WatchRequest, res: ServerResponse, path: string): void {
    const { def, version, selector, namespace } = req;
    const write = (type: WatchEventType, object: unknown): void => {
      if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify({ type, object }) + '\n');
    };
    const bookmark = (initialEventsEnd: boolean): void => {
      const metadata: Record<string, unknown> = { resourceVersion: String(this.store.currentRV) };
      if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
      write('BOOKMARK', { kind: def.kind, apiVersion: apiVersionOf(def.group, version), metadata });
    };
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();

    const rv = req.resourceVersion;
    const sie = req.sendInitialEvents;
    let skipUpTo = 0; // a watch from a future RV must not see events up to that RV
    if (sie === true || (sie === undefined && (rv === undefined || rv === 0))) {
      for (const obj of this.store.current(def)) {
        if (namespace !== undefined && obj.metadata.namespace !== namespace) continue;
        if (matches(selector, obj)) write('ADDED', render(def, version, obj));
      }
      if (sie === true && req.allowWatchBookmarks) bookmark(true);
    } else if (rv !== undefined && rv > 0) {
      skipUpTo = rv;
      const history = this.store.eventsSince(def, rv);
      if (history === undefined) {
        write('ERROR', watchTooOld(rv, this.store.floor(def)));
        res.end();
        return;
      }
      for (const ev of history) {
        const out = convertEvent(ev, selector, namespace);
        if (out) write(out.type, render(def, version, out.object));
      }
    }
    // else: sendInitialEvents=false without a resourceVersion -> start at "now", no synthetic events.

    const unsubscribe = this.store.subscribe(def, (ev) => {
      if (ev.rv <= skipUpTo) return;
      const out = convertEvent(ev, selector, namespace);
      if (out) write(out.type, render(def, version, out.object));
    });
    const timers: NodeJS.Timeout[] = [];
    if (req.allowWatchBookmarks && this.bookmarkIntervalMs > 0) {
      timers.push(setInterval(() => bookmark(false), this.bookmarkIntervalMs));
    }
    if (req.timeoutSeconds !== undefined && req.timeoutSeconds > 0) {
      timers.push(setTimeout(() => res.end(), req.timeoutSeconds * 1000));
    }
    const entry: ActiveWatch = {
      res,
      path,
      stop: () => {
        unsubscribe();
        for (const t of timers) clearTimeout(t);
        this.active.delete(entry);
      },
    };
    this.active.add(entry);
    res.on('close', entry.stop);
  }

  /** Abruptly destroys every watch connection (no terminating chunk): a network failure. */
  dropAll(): number {
    const all = [...this.active];
    for (const w of all) {
      w.stop();
      w.res.socket?.destroy();
      w.res.destroy();
    }
    return all.length;
  }

  /** Ends every watch cleanly, as the server does when a watch's timeout expires. */
  closeAll(): number {
    const all = [...this.active];
    for (const w of all) {
      w.stop();
      w.res.end();
    }
    return all.length;
  }
}
