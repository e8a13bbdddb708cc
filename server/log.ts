/**
 * @module server/log
 * Structured JSON logs (pino) shaped as istiod writes them: `level` as a string (`info`, `warn`…),
 * a `scope` field naming the part of the server (istiod's scope names: `default`, `ads`, `model`,
 * `kube`, `ca`, `security`, `grpc`), and per-scope levels set like istiod's
 * `--log_output_level=ads:debug,model:warn` (`--log-output-level`; a bare level sets `default`
 * and every scope not named). grpc-js's own diagnostics go through the same logger (scope `grpc`)
 * instead of plain text on stderr. The root is set once at start (`initLogging`); `logger(x)`
 * returns the child for a component, mapped to its istiod scope.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

/** tspilot's component names → istiod's scope names (one home for the mapping). */
const SCOPE_OF: Readonly<Record<string, string>> = { serve: 'default', http: 'default', store: 'model', source: 'model' };
export const scopeOf = (component: string): string => SCOPE_OF[component] ?? component;

/** The scopes tspilot logs under, for --help and validation messages. */
export const SCOPES: readonly string[] = ['default', 'ads', 'model', 'kube', 'ca', 'security', 'grpc'];

export interface LogLevels {
  readonly default: Level;
  readonly scopes: Readonly<Record<string, Level>>;
}

const isLevel = (v: string): v is Level => (LEVELS as readonly string[]).includes(v);

/**
 * `info`, or istiod's `scope:level,scope:level` (`ads:debug,model:warn`, `default:info`; `none`
 * is istiod's "off", mapped to fatal). Throws naming the bad item.
 */
export function parseLogLevels(spec: string, base: string = 'info'): LogLevels {
  const norm = (l: string): string => (l === 'none' ? 'fatal' : l === 'warning' ? 'warn' : l);
  const b = norm(base.trim().toLowerCase());
  if (!isLevel(b)) throw new Error(`"${base}" is not a log level (${LEVELS.join(', ')})`);
  let def: Level = b;
  const scopes: Record<string, Level> = {};
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = item.lastIndexOf(':');
    const scope = i > 0 ? item.slice(0, i) : 'default';
    const level = norm((i > 0 ? item.slice(i + 1) : item).toLowerCase());
    if (!isLevel(level)) throw new Error(`--log-output-level "${item}": "${level}" is not a log level (${LEVELS.join(', ')}, none)`);
    if (!/^[a-z][a-z0-9-]*$/.test(scope))
      throw new Error(`--log-output-level "${item}": "${scope}" is not a scope name (e.g. ${SCOPES.join(', ')})`);
    if (scope === 'default') def = level;
    else scopes[scope] = level;
  }
  return { default: def, scopes };
}

let root: Logger | undefined;
let levels: LogLevels = { default: 'info', scopes: {} };

/** `level` is a level or istiod's `scope:level,…` list. */
export function initLogging(level: string | LogLevels, destination: NodeJS.WritableStream = process.stdout): Logger {
  levels = typeof level === 'string' ? parseLogLevels(level) : level;
  // The root passes everything any scope wants; each scope's child filters to its own level.
  const lowest = [levels.default, ...Object.values(levels.scopes)].reduce((a, b) => (LEVELS.indexOf(b) < LEVELS.indexOf(a) ? b : a));
  root = pino(
    {
      level: lowest,
      base: { app: 'tspilot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return root.child({ scope: 'default' }, { level: levels.default });
}

export function logger(component: string): Logger {
  root ??= (initLogging(process.env['TSPILOT_LOG_LEVEL'] ?? 'info'), root);
  const scope = scopeOf(component);
  return root!.child({ scope }, { level: levels.scopes[scope] ?? levels.default });
}

/**
 * Routes grpc-js's diagnostics (`setLogger`) to the `grpc` scope. grpc-js filters by its own
 * verbosity (GRPC_VERBOSITY, default ERROR); a level given for the `grpc` scope sets it, so
 * `--log-output-level grpc:debug` shows grpc-js's debug lines.
 */
export function routeGrpcLogs(grpc: {
  setLogger(l: Partial<Console>): void;
  setLogVerbosity(v: number): void;
  logVerbosity: { DEBUG: number; INFO: number; ERROR: number };
}): void {
  const log = logger('grpc');
  const text = (args: unknown[]): string =>
    args
      .map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a)))
      .join(' ')
      .trim();
  grpc.setLogger({
    error: (...a: unknown[]) => log.error(text(a)),
    info: (...a: unknown[]) => log.info(text(a)),
    debug: (...a: unknown[]) => log.debug(text(a)),
    warn: (...a: unknown[]) => log.warn(text(a)),
  });
  // grpc-js's own default (ERROR) unless the grpc scope is named: `grpc:debug` or `grpc:info` opens its lower levels.
  const lvl = levels.scopes['grpc'];
  if (lvl && !process.env['GRPC_VERBOSITY'])
    grpc.setLogVerbosity(
      lvl === 'trace' || lvl === 'debug' ? grpc.logVerbosity.DEBUG : lvl === 'info' ? grpc.logVerbosity.INFO : grpc.logVerbosity.ERROR,
    );
}

/**
 * Now as milliseconds since the epoch with a fraction (performance.timeOrigin + now): one clock for
 * every process on the machine, finer than Date.now, for timelines that join this process's logs
 * with another's (bench/eds-timeline.ts).
 */
export const epochMs = (): number => Math.round((performance.timeOrigin + performance.now()) * 100) / 100;
