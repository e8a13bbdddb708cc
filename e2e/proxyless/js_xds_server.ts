// Contract: a real xDS-enabled gRPC server (@grpc/grpc-js-xds 1.14 XdsServer), run as
// `node dist/e2e/proxyless/js_xds_server.js <name> <port>` with GRPC_XDS_BOOTSTRAP set. It asks the
// control plane for its listener (the bootstrap's server_listener_resource_name_template with
// 127.0.0.1:<port>), takes TLS from it through XdsServerCredentials (insecure fallback when the
// filter chain has no transport_socket) and applies its RBAC filters (GRPC_XDS_EXPERIMENTAL_RBAC).
// The methods the tests call are served; the answer is the UTF-8 JSON {"backend": <name>}, or with
// request metadata `x-echo-peer: 1` {"backend": "<name>|<peer's URI SAN, or 'plaintext'>"}.
// stdout: {"started":true} once bound for xDS, {"serving":true} when the first listener is in use,
// {"status":...} on every serving-status change; stdin EOF or SIGTERM ends it.
//
// XdsServer listens on the wildcard address (grpc-js-xds has no host option); tests must bind
// loopback only, so a listen() on a bare port is narrowed to 127.0.0.1 here, in this process only.
import net from 'node:net';
import * as readline from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';

const [name = 'server', portText = '0'] = process.argv.slice(2);
const port = Number(portText);

const listen = net.Server.prototype.listen;
// listen()'s overloads can't be restated through `apply`; the arguments pass through unchanged
// except that a bare port (number, then maybe a callback) gets the loopback host.
net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]): net.Server {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) args.splice(1, 0, '127.0.0.1');
  return (listen as (...a: unknown[]) => net.Server).apply(this, args);
} as typeof net.Server.prototype.listen;

function emit(obj: object): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}
function log(...args: unknown[]): void {
  process.stderr.write(`[js_xds_server ${name}] ${args.map(String).join(' ')}\n`);
}

const identity = (b: Buffer): Buffer => b;
// register() installs the HTTP filters (router, fault, RBAC) an XdsServer validates listeners against.
grpcXds.register();
const server = new grpcXds.XdsServer({ drainGraceTimeMs: 100 });
// grpc-js routes by exact path: register the methods the tests call.
for (const path of ['/cart.Cart/Get', '/cart.Cart/Put', '/inventory.Inventory/List']) {
  const [, service = '', method = ''] = /^\/([^/]+)\/(.+)$/.exec(path) ?? [];
  server.addService(
    {
      [method]: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      [method]: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
        cb(null, Buffer.from(JSON.stringify({ backend: answerName(call) }))),
    },
  );
  void service;
}

/** The backend name, with the peer's identity when the caller asks for it. */
function answerName(call: grpc.ServerUnaryCall<Buffer, Buffer>): string {
  if (call.metadata.get('x-echo-peer')[0] !== '1') return name;
  const san = call.getAuthContext().sslPeerCertificate?.subjectaltname ?? '';
  const uri = san
    .split(', ')
    .find((s) => s.startsWith('URI:'))
    ?.slice(4);
  return `${name}|${uri ?? 'plaintext'}`;
}

const address = `127.0.0.1:${port}`;
const creds = new grpcXds.XdsServerCredentials(grpc.ServerCredentials.createInsecure());
server.addServingStateListener(address, (s) => {
  log('serving status', grpc.status[s.code], s.details);
  emit({ status: grpc.status[s.code], details: s.details });
});
server.bindAsync(address, creds, (err, p) => {
  if (err) {
    log('bind failed', err.message);
    emit({ error: err.message });
    return;
  }
  emit({ serving: true, port: p });
});
emit({ started: true });

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  server.forceShutdown();
  process.stdout.write('', () => process.exit(0));
}
process.on('SIGTERM', stop);
readline.createInterface({ input: process.stdin }).on('close', stop);
