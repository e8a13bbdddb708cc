/**
 * @module proto/re2
 * Compile checks with RE2 as Envoy runs it (Envoy's regexes are RE2, not JavaScript), through
 * re2-wasm's compiled engine — and with every compiled object freed at once. re2-wasm's `RE2`
 * class never frees what it compiles (its WebAssembly memory is fixed at 16 MB), so after about
 * 6,600 checks every later compile in that thread failed, `abc` included: a slow leak any client
 * sending regexes could drive into "every VirtualService with a regex is rejected". Here each
 * check compiles, reads the verdict and deletes, whether the pattern compiled or not.
 * The pattern is compiled as written, as Envoy does, except that `(?<name>…)` named groups are
 * accepted (the RE2 in current Envoy releases accepts them; this older build spells them `(?P<`).
 */
import { createRequire } from 'node:module';

interface WrappedRE2 {
  ok(): boolean;
  error(): string;
  delete(): void;
}

type WrappedRE2Constructor = new (pattern: string, ignoreCase: boolean, multiline: boolean, dotAll: boolean) => WrappedRE2;

// re2-wasm's package entry point only exports the leaking class; its engine binding lives here.
const { WrappedRE2: Engine } = createRequire(import.meta.url)('re2-wasm/build/wasm/re2.js') as { WrappedRE2: WrappedRE2Constructor };

/** `(?<name>` (not a lookbehind `(?<=`/`(?<!`, not escaped) → `(?P<name>`. */
function namedGroups(p: string): string {
  if (!p.includes('(?<')) return p;
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      out += c + (p[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '(' && p.startsWith('(?<', i) && p[i + 3] !== '=' && p[i + 3] !== '!') {
      out += '(?P<';
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

/** RE2's compile error for `pattern`, or null when RE2 accepts it. Nothing stays allocated. */
export function re2CompileError(pattern: string): string | null {
  const re = new Engine(namedGroups(pattern), false, false, false);
  try {
    return re.ok() ? null : re.error();
  } finally {
    re.delete();
  }
}
