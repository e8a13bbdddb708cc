/**
 * Marble tests for debounceMax: quiet-period debounce with a maximum wait, on virtual time.
 */
import { strict as assert } from 'node:assert';
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
});
