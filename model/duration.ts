/**
 * @module model/duration
 * Istio/Go duration strings (`10s`, `1.5s`, `250ms`, `1h30m`) to milliseconds and to the
 * protobuf Duration shape. Pure; shared by the validators (which reject bad strings) and the
 * translators (which only ever see validated ones).
 */

const UNIT_MS: Readonly<Record<string, number>> = { h: 3600e3, m: 60e3, s: 1e3, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };
const PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/y;

/** Milliseconds, or null when `s` is not a Go-style duration. */
export function parseDuration(s: string): number | null {
  const t = s.trim();
  if (!t) return null;
  let ms = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < t.length) {
    PART.lastIndex = pos;
    const m = PART.exec(t);
    if (!m) return null;
    ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = PART.lastIndex;
  }
  return ms;
}

/** Protobuf Duration (`{seconds, nanos}`) of a millisecond count; nanos omitted when 0. */
export function msToDuration(ms: number): { seconds: number; nanos?: number } {
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  // Rounding can reach a whole second (1.9999999999s); Duration.nanos must stay below 1e9.
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  return nanos ? { seconds, nanos } : { seconds };
}

/** Protobuf Duration of a validated duration string (0s when it does not parse). */
export function durationOf(s: string): { seconds: number; nanos?: number } {
  return msToDuration(parseDuration(s) ?? 0);
}
