/**
 * @module watchers/store/events
 * The add / update / delete events istiod counts (pilot_k8s_cfg_events, pilot_k8s_reg_events),
 * derived from a source event judged against the store before it applies: an upsert of a known key
 * is an update, a delete of a known key a delete, and a whole-file `replace` only what changed in
 * that file (new keys added, changed objects updated, keys it no longer declares deleted). Pure.
 */
import type { ConfigEvent } from '../../model/config.js';
import type { StoreState } from './reduce.js';

export type ConfigEventKind = 'add' | 'update' | 'delete';

export function configEvents(objects: StoreState['objects'], ev: ConfigEvent, emit: (kind: string, event: ConfigEventKind) => void): void {
  const kindOf = (key: string): string => key.slice(0, key.indexOf('/'));
  if (ev.type === 'upsert') emit(kindOf(ev.key), objects.has(ev.key) ? 'update' : 'add');
  else if (ev.type === 'delete') {
    if (objects.has(ev.key)) emit(kindOf(ev.key), 'delete');
  } else if (ev.type === 'replace') {
    const now = new Set<string>();
    for (const o of ev.objects) {
      now.add(o.key);
      const prev = objects.get(o.key);
      if (!prev) emit(kindOf(o.key), 'add');
      else if (prev.object !== o.object && JSON.stringify(prev.object) !== JSON.stringify(o.object)) emit(kindOf(o.key), 'update');
    }
    for (const [key, e] of objects) if (e.origin.source === ev.origin.source && !now.has(key)) emit(kindOf(key), 'delete');
  }
}
