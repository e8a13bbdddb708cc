/**
 * Marble tests for debounceMax: quiet-period debounce with a maximum wait, on virtual time.
 */
import { strict as assert } from 'node:assert';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { debounceMax } from './debounce.js';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
}

describe('debounceMax', () => {
  it('emits the latest value after the quiet period', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a 5ms b 5ms c 30ms |');
      // c arrives at 12ms, quiet 10ms → emitted at 22ms.
      expectObservable(src.pipe(debounceMax(10, 100))).toBe('22ms c 20ms |');
    });
  });

  it('never holds a value longer than the maximum wait while events keep coming', () => {
    scheduler().run(({ hot, expectObservable }) => {
      // An event every 5 ms (a@0 … j@45): the 10 ms quiet period is never reached, so the 22 ms
      // maximum flushes e at 22; the next burst starts with f@25 and is flushed at 47 with j.
      const src = hot('a 4ms b 4ms c 4ms d 4ms e 4ms f 4ms g 4ms h 4ms i 4ms j 100ms |');
      expectObservable(src.pipe(debounceMax(10, 22))).toBe('22ms e 24ms j 98ms |');
    });
  });

  it('folds a burst with the merge function', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a b c 20ms |', { a: 1, b: 2, c: 3 });
      expectObservable(src.pipe(debounceMax(5, 100, (x: number, y: number) => x + y))).toBe('7ms s 15ms |', { s: 6 });
    });
  });

  it('flushes a pending value when the source completes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a 2ms |').pipe(debounceMax(10, 100))).toBe('3ms (a|)');
    });
  });

  it('separates bursts that are further apart than the quiet period', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a 20ms b 20ms |').pipe(debounceMax(5, 100))).toBe('5ms a 20ms b 15ms |');
    });
  });

  describe('a value-specific maximum (endpoint-only changes, endpoint removals)', () => {
    // Values: c = config change (max 100), e = endpoint change (max 22), r = endpoint removal (max 0).
    const maxFor = (v: string): number => (v.startsWith('r') ? 0 : v.startsWith('e') ? 22 : 100);
    const op = () => debounceMax<string>(10, 100, (_a, n) => n, undefined, maxFor);

    it('steady endpoint churn is flushed every 22 ms, not after the 100 ms maximum', () => {
      scheduler().run(({ hot, expectObservable }) => {
        const src = hot('a 4ms b 4ms c 4ms d 4ms e 4ms f 4ms g 4ms h 4ms i 4ms j 100ms |', {
          a: 'e1',
          b: 'e2',
          c: 'e3',
          d: 'e4',
          e: 'e5',
          f: 'e6',
          g: 'e7',
          h: 'e8',
          i: 'e9',
          j: 'e10',
        });
        expectObservable(src.pipe(debounceMax<string>(10, 100, (_a, n) => n, undefined, maxFor))).toBe('22ms e 24ms j 98ms |', {
          e: 'e5',
          j: 'e10',
        });
      });
    });

    it('steady config churn still waits for the full maximum', () => {
      scheduler().run(({ hot, expectObservable }) => {
        const src = hot(
          'a 4ms b 4ms c 4ms d 4ms e 4ms f 4ms g 4ms h 4ms i 4ms j 4ms k 4ms l 4ms m 4ms n 4ms o 4ms p 4ms q 4ms r 4ms s 4ms t 4ms u 100ms |',
          {
            a: 'c',
            b: 'c',
            c: 'c',
            d: 'c',
            e: 'c',
            f: 'c',
            g: 'c',
            h: 'c',
            i: 'c',
            j: 'c',
            k: 'c',
            l: 'c',
            m: 'c',
            n: 'c',
            o: 'c',
            p: 'c',
            q: 'c',
            r: 'c',
            s: 'c',
            t: 'c',
            u: 'c',
          },
        );
        // 21 events 5 ms apart (0 … 100): the 100 ms maximum flushes at 100 with u.
        expectObservable(src.pipe(op())).toBe('100ms u 100ms |', { u: 'c' });
      });
    });

    it('an endpoint change joining a config burst brings the whole burst forward', () => {
      scheduler().run(({ hot, expectObservable }) => {
        const src = hot('a 4ms b 4ms c 4ms d 4ms e 4ms f 4ms g 4ms h 100ms |', {
          a: 'c',
          b: 'c',
          c: 'e1',
          d: 'c',
          e: 'c',
          f: 'c',
          g: 'c',
          h: 'c',
        });
        // e1 arrives at 10 → flushed at 32 (10 + 22) with the latest value then (g at 30); h then waits its quiet period.
        expectObservable(src.pipe(op())).toBe('32ms g 12ms h 90ms |', { g: 'c', h: 'c' });
      });
    });

    it('an endpoint removal is flushed at once, folding what arrived in the same tick', () => {
      scheduler().run(({ hot, expectObservable }) => {
        const src = hot('a 9ms (bc) 50ms |', { a: 'c', b: 'c', c: 'r1' });
        expectObservable(src.pipe(debounceMax<string>(20, 100, (x, y) => `${x}+${y}`, undefined, maxFor))).toBe('10ms s 53ms |', {
          s: 'c+c+r1',
        });
      });
    });
    it('on the default scheduler a zero wait flushes before any timer turn, folding the values of the same run', async () => {
      const src = new Subject<string>();
      const out: string[] = [];
      const sub = src.pipe(debounceMax<string>(20, 100, (x, y) => `${x}+${y}`, undefined, maxFor)).subscribe((v) => out.push(v));
      let timerTurn = false;
      setTimeout(() => (timerTurn = true), 0);
      src.next('c');
      src.next('r1');
      assert.deepEqual(out, [], 'not in the middle of the run');
      await Promise.resolve();
      assert.deepEqual(out, ['c+r1'], 'flushed once the run was over');
      assert.equal(timerTurn, false, 'without waiting for a timer');
      sub.unsubscribe();
    });
  });
});
