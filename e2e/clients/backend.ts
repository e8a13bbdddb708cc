// Contract: a tiny real gRPC backend for end-to-end tests of xDS clients. It serves exactly one
// unary method, /tspilot.test.Echo/Who, with raw-bytes (identity) serializers so no .proto is
// needed, and answers every call with the UTF-8 JSON {"backend": <name>}. It binds 127.0.0.1 on a
// free port; close() always force-shuts it down (in-flight calls are cancelled).
import * as grpc from '@grpc/grpc-js';

export const ECHO_METHOD = '/tspilot.test.Echo/Who';

export interface Backend {
  readonly name: string;
  readonly port: number;
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

export async function startBackend(name: string): Promise<Backend> {
  const server = new grpc.Server();
  const reply = Buffer.from(JSON.stringify({ backend: name }), 'utf8');
  server.addService(echoService, {
    Who: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      callback(null, reply);
    },
  });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p));
    });
  } catch (err) {
    server.forceShutdown();
    throw err;
  }
  let closed = false;
  return {
    name,
    port,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      server.forceShutdown();
    },
  };
}
