/**
 * @module server/ui/assets
 * The console's JavaScript, served from this process's own files: the compiled browser modules
 * (dist/server/ui/web/*.js, built by server/ui/web/tsconfig.json) and the ESM builds of preact,
 * preact/hooks and htm from node_modules. Browsers cannot resolve bare specifiers (`'preact'`)
 * without an import map (an inline script the CSP would have to allow), so their import lines
 * are rewritten to relative URLs once, when a file is first asked for. Nothing is fetched from
 * elsewhere: the console works offline and behind a proxy with no internet.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Vendor modules by the name they are served under (`/ui/vendor/<name>`). */
const VENDOR: Readonly<Record<string, string>> = { 'preact.mjs': 'preact', 'hooks.mjs': 'preact/hooks', 'htm.mjs': 'htm' };
const SPECIFIER_FILE: Readonly<Record<string, string>> = { preact: 'preact.mjs', 'preact/hooks': 'hooks.mjs', htm: 'htm.mjs' };

/** Rewrites `from 'preact'`-style imports to `<prefix><file>`; drops source-map comments (the maps are not served). */
export function rewriteImports(js: string, prefix: string): string {
  return js
    .replace(
      /(\bfrom\s*|\bimport\s*\(?\s*)(["'])(preact\/hooks|preact|htm)\2/g,
      (_m, head: string, q: string, spec: string) => `${head}${q}${prefix}${SPECIFIER_FILE[spec]}${q}`,
    )
    .replace(/^\/\/# sourceMappingURL=.*$/gm, '');
}

export class ConsoleAssets {
  private readonly cache = new Map<string, Promise<string | null>>();

  constructor(private readonly webDir: URL = new URL('./web/', import.meta.url)) {}

  /** `app.js` etc.: a compiled console module, or null when there is no such file. */
  script(name: string): Promise<string | null> {
    if (!/^[a-z][a-z0-9-]*\.js$/.test(name)) return Promise.resolve(null);
    return this.memo(`web:${name}`, async () => {
      const names = await readdir(this.webDir).catch(() => [] as string[]);
      if (!names.includes(name)) return null;
      return rewriteImports(await readFile(new URL(name, this.webDir), 'utf8'), './vendor/');
    });
  }

  /** `preact.mjs`, `hooks.mjs` or `htm.mjs` from node_modules, or null for any other name. */
  vendor(name: string): Promise<string | null> {
    const spec = VENDOR[name];
    if (!spec) return Promise.resolve(null);
    return this.memo(`vendor:${name}`, async () => rewriteImports(await readFile(fileURLToPath(import.meta.resolve(spec)), 'utf8'), './'));
  }

  private memo(key: string, load: () => Promise<string | null>): Promise<string | null> {
    let p = this.cache.get(key);
    if (!p) {
      p = load();
      this.cache.set(key, p);
      // A failed read is not remembered: the next request tries again.
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }
}
