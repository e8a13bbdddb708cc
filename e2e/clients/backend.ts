// Contract: a tiny real gRPC backend for end-to-end tests of xDS clients. It serves exactly one
// unary method, /tspilot.test.Echo/Who, with raw-bytes (identity) serializers so no .proto is
// needed, and answers every call with the UTF-8 JSON {"backend": <name>}. In flaky mode
// (`failFirst: n`) it fails the first n attempts of each RPC id (request metadata `x-rpc-id`, counted
// in `attempts`, which several backends may share) with UNAVAILABLE, so retries can be observed.
// It binds 127.0.0.1 on a free port; close() always force-shuts it down (in-flight calls are cancelled).
import * as grpc from '@grpc/grpc-js';

export const ECHO_METHOD = '/tspilot.test.Echo/Who';

export interface Backend {
  readonly name: string;
  readonly port: number;
  /** Attempts seen per RPC id (metadata `x-rpc-id`), flaky mode only. */
  readonly attempts: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

const identity = (b: Buffer): Buffer => b;

const echoService: grpc.ServiceDefinition = {
  Who: {
    path: ECHO_METHOD,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export const RPC_ID_KEY = 'x-rpc-id';

export interface BackendOptions {
  /** Fail the first n attempts of each RPC id with UNAVAILABLE (0 = never fail). */
  readonly failFirst?: number;
  /** Attempt counters per RPC id; pass one map to several backends to count across them. */
  readonly attempts?: Map<string, number>;
}

export async function startBackend(name: string, opts: BackendOptions = {}): Promise<Backend> {
  const server = new grpc.Server();
  const reply = Buffer.from(JSON.stringify({ backend: name }), 'utf8');
  const attempts = opts.attempts ?? new Map<string, number>();
  const failFirst = opts.failFirst ?? 0;
  server.addService(echoService, {
    Who: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const id = call.metadata.get(RPC_ID_KEY)[0];
      if (failFirst > 0 && typeof id === 'string') {
        const n = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, n);
        if (n <= failFirst) {
          callback({ code: grpc.status.UNAVAILABLE, details: `${name}: attempt ${n} of ${id} fails on purpose` });
          return;
        }
      }
      callback(null, reply);
    },
  });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
    });
  } catch (err) {
    server.forceShutdown();
    throw err;
  }
  let closed = false;
  return {
    name,
    port,
    attempts,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      server.forceShutdown();
    },
  };
}
