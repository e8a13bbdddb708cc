/**
 * @module e2e/lines
 * Splits a child process's output stream into lines (the server logs one JSON object per line).
 */
import type { Readable } from 'node:stream';

export function eachLine(stream: Readable, cb: (line: string) => void): void {
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      cb(line);
    }
  });
}
