/**
 * @module server/cli/table
 * Plain-text tables as istioctl prints them: upper-case headers, columns padded to the widest
 * cell and separated by spaces, no borders. (The `-o json|yaml` renderer is output.ts.)
 */

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
