/**
 * @module translators/pieces
 * Resources built element by element (issue 18: a change costs what it touches, not the mesh). A
 * sidecar's route config holds a virtual host per service on its port — hundreds in a big mesh —
 * and a VirtualService edit changes one of them. An output that can say how a resource is made of
 * its one repeated field's elements (`PiecewiseOutput.pieces`) lets the cache
 * (server/cache/pieces.ts) re-translate and re-encode only the elements whose recorded
 * dependencies changed and splice the bytes of the others from the previous encoding.
 *
 * Contract of a `PieceList`: the resource is `{ ...shell, [field]: keys.map((_, i) => build(s, i)) }`
 * (`assemble`, exactly what the output's `get` answers); a key is unique within the resource and
 * names everything its element is built from besides what the element reads through `s` (which
 * `Pieces.build` records, translators/deps.ts) — equal key and untouched dependencies mean an
 * equal element. What the shell and the list of keys read is `Pieces.deps`.
 */
import { record, type DepOutput, type Deps } from './deps.js';
import type { TypeOutput } from './generated.js';
import type { Scope } from './scope.js';

/** A resource as its shell, the repeated field its elements go in, their keys and a builder per element. */
export interface PieceList<T, E> {
  /** The resource with `field` empty. */
  readonly shell: T;
  readonly field: string;
  readonly keys: readonly string[];
  build(s: Scope, index: number): E;
}

/** A PieceList whose reads are recorded: what the cache sees. */
export interface Pieces<T = object, E = unknown> {
  readonly shell: T;
  readonly field: string;
  readonly keys: readonly string[];
  /** What the shell and the list of keys read. */
  readonly deps: Deps;
  /** Element `index`, with what it read. */
  build(index: number): { readonly value: E; readonly deps: Deps };
}

/** An output some of whose resources can be built as pieces. */
export interface PiecewiseOutput<T> extends DepOutput<T> {
  /** The resource `name` as pieces, or undefined (not listed, or built whole only). */
  pieces(name: string): Pieces | undefined;
}

/** The whole resource a PieceList stands for. */
export function assemble<T, E>(p: PieceList<T, E>, s: Scope): T {
  return { ...p.shell, [p.field]: p.keys.map((_, i) => p.build(s, i)) };
}

/** `make` run on a recording scope, and each element built on one of its own. */
export function recordPieces<T, E>(scope: Scope, make: (s: Scope) => PieceList<T, E>): Pieces<T, E> {
  const r = record(scope, make);
  const p = r.value;
  return {
    shell: p.shell,
    field: p.field,
    keys: p.keys,
    deps: r.deps,
    build: (i) => record(scope, (s) => p.build(s, i)),
  };
}

/** `out` that also answers `pieces` (undefined for a name `out` does not list). */
export function piecewise<T extends object>(out: DepOutput<T>, pieces: (name: string) => Pieces<T> | undefined): PiecewiseOutput<T> {
  let listed: ReadonlySet<string> | undefined;
  return {
    ...out,
    pieces: (name) => ((listed ??= new Set(out.names())).has(name) ? pieces(name) : undefined),
  };
}

/** The output's `pieces`, when it has them. */
export function piecesOf(o: TypeOutput<object>): ((name: string) => Pieces | undefined) | undefined {
  const p = (o as Partial<PiecewiseOutput<object>>).pieces;
  return typeof p === 'function' ? p : undefined;
}
