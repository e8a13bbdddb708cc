/**
 * Tests for bench/cpuprof-cut.ts: only samples inside the windows count (idle never), each the time
 * since the previous sample, summed by function and by area of the code.
 */
import { strict as assert } from 'node:assert';
import { areaOf, cutProfile, type CpuProfile } from './cpuprof-cut.js';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });

describe('bench/cpuprof-cut', () => {
  it('counts the samples inside the windows, by function and area, idle left out', () => {
    const p: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(idle)', '') },
        { id: 2, callFrame: frame('onPush', 'file:///w/dist/server/xds/sotw.js') },
        { id: 3, callFrame: frame('(garbage collector)', '') },
        { id: 4, callFrame: frame('writeGeneric', 'node:internal/stream_base_commons') },
      ],
      startTime: 1000,
      // Samples at 2000, 3000, …: each counts the 1000 µs before it.
      samples: [2, 2, 1, 3, 4, 2, 2],
      timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000],
    };
    // Windows [2500, 5500) and [7500, 9000): samples at 3000, 4000 (idle), 5000, then 8000.
    const c = cutProfile(p, [
      [2500, 5500],
      [7500, 9000],
    ]);
    assert.equal(c.busyMs, 3);
    assert.deepEqual(c.byFunction, [
      ['onPush server/xds/sotw.js:10', 2],
      ['(garbage collector) :10', 1],
    ]);
    assert.deepEqual(c.byArea, [
      ['server/xds', 2],
      ['(garbage collector)', 1],
    ]);
  });

  it('areas: the project folder under dist, a package, node internals', () => {
    assert.equal(areaOf('file:///w/dist/translators/route.js', 'f'), 'translators');
    assert.equal(areaOf('file:///w/dist/server/cache/part.js', 'f'), 'server/cache');
    assert.equal(areaOf('file:///w/node_modules/@grpc/grpc-js/build/src/server.js', 'f'), '@grpc/grpc-js');
    assert.equal(areaOf('file:///w/node_modules/yaml/dist/parse/parser.js', 'f'), 'yaml');
    assert.equal(areaOf('node:internal/http2/core', 'f'), 'node:http2');
    assert.equal(areaOf('', '(program)'), '(program)');
  });
});
