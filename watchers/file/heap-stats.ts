/**
 * @module watchers/file/heap-stats
 * The V8 heap figures of the isolate that calls `isolateHeap`: committed (resident) and used
 * bytes, in all and per space. The parse worker (parse-worker.ts) answers a heap request with its
 * own; the server's /debug/memory (server/memory.ts) reports the main thread's beside them, so a
 * memory breakdown can say which isolate holds what.
 */
import v8 from 'node:v8';

export interface IsolateHeap {
  /** Bytes of heap pages resident (V8's total_physical_size). */
  readonly committed: number;
  readonly used: number;
  /** The isolate's heap limit (old generation plus young), bytes. */
  readonly limit: number;
  readonly spaces: Readonly<Record<string, { readonly committed: number; readonly used: number }>>;
}

export function isolateHeap(): IsolateHeap {
  const h = v8.getHeapStatistics();
  const spaces: Record<string, { committed: number; used: number }> = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = { committed: s.physical_space_size, used: s.space_used_size };
  return { committed: h.total_physical_size, used: h.used_heap_size, limit: h.heap_size_limit, spaces };
}
