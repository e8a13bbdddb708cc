/**
 * @module server/xds/namelists
 * SotW name lists shared between streams (issue 18: memory of 2,000 streams). Every stream of a
 * proxy class subscribes to the same EDS and RDS names (hundreds to thousands per stream, resent
 * in every request), so holding one decoded array, its strings and its Set per stream cost
 * ~40 KB a stream. Here a list is kept once, by content: the key is the type and a SHA-256
 * digest of the request's resource_names bytes, so a stream only ever gets a list it sent byte
 * for byte itself (a client cannot put names into another's subscription). The shared array is
 * frozen and its set is only read (subscription.ts copies before any change in place).
 * Bounded by what live streams hold, not by what clients send: lists are held weakly and a
 * list no stream holds any more is collected, its key (and its bytes, kept once per list so an ACK
 * repeating a stream's names is recognised without hashing) dropped with it.
 */
import { createHash } from 'node:crypto';

/** A name list as sent, and the set of its names without "*" (the subscription's explicit names). */
export interface NameList {
  readonly names: readonly string[];
  readonly set: ReadonlySet<string>;
}

const lists = new Map<string, WeakRef<NameList>>();
const byArray = new WeakMap<readonly string[], NameList>();
const dropped = new FinalizationRegistry<string>((key) => {
  if (lists.get(key)?.deref() === undefined) lists.delete(key);
});

/** The key of a request's names: its type and a digest of the resource_names bytes. */
export function nameListKey(typeUrl: string, namesBytes: Uint8Array): string {
  return `${typeUrl}\u0000${createHash('sha256').update(namesBytes).digest('base64')}`;
}

/** The list some live stream sent with these exact bytes, if any. */
export function sharedNameList(key: string): NameList | undefined {
  return lists.get(key)?.deref();
}

/** The resource_names bytes a shared list was decoded from (one copy per list, not per stream). */
const listBytes = new WeakMap<NameList, Uint8Array>();

/**
 * Shares `names` (just decoded from the bytes `key` digests; `bytes`, when given, those bytes) and
 * returns the shared list.
 */
export function shareNameList(key: string, names: readonly string[], bytes?: Uint8Array): NameList {
  const had = sharedNameList(key);
  if (had) {
    if (bytes && !listBytes.has(had)) listBytes.set(had, Uint8Array.from(bytes));
    return had;
  }
  const frozen = Object.isFrozen(names) ? names : Object.freeze([...names]);
  const list: NameList = { names: frozen, set: new Set(frozen.filter((n) => n !== '*')) };
  lists.set(key, new WeakRef(list));
  byArray.set(frozen, list);
  if (bytes) listBytes.set(list, Uint8Array.from(bytes));
  dropped.register(list, key);
  return list;
}

/**
 * Whether `bytes` are the very resource_names bytes the shared list `names` was decoded from: an
 * ACK repeating its stream's last names (the most frequent request) is recognised by one byte
 * comparison, with no digest (a SHA-256 of 600 names per ACK was ~5 ms per 200 ACKs).
 */
export function sameNameBytes(names: readonly string[], bytes: Uint8Array): boolean {
  const list = byArray.get(names);
  const had = list && listBytes.get(list);
  return had !== undefined && had.length === bytes.length && Buffer.from(had.buffer, had.byteOffset, had.length).equals(bytes);
}

/** The shared list whose array this is (the decoder hands these to onRequest), if it is one. */
export const nameListOf = (names: readonly string[]): NameList | undefined => byArray.get(names);

/** Lists currently shared (for tests and metrics). */
export function sharedNameLists(): number {
  let n = 0;
  for (const r of lists.values()) if (r.deref()) n++;
  return n;
}
