/**
 * @module bench/proc
 * CPU seconds and RSS of a live process from /proc (Linux), and a sampler that keeps the peak RSS,
 * so the bench measures the server process apart from the fleet that shares the machine.
 */
import { readFileSync } from 'node:fs';

const USER_HZ = 100; // clock ticks per second of utime/stime on Linux

/** utime+stime in seconds and RSS in MiB; zeros once the process is gone. */
export function usage(pid: number): { cpuS: number; rssMiB: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(f[11]) + Number(f[12])) / USER_HZ;
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuS, rssMiB: rss ? Number(rss[1]) / 1024 : 0 };
  } catch {
    return { cpuS: 0, rssMiB: 0 };
  }
}

/** Samples a process every 100 ms for its peak RSS. */
export class ProcStats {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, this.rss());
    }, 100);
  }
  cpu(): number {
    return usage(this.pid).cpuS;
  }
  rss(): number {
    return usage(this.pid).rssMiB;
  }
  resetPeak(): void {
    this.peak = this.rss();
  }
  peakMb(): number {
    return Math.max(this.peak, this.rss());
  }
  stop(): void {
    clearInterval(this.timer);
  }
}
