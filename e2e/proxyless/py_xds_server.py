# Contract: a real xDS-enabled gRPC server on gRPC C-core (Debian python3-grpcio 1.51, run with
# /usr/bin/python3): `py_xds_server.py <name> <port>` with GRPC_XDS_BOOTSTRAP set. grpc.server(xds=True)
# asks the control plane for its listener (the bootstrap's server_listener_resource_name_template
# with 127.0.0.1:<port>); xds_server_credentials takes TLS from the listener's filter chain
# (insecure fallback). Every method path is served with the UTF-8 JSON {"backend": <name>}, or with
# request metadata `x-echo-peer: 1` {"backend": "<name>|<peer's URI SAN, or 'plaintext'>"}. stdout: {"started": true} once started (Python exposes
# no serving status: tests wait for a successful RPC); stdin EOF or SIGTERM ends it.
import json
import os
import signal
import sys
from concurrent import futures

import grpc

name = sys.argv[1] if len(sys.argv) > 1 else 'server'
port = int(sys.argv[2]) if len(sys.argv) > 2 else 0


def log(*args):
    print('[py_xds_server %s]' % name, *args, file=sys.stderr, flush=True)


class AnyMethod(grpc.GenericRpcHandler):
    def service(self, details):
        del details  # every method is answered the same way

        def answer(_request, context):
            backend = name
            if dict(context.invocation_metadata()).get('x-echo-peer') == '1':
                uris = [u.decode() for u in context.auth_context().get('x509_subject_alternative_name', []) if u.startswith(b'spiffe://')]
                backend = '%s|%s' % (name, uris[0] if uris else 'plaintext')
            return json.dumps({'backend': backend}).encode('utf-8')

        return grpc.unary_unary_rpc_method_handler(answer)  # no serializers: bytes in, bytes out


server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), handlers=[AnyMethod()], xds=True)
creds = grpc.xds_server_credentials(grpc.insecure_server_credentials())
server.add_secure_port('127.0.0.1:%d' % port, creds)
server.start()
print(json.dumps({'started': True}), flush=True)


def stop(*_):
    server.stop(0)
    sys.stdout.flush()
    os._exit(0)


signal.signal(signal.SIGTERM, stop)
for _line in sys.stdin:
    pass
stop()
