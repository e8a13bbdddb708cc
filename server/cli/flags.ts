/**
 * @module server/cli/flags
 * Parsers for numeric and duration flag values: each returns the number or throws commander's
 * InvalidArgumentError, so a bad value is refused before anything starts with an error naming
 * the flag and the value (`option '--push-throttle <n>' argument 'abc' is invalid. …`).
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../model/duration.js';

/** A whole number ≥ `min` (decimal digits only: no `1e3`, no `0x10`, no blanks). */
export function count(min: number): (v: string) => number {
  return (v) => {
    const n = /^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`"${v}" is not a whole number ≥ ${min}`);
    return n;
  };
}

/** A Go-style duration (`100ms`, `10s`, `30m`, `1h30m`), in milliseconds. */
export function duration(v: string): number {
  const ms = parseDuration(v);
  if (ms === null) throw new InvalidArgumentError(`"${v}" is not a duration (e.g. 100ms, 10s, 30m)`);
  return ms;
}
