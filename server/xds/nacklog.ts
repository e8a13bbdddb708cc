/**
 * @module server/xds/nacklog
 * NACK reporting that a client cannot turn into a log flood: each NACK's error text is cut to
 * `NACK_TEXT_MAX` bytes (with a "… (N bytes)" marker) — also where it is kept for syncz and
 * proxy-status — and at most one line per proxy and type is logged per `intervalMs`; the next
 * line says how many were suppressed meanwhile. The per-proxy limit cannot help when every
 * NACKing client is new (a fleet of fresh identities logged one line per NACK in the soak), so
 * the whole log also has a budget: at most `budget` NACK lines per interval, the rest counted and
 * summed up in one line when the next interval starts. State is per live proxy and type
 * (`forget` on disconnect), so it is bounded by the streams served. Logger and clock are injected.
 */

/** Most bytes of a NACK's error text kept and logged (Envoy's messages are a few hundred bytes). */
export const NACK_TEXT_MAX = 1024;

/** `s` cut to `max` bytes of UTF-8, with a marker giving the full size when cut. */
export function truncateText(s: string, max = NACK_TEXT_MAX): string {
  if (s.length <= max / 3) return s; // certainly within max bytes
  const bytes = Buffer.byteLength(s);
  if (bytes <= max) return s;
  let cut = Buffer.from(s).subarray(0, max).toString('utf8');
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1); // a character split by the cut
  return `${cut}… (${bytes} bytes)`;
}

export interface NackInfo {
  readonly proxy: string;
  /** Short type name (cds, eds, …) or the full type URL. */
  readonly type: string;
  readonly nonce: string;
  readonly version: string;
  readonly message: string;
}

export type NackLine = (fields: Record<string, unknown>, msg: string) => void;

export class NackLog {
  /** proxy → type → when its last line was logged and NACKs suppressed since. */
  private readonly last = new Map<string, Map<string, { at: number; suppressed: number }>>();

  /** The current interval of the global budget: when it started, lines logged, NACKs left out. */
  private window = { start: 0, lines: 0, dropped: 0 };

  constructor(
    private readonly log: NackLine,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 10_000,
    private readonly budget = 100,
  ) {}

  /** Whether the global budget allows one more line now (reporting what the last interval left out). */
  private spend(t: number): boolean {
    const w = this.window;
    if (t - w.start >= this.intervalMs) {
      if (w.dropped)
        this.log(
          { suppressed: w.dropped },
          `${w.dropped} NACKs not logged in the last ${this.intervalMs / 1000} s (over ${this.budget} lines); every NACK is still counted in pilot_total_xds_rejects and shown in syncz`,
        );
      this.window = { start: t, lines: 0, dropped: 0 };
    }
    if (this.window.lines >= this.budget) {
      this.window.dropped++;
      return false;
    }
    this.window.lines++;
    return true;
  }

  nack(n: NackInfo): void {
    const t = this.now();
    let byType = this.last.get(n.proxy);
    if (!byType) {
      byType = new Map();
      this.last.set(n.proxy, byType);
    }
    const seen = byType.get(n.type);
    if (seen && t - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    if (!this.spend(t)) {
      byType.set(n.type, { at: t, suppressed: (seen?.suppressed ?? 0) + 1 });
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    byType.set(n.type, { at: t, suppressed: 0 });
    const more = suppressed ? ` (${suppressed} more NACKs of ${n.type} from this proxy since the last line)` : '';
    // The text once per line, in `error` (cut to NACK_TEXT_MAX), not repeated in the message.
    this.log(
      {
        proxy: n.proxy,
        type: n.type,
        nonce: n.nonce,
        version: n.version,
        error: truncateText(n.message),
        ...(suppressed ? { suppressed } : {}),
      },
      `${n.type} NACK from ${n.proxy}${more}`,
    );
  }

  /** The proxy went away: its state goes (a last line if NACKs were suppressed). */
  forget(proxy: string): void {
    const byType = this.last.get(proxy);
    if (!byType) return;
    for (const [type, v] of byType) {
      if (v.suppressed)
        this.log({ proxy, type, suppressed: v.suppressed }, `${v.suppressed} more NACKs of ${type} from ${proxy} before it disconnected`);
    }
    this.last.delete(proxy);
  }

  /** Proxies tracked (for tests). */
  size(): number {
    return this.last.size;
  }
}
