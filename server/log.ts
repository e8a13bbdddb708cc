/**
 * @module server/log
 * Structured JSON logs (pino) with one child logger per pipeline stage (`component` field:
 * source, store, push, ads, http). Level set at start (`--log-level`, env TSPILOT_LOG_LEVEL).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

let root: Logger | undefined;

export function initLogging(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  root = pino({ level, base: { app: 'tspilot' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  return root;
}

export function logger(component: string): Logger {
  root ??= initLogging(process.env['TSPILOT_LOG_LEVEL'] ?? 'info');
  return root.child({ component });
}
