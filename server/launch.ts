/**
 * @module server/launch
 * How the server process is launched, kept in one place: the first line of server/main.ts (and so
 * of the built dist/server/main.js). `npm start`, the container's ENTRYPOINT and the `tspilot` bin
 * execute that file, so the kernel runs the line; the bench (and anything else that must run the
 * server under a particular node binary or with extra node flags) reads the line with
 * `launchLine` and spawns the same environment and node flags. The bench thus measures the
 * process that is deployed.
 * The line sets, for the server's memory (docs/operating.md, "Memory", has the measurements):
 * - `MALLOC_MMAP_THRESHOLD_=131072`: glibc serves every allocation of 128 KiB or more with its own
 *   mmap and returns it to the kernel on free. Without it glibc raises the threshold to the size
 *   of the first such block freed, so the ~1 MB response buffers (grpc-js's framed copy of every
 *   response) land in malloc's heap, and after a cold start or a reconnect storm tens of MB of
 *   freed buffers stay resident in its free lists.
 * - `--max-semi-space-size=4`: V8's young generation of the main thread is 2 × 4 MB instead of up
 *   to 2 × 16 MB — more scavenges, each cheap, and ~20–25 MB less resident heap at the same CPU
 *   (the file parse worker's young generation is capped separately, by its resourceLimits).
 * The line has the form `#!/usr/bin/env -S [NAME=value…] node [node flags…]` (GNU/BSD env).
 */
import { readFileSync } from 'node:fs';

export interface LaunchLine {
  /** Environment variables the line sets. */
  readonly env: Readonly<Record<string, string>>;
  /** Flags the line passes to node, before the script. */
  readonly nodeArgs: readonly string[];
}

/** Parses a `#!/usr/bin/env -S NAME=value… node flags…` line (or a plain `#!/usr/bin/env node`). */
export function parseLaunchLine(line: string): LaunchLine {
  const m = /^#!\/usr\/bin\/env(?:\s+-S)?\s+(.*)$/.exec(line.trim());
  if (!m) throw new Error(`launch line: expected "#!/usr/bin/env -S [NAME=value…] node [flags…]", got "${line}"`);
  const words = m[1]!.split(/\s+/).filter(Boolean);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!); i++) {
    const w = words[i]!;
    env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
  }
  if (words[i] !== 'node') throw new Error(`launch line: expected "node" after the environment, got "${words[i] ?? ''}" in "${line}"`);
  return { env, nodeArgs: words.slice(i + 1) };
}

/** The launch line of a script (dist/server/main.js). */
export function launchLine(script: string): LaunchLine {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  return parseLaunchLine(first);
}

/**
 * How to spawn `script` as its launch line would, under the node running now (`process.execPath`)
 * with `extraNodeArgs` after the line's own flags: command, arguments and environment.
 */
export function launchCommand(
  script: string,
  args: readonly string[],
  extraNodeArgs: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const line = launchLine(script);
  return { command: process.execPath, args: [...line.nodeArgs, ...extraNodeArgs, script, ...args], env: { ...env, ...line.env } };
}

/** A warning for `serve` when the process did not come from the launch line (e.g. `node dist/server/main.js`), else null. */
export function launchWarning(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env['MALLOC_MMAP_THRESHOLD_'] !== undefined) return null;
  return 'started without the launch settings on the first line of dist/server/main.js (MALLOC_MMAP_THRESHOLD_ unset: peak memory is higher); run the file itself, not "node dist/server/main.js" (docs/operating.md, "Memory")';
}
