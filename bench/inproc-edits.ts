/**
 * @module bench/inproc-edits
 * What the in-process benches (flat-inproc.ts, keyed-inproc.ts, keyed-policy-inproc.ts) share:
 * a file's text as the folder source emits it, the mesh folder folded into a store, and the loop
 * that times one object edited over and over as the store stage and push runner handle it — the
 * first half of the measured edits as the keyed push the store stage makes, the second half as the
 * same request forced full (`exactKeys: false`, as before keying). Keyed pushes go first: a keyed
 * push right after a full one also pays for indexing what the full one translated (part.ts
 * buildIndex), ~30 ms per class at 4,000 services.
 */
import path from 'node:path';
import { readdir, readFile } from 'node:fs/promises';
import type { ConfigEvent, ConfigKey, MeshConfig } from '../model/config.js';
import { parseConfigText } from '../watchers/file/parse.js';
import { buildMesh, DEFAULT_MESH_OPTIONS } from '../watchers/mesh.js';
import { reduce, takeChanges, type StoreState } from '../watchers/store/reduce.js';
import { storeChange } from '../watchers/store/stage.js';
import type { PushRunner } from '../server/push/runner.js';

/** `text` as the folder source emits the file `source`. */
export function fileEvent(source: string, text: string): ConfigEvent {
  const r = parseConfigText(text, source);
  if (!r.ok) throw new Error(`${source}: ${r.reason}`);
  return { type: 'replace', origin: { source }, objects: r.file.objects, rejections: r.file.rejections, ignored: r.file.ignored };
}

/** Every file of `dir` (in name order) folded into `st`. */
export async function foldFolder(st: StoreState, dir: string): Promise<void> {
  for (const f of (await readdir(dir)).sort()) reduce(st, fileEvent(path.join(dir, f), await readFile(path.join(dir, f), 'utf8')));
}

export interface EditLoop {
  readonly st: StoreState;
  readonly mesh: MeshConfig;
  readonly runner: PushRunner;
  /** What the streams read after a push (every class's wildcard sets). */
  readonly read: () => void;
  /** The file the edited object lives in. */
  readonly source: string;
  /** The edited object's text, variant `e` (0, 1, …: consecutive variants differ). */
  readonly variant: (e: number) => string;
  /** Edits made before the measured ones. */
  readonly warmup: number;
  /** Measured edits: half keyed, half full. */
  readonly edits: number;
}

/** Push + read ms of each measured edit, keyed and forced full. */
export function timeKeyedAndFull(o: EditLoop): { keyed: number[]; full: number[] } {
  const out = { keyed: [] as number[], full: [] as number[] };
  let mesh = o.mesh;
  for (let e = 0; e < o.warmup + o.edits; e++) {
    const parsed = parseConfigText(o.variant(e), o.source);
    const obj = parsed.ok ? parsed.file.objects[0] : undefined;
    if (!obj) throw new Error(`${o.source}: the edited object does not parse`);
    reduce(o.st, { type: 'upsert', key: obj.key as ConfigKey, object: obj.object, origin: { source: o.source } });
    const { kinds, keys } = takeChanges(o.st);
    const next = buildMesh(o.st, DEFAULT_MESH_OPTIONS, mesh, kinds, keys).mesh;
    const req = storeChange(mesh, next, kinds, keys);
    const keyed = e < o.warmup + o.edits / 2;
    const t = performance.now();
    o.runner.push(keyed ? req : { ...req, exactKeys: false });
    o.read();
    if (e >= o.warmup) (keyed ? out.keyed : out.full).push(performance.now() - t);
    mesh = next;
  }
  return out;
}
