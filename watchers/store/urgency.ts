/**
 * @module watchers/store/urgency
 * How long a change may wait in the debounce, decided per event against the store before it is
 * applied: `removal` (an endpoint that was ready no longer is, or its slice is gone — a proxy
 * would keep sending to a dead pod: push on the next tick), `endpoints` (other EndpointSlice /
 * Endpoints / Pod changes — Pods carry the labels subsets select on: a short maximum, so steady
 * churn cannot hold them for the full debounce maximum), `config` (everything else). Pure.
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
