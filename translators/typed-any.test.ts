/**
 * @module translators/typed-any.test
 * Every type name passed to `typedAny(...)` in translators/ and server/ must resolve in the proto
 * registry (proto/registry.ts). An unknown name would otherwise fail only at encode time, for the
 * proxies whose config reaches that line — and the resource would be dropped. The names are found
 * statically with the TypeScript parser: a string literal, or a `const` initialised with one (in
 * the same file, else in any scanned file); any other argument is reported, so every call stays
 * checkable.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { messageType } from '../proto/registry.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCANNED = ['translators', 'server'];

export interface TypedAnyUse {
  readonly file: string;
  readonly line: number;
  readonly name?: string;
  readonly problem?: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'testdata' ? [] : sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function stringValue(e: ts.Expression | undefined): string | undefined {
  return e && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e.text : undefined;
}

/** Every `typedAny(name, …)` call in `sources` (file → text), with its type name resolved or a problem. */
export function typedAnyUses(sources: ReadonlyMap<string, string>): TypedAnyUse[] {
  const parsed = [...sources].map(([file, text]) => ({ file, sf: ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true) }));
  const consts = new Map<string, Map<string, string>>(); // file → const name → string value
  const global = new Map<string, Set<string>>(); // const name → values over all files
  for (const { file, sf } of parsed) {
    const own = new Map<string, string>();
    const visit = (n: ts.Node): void => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) {
        const v = stringValue(n.initializer);
        if (v !== undefined) {
          own.set(n.name.text, v);
          global.set(n.name.text, (global.get(n.name.text) ?? new Set()).add(v));
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    consts.set(file, own);
  }
  const out: TypedAnyUse[] = [];
  for (const { file, sf } of parsed) {
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'typedAny') {
        const line = sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
        const arg = n.arguments[0];
        const literal = stringValue(arg);
        if (literal !== undefined) out.push({ file, line, name: literal });
        else if (arg && ts.isIdentifier(arg)) {
          const local = consts.get(file)?.get(arg.text);
          const anywhere = [...(global.get(arg.text) ?? [])];
          if (local !== undefined) out.push({ file, line, name: local });
          else if (anywhere.length === 1) out.push({ file, line, name: anywhere[0]! });
          else out.push({ file, line, problem: `${arg.text} is not one string constant (${anywhere.length} candidates)` });
        } else out.push({ file, line, problem: `the type name ${arg ? arg.getText(sf) : '(none)'} is not a string literal or constant` });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

/** The uses whose name does not resolve to a message in the proto registry, as `file:line: reason`. */
export function unresolved(uses: readonly TypedAnyUse[]): string[] {
  const bad: string[] = [];
  for (const u of uses) {
    if (u.problem) {
      bad.push(`${u.file}:${u.line}: ${u.problem}`);
      continue;
    }
    try {
      messageType(u.name!);
    } catch (e) {
      bad.push(`${u.file}:${u.line}: ${u.name}: not in the proto registry (${(e as Error).message})`);
    }
  }
  return bad;
}

describe('typedAny type names (translators/, server/)', () => {
  it('every typedAny type name in the sources resolves in the proto registry', () => {
    const sources = new Map(
      SCANNED.flatMap((d) => sourceFiles(path.join(ROOT, d))).map((f) => [path.relative(ROOT, f), fs.readFileSync(f, 'utf8')] as const),
    );
    const uses = typedAnyUses(sources);
    assert.ok(uses.length >= 15, `found only ${uses.length} typedAny calls: the scan is broken`);
    assert.deepEqual(unresolved(uses), []);
    assert.ok(
      uses.some((u) => u.file.endsWith('outbound.ts') && u.name?.endsWith('.HttpConnectionManager')),
      'a constant imported from another file is resolved',
    );
  });

  it('reports an unknown name, and a name it cannot read, with the file and line', () => {
    const uses = typedAnyUses(
      new Map([
        [
          'translators/x.ts',
          "const T = 'envoy.extensions.filters.http.nope.v3.Nope';\nexport const a = typedAny(T, {});\nexport const b = typedAny('envoy.extensions.filters.http.router.v3.Router', {});\n",
        ],
        ['translators/y.ts', 'export function f(t: string) { return typedAny(t, {}); }\n'],
      ]),
    );
    assert.deepEqual(
      unresolved(uses).map((s) => s.replace(/ \(.*\)$/, '')),
      [
        'translators/x.ts:2: envoy.extensions.filters.http.nope.v3.Nope: not in the proto registry',
        'translators/y.ts:1: t is not one string constant',
      ],
    );
  });
});
