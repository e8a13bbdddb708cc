/**
 * @module server/cli/table
 * Plain-text tables as istioctl prints them: upper-case headers, columns padded to the widest
 * cell and separated by spaces, no borders. Also the `-o json|yaml` renderer every command shares.
 */
import { stringify } from 'yaml';

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export type OutputFormat = 'json' | 'yaml';

export function render(value: unknown, format: OutputFormat): string {
  return format === 'yaml' ? stringify(value, { lineWidth: 0 }) : JSON.stringify(value, null, 2) + '\n';
}
