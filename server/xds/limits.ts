/**
 * @module server/xds/limits
 * How many resource names a stream subscribes to, for the per-stream and per-server limits of
 * the engine (ads.ts). SotW replaces a type's names with each request, but Delta adds to them, so
 * names pile up across requests; the engine checks the count a request would lead to before
 * applying it (each protocol's `namesAfter`). Pure functions over StreamState.
 */
import type { DeltaRequest, SotwRequest } from '../../proto/wire.js';
import type { DeltaPart, SotwPart, StreamState } from './state.js';

/** Explicitly subscribed names over every type of the stream ("*" is not a name). */
export function subscribedCount(st: StreamState): number {
  let n = 0;
  for (const ts of st.types.values()) n += ts.sub.names.size;
  return n;
}

/**
 * The stream's subscribed-name count after the SotW request `req`, given `current` (its count
 * now). Exact when the result could exceed `limit`; below it a cheap upper bound is enough (no
 * set built for the common ACK that repeats the same names).
 */
export function sotwNamesAfter(st: StreamState<SotwPart>, req: SotwRequest, current: number, limit: number): number {
  const ts = st.types.get(req.typeUrl);
  const had = ts?.sub.names.size ?? 0;
  if (ts && req.resourceNames === ts.own.namesFrom) return current; // the same names, reused by the decoder
  const bound = current - had + req.resourceNames.length;
  if (bound <= limit) return bound;
  const next = new Set(req.resourceNames);
  next.delete('*');
  return current - had + next.size;
}

/** As sotwNamesAfter, for a Delta request (subscribes add, unsubscribes remove). */
export function deltaNamesAfter(st: StreamState<DeltaPart>, req: DeltaRequest, current: number, limit: number): number {
  const ts = st.types.get(req.typeUrl);
  const had = ts?.sub.names.size ?? 0;
  const bound = current + req.resourceNamesSubscribe.length;
  if (bound <= limit) return bound;
  const sub = new Set(req.resourceNamesSubscribe);
  sub.delete('*');
  let n = had;
  for (const x of sub) if (!ts?.sub.names.has(x)) n++;
  for (const x of new Set(req.resourceNamesUnsubscribe)) if (x !== '*' && (ts?.sub.names.has(x) || sub.has(x))) n--;
  return current - had + n;
}
