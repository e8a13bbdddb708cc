/**
 * @module watchers/store/debounce
 * `debounceMax(quietMs, maxMs)`: emits the latest value once the source has been quiet for
 * `quietMs`, but never holds a value longer than `maxMs` after the first one of a burst (istiod's
 * PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX: 100 ms / 10 s). Values in a burst are folded with
 * `merge` (default: keep the latest). On completion a pending value is flushed first.
 * `maxFor(value)` lets a value shorten the wait of the burst it joins: the burst is flushed at the
 * earliest of (arrival + maxFor) over its values — so endpoint changes get their own short maximum
 * under a steady stream of events, and `0` flushes as soon as the current run of values is over (on
 * the default scheduler: a microtask, not a timer turn, so an endpoint removal waits for no timer;
 * values arriving in the same tick still fold together). Scheduler-driven, so marble tests can run
 * it on virtual time.
 */
import { Observable, asapScheduler, asyncScheduler, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

export function debounceMax<T>(
  quietMs: number,
  maxMs: number,
  merge: (acc: T, next: T) => T = (_a, n) => n,
  scheduler: SchedulerLike = asyncScheduler,
  maxFor: (value: T) => number = () => maxMs,
): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((sub) => {
      let pending: { value: T } | null = null;
      let quietTimer: Subscription | null = null;
      let maxTimer: Subscription | null = null;
      let deadline = Infinity;
      const flush = (): void => {
        quietTimer?.unsubscribe();
        maxTimer?.unsubscribe();
        quietTimer = maxTimer = null;
        deadline = Infinity;
        if (!pending) return;
        const { value } = pending;
        pending = null;
        sub.next(value);
      };
      const inner = source.subscribe({
        next: (v) => {
          pending = pending ? { value: merge(pending.value, v) } : { value: v };
          quietTimer?.unsubscribe();
          quietTimer = scheduler.schedule(flush, quietMs);
          const wait = Math.max(0, Math.min(maxMs, maxFor(v)));
          const now = scheduler.now();
          if (now + wait < deadline) {
            deadline = now + wait;
            maxTimer?.unsubscribe();
            // No wait: flushed as soon as the current run of values is over, not a timer turn later.
            maxTimer = (wait === 0 && scheduler === asyncScheduler ? asapScheduler : scheduler).schedule(flush, wait);
          }
        },
        error: (e) => sub.error(e),
        complete: () => {
          flush();
          sub.complete();
        },
      });
      return () => {
        inner.unsubscribe();
        quietTimer?.unsubscribe();
        maxTimer?.unsubscribe();
      };
    });
}
