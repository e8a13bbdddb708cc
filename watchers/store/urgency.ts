/**
 * @module watchers/store/urgency
 * How long a change may wait in the debounce, decided per event against the store before it is
 * applied: `removal` (an endpoint that was ready no longer is, or its slice is gone — a proxy
 * would keep sending to a dead pod: push on the next tick), `endpoints` (other EndpointSlice /
 * Endpoints / Pod changes — Pods carry the labels subsets select on: a short maximum, so steady
 * churn cannot hold them for the full debounce maximum), `config` (everything else). Pure.
 * A folder source replaces a whole file at once: `replaceUrgency` judges such an event by the keys
 * it actually changed, against the ready addresses its endpoint objects had before
 * (`endpointsBefore`), so a rolling update written to a file is pushed as soon as one from the
 * Kubernetes API.
 */
import type { ConfigEvent, ConfigKey, ConfigObject } from '../../model/config.js';
import { ENDPOINT_KINDS } from '../../model/push.js';

export type Urgency = 'config' | 'endpoints' | 'removal';

function readyAddresses(o: ConfigObject | undefined): Set<string> {
  const out = new Set<string>();
  const slices = o?.kind === 'EndpointSlice' ? [o] : o?.kind === 'Endpoints' ? o.slices : [];
  for (const s of slices) for (const a of s.endpoints) if (a.ready) out.add(a.ip);
  return out;
}

export function changeUrgency(objects: ReadonlyMap<ConfigKey, { readonly object: ConfigObject }>, ev: ConfigEvent): Urgency {
  if (ev.type !== 'upsert' && ev.type !== 'delete') return 'config';
  const kind = ev.key.slice(0, ev.key.indexOf('/'));
  if (kind === 'Pod') return 'endpoints';
  if (!ENDPOINT_KINDS.has(kind)) return 'config';
  const before = readyAddresses(objects.get(ev.key)?.object);
  const after = ev.type === 'upsert' ? readyAddresses(ev.object) : new Set<string>();
  for (const ip of before) if (!after.has(ip)) return 'removal';
  return 'endpoints';
}

/** The longest a change of that urgency may wait, given the two debounce maxima. */
export function maxWaitFor(u: Urgency, configMaxMs: number, endpointsMaxMs: number): number {
  return u === 'removal' ? 0 : u === 'endpoints' ? Math.min(configMaxMs, endpointsMaxMs) : configMaxMs;
}

const kindOf = (key: ConfigKey): string => key.slice(0, key.indexOf('/'));

/**
 * Before a `replace` event is applied: the ready addresses of every endpoint object the file
 * declared (`declared`, the store's keys of that origin) or now declares.
 */
export function endpointsBefore(
  objects: ReadonlyMap<ConfigKey, { readonly object: ConfigObject }>,
  declared: ReadonlySet<ConfigKey> | undefined,
  ev: Extract<ConfigEvent, { type: 'replace' }>,
): Map<ConfigKey, Set<string>> {
  const out = new Map<ConfigKey, Set<string>>();
  const look = (key: ConfigKey): void => {
    if (!out.has(key) && ENDPOINT_KINDS.has(kindOf(key))) out.set(key, readyAddresses(objects.get(key)?.object));
  };
  for (const k of declared ?? []) look(k);
  for (const o of ev.objects) look(o.key);
  return out;
}

/**
 * After the `replace` is applied: a removal if an endpoint object it changed lost a ready address;
 * an endpoint change if every key it changed is an endpoint kind or a Pod; else config.
 */
export function replaceUrgency(
  before: ReadonlyMap<ConfigKey, ReadonlySet<string>>,
  objects: ReadonlyMap<ConfigKey, { readonly object: ConfigObject }>,
  changed: ReadonlySet<ConfigKey>,
): Urgency {
  let config = changed.size === 0;
  for (const key of changed) {
    const kind = kindOf(key);
    if (ENDPOINT_KINDS.has(kind)) {
      const after = readyAddresses(objects.get(key)?.object);
      for (const ip of before.get(key) ?? []) if (!after.has(ip)) return 'removal';
    } else if (kind !== 'Pod') config = true;
  }
  return config ? 'config' : 'endpoints';
}
