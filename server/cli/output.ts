/**
 * @module server/cli/output
 * The `-o json|yaml` renderer every command shares (the yaml package is loaded only by commands
 * that render, not at startup).
 */
import { stringify } from 'yaml';

export type OutputFormat = 'json' | 'yaml';

export function render(value: unknown, format: OutputFormat): string {
  return format === 'yaml' ? stringify(value, { lineWidth: 0 }) : JSON.stringify(value, null, 2) + '\n';
}
