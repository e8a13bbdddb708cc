# Contract: a real gRPC C-core xDS client (Debian python3-grpcio, run with /usr/bin/python3) driven
# over a JSON-lines protocol: one command per stdin line, one answer per stdout line, logs on
# stderr. Same protocol as js_xds_client.ts (see driver.ts). xDS is used when the target is
# xds:///name and GRPC_XDS_BOOTSTRAP (or GRPC_XDS_BOOTSTRAP_CONFIG) is set.
# Ops: rpc, until, close. Startup prints {"ready": true}. Channels are cached per target and kept
# active (subscribe with try_to_connect) because C-core only applies/ACKs pushed xDS updates while
# the channel is active. With XDS_CREDS=1 channels use xds_channel_credentials (TLS as the cluster's
# transport_socket says, from the bootstrap's certificate providers; insecure otherwise); a
# command's `method` overrides the default method path.
import json
import os
import sys
import threading
import time

import grpc
import grpc.experimental  # noqa: F401 - insecure_channel_credentials for the xDS fallback

METHOD = '/tspilot.test.Echo/Who'
# A day: far above any test, well below C-core's int limit. Stops the channel going idle.
IDLE_TIMEOUT_MS = 86_400_000
XDS_CREDS = os.environ.get('XDS_CREDS') == '1'


def log(*args):
    print('[py_xds_client]', *args, file=sys.stderr, flush=True)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


class Target:
    """One channel per target, kept out of IDLE for the life of the process."""

    def __init__(self, target):
        self.target = target
        options = [('grpc.client_idle_timeout_ms', IDLE_TIMEOUT_MS)]
        if XDS_CREDS:
            creds = grpc.xds_channel_credentials(grpc.experimental.insecure_channel_credentials())
            self.channel = grpc.secure_channel(target, creds, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)
        self.calls = {}
        self.closed = False
        self.channel.subscribe(self._on_state, try_to_connect=True)

    def call(self, request, method=METHOD, **kw):
        c = self.calls.get(method)
        if c is None:
            c = self.channel.unary_unary(method)  # no serializers: bytes in, bytes out
            self.calls[method] = c
        return c(request, **kw)

    def _on_state(self, state):
        log('channel', self.target, 'state', state.name)
        if state == grpc.ChannelConnectivity.IDLE and not self.closed:
            # subscribe() only honours try_to_connect once; re-kick from another thread
            # (the delivery thread must not block on the channel's state lock).
            threading.Thread(target=self._kick, daemon=True).start()

    def _kick(self):
        if not self.closed:
            self.channel.subscribe(_noop, try_to_connect=True)

    def close(self):
        self.closed = True
        try:
            self.channel.unsubscribe(self._on_state)
        except Exception:  # noqa: BLE001 - best effort on shutdown
            pass
        self.channel.close()


def _noop(_state):
    pass


targets = {}


def get_target(target):
    if not isinstance(target, str) or not target:
        raise ValueError('target must be a non-empty string')
    t = targets.get(target)
    if t is None:
        t = Target(target)
        targets[target] = t
    return t


def one_rpc(t, metadata, deadline_ms, method=METHOD):
    try:
        reply = t.call(b'', method, timeout=max(deadline_ms, 1) / 1000.0, metadata=metadata)
    except grpc.RpcError as e:
        code = e.code()
        name = code.name if code is not None else 'UNKNOWN'
        return 'error:%s:%s' % (name, e.details() or '')
    text = reply.decode('utf-8', 'replace')
    try:
        backend = json.loads(text).get('backend')
    except (ValueError, AttributeError):
        backend = None
    return backend if isinstance(backend, str) else 'bad-response:' + text


def md_list(metadata):
    return [(str(k).lower(), str(v)) for k, v in (metadata or {}).items()]


def op_rpc(cmd):
    t = get_target(cmd['target'])
    md = md_list(cmd.get('metadata'))
    deadline_ms = cmd.get('deadlineMs', 5000)
    method = cmd.get('method') or METHOD
    results = [one_rpc(t, md, deadline_ms, method) for _ in range(int(cmd.get('n', 1)))]
    return {'id': cmd['id'], 'results': results}


def op_until(cmd):
    t = get_target(cmd['target'])
    md = md_list(cmd.get('metadata'))
    expect = cmd['expect']
    consecutive = int(cmd.get('consecutive', 1))
    timeout_ms = cmd.get('timeoutMs', 30000)
    interval_ms = cmd.get('intervalMs', 5)
    deadline_ms = cmd.get('deadlineMs', 5000)
    end = time.time() * 1000 + timeout_ms
    run, run_start, rpcs, last = 0, None, 0, []
    while True:
        now = time.time() * 1000
        if now >= end:
            return {'id': cmd['id'], 'ok': False, 'error': 'timeout', 'last': last}
        started = now
        # Full deadline (not clamped to `end`): a clamped RPC would report a bogus DEADLINE_EXCEEDED.
        result = one_rpc(t, md, deadline_ms, cmd.get('method') or METHOD)
        rpcs += 1
        last = (last + [result])[-10:]
        if result == expect:
            if run == 0:
                run_start = started
            run += 1
            if run >= consecutive:
                return {'id': cmd['id'], 'ok': True, 'firstAtMs': int(run_start), 'rpcs': rpcs}
        else:
            run = 0
        if interval_ms > 0:
            time.sleep(interval_ms / 1000.0)


shutting_down = False


def _excepthook(args):
    # Connectivity polling threads raise "Channel closed!" once we close their channel.
    if not shutting_down:
        threading.__excepthook__(args)


threading.excepthook = _excepthook


def close_all():
    global shutting_down
    shutting_down = True
    for t in list(targets.values()):
        try:
            t.close()
        except Exception as e:  # noqa: BLE001 - best effort on shutdown
            log('close failed', t.target, e)
    targets.clear()


def main():
    emit({'ready': True})
    while True:
        line = sys.stdin.readline()
        if not line:
            log('stdin EOF')
            break
        line = line.strip()
        if not line:
            continue
        cmd_id = None
        try:
            cmd = json.loads(line)
            cmd_id = cmd.get('id')
            op = cmd.get('op')
            if op == 'rpc':
                emit(op_rpc(cmd))
            elif op == 'until':
                emit(op_until(cmd))
            elif op == 'close':
                close_all()
                emit({'id': cmd_id, 'ok': True})
                break
            else:
                emit({'id': cmd_id, 'error': 'unknown op'})
        except Exception as e:  # noqa: BLE001 - report every failure to the driver
            log('command failed:', repr(e))
            emit({'id': cmd_id, 'error': '%s: %s' % (type(e).__name__, e)})
    close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: gRPC's background threads can delay a normal exit.
    os._exit(0)


if __name__ == '__main__':
    main()
