/**
 * Logs as istiod writes them: string levels, a `scope` field, per-scope levels from istiod's
 * `--log_output_level` syntax, and grpc-js's diagnostics routed into the `grpc` scope.
 */
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { initLogging, logger, parseLogLevels, routeGrpcLogs } from './log.js';

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('server/log', () => {
  after(() =>
    initLogging(
      'info',
      new Writable({
        write(_c, _e, cb) {
          cb();
        },
      }),
    ),
  );

  it("parses istiod's scope:level lists, a bare level as default, and names a bad item", () => {
    assert.deepEqual(parseLogLevels('ads:debug,model:warn'), { default: 'info', scopes: { ads: 'debug', model: 'warn' } });
    assert.deepEqual(parseLogLevels('default:error,kube:none', 'debug'), { default: 'error', scopes: { kube: 'fatal' } });
    assert.deepEqual(parseLogLevels('', 'warning'), { default: 'warn', scopes: {} });
    assert.throws(() => parseLogLevels('ads:loud'), /--log-output-level "ads:loud": "loud" is not a log level/);
    assert.throws(() => parseLogLevels('', 'chatty'), /"chatty" is not a log level/);
  });

  it('writes string levels and istiod scope names, each scope filtered at its own level', () => {
    const s = sink();
    initLogging(parseLogLevels('ads:debug,model:warn'), s.stream);
    logger('ads').debug('ads debug shown');
    logger('store').info('model info hidden');
    logger('store').warn('model warn shown');
    logger('serve').debug('default debug hidden');
    logger('serve').info('default info shown');
    assert.deepEqual(
      s.lines().map((l) => [l['level'], l['scope'], l['msg']]),
      [
        ['debug', 'ads', 'ads debug shown'],
        ['warn', 'model', 'model warn shown'],
        ['info', 'default', 'default info shown'],
      ],
    );
    assert.ok(s.lines().every((l) => !('component' in l)));
  });

  it('routes grpc-js diagnostics through the grpc scope, with grpc-js verbosity following the scope level', () => {
    const s = sink();
    initLogging(parseLogLevels('grpc:debug'), s.stream);
    let verbosity = -1;
    let installed: Partial<Console> = {};
    routeGrpcLogs({
      setLogger: (l) => {
        installed = l;
      },
      setLogVerbosity: (v) => {
        verbosity = v;
      },
      logVerbosity: { DEBUG: 0, INFO: 1, ERROR: 2 },
    });
    installed.error?.('E 2026-01-01 | subchannel | connection refused');
    assert.equal(verbosity, 0);
    assert.deepEqual(
      s.lines().map((l) => [l['level'], l['scope'], l['msg']]),
      [['error', 'grpc', 'E 2026-01-01 | subchannel | connection refused']],
    );
    // Without a grpc level, grpc-js keeps its own default verbosity (ERROR).
    initLogging('debug', sink().stream);
    verbosity = -1;
    routeGrpcLogs({
      setLogger: () => {},
      setLogVerbosity: (v) => {
        verbosity = v;
      },
      logVerbosity: { DEBUG: 0, INFO: 1, ERROR: 2 },
    });
    assert.equal(verbosity, -1);
  });
});
