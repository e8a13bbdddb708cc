/**
 * @module bench/ceiling
 * The bench's physical limit: a bare grpc-js ADS server (SotW and Delta) that answers each
 * stream's first request per type with the same pre-encoded response bytes tspilot sent (read
 * from a directory, one file per type), with no translation, caching or state machine. Run as a
 * child process: prints `{"port": N}` on stdout once listening. With a certificate and key file
 * after the directory it serves TLS (no authentication), so a TLS fleet has a TLS ceiling.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { rawBidiMethod } from '../server/xds/grpc.js';

/** A request's type_url (DiscoveryRequest field 4, DeltaDiscoveryRequest field 2), read without decoding the rest. */
function typeOf(buf: Buffer, field: number): string {
  const r = protobuf.Reader.create(buf);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === field && (tag & 7) === 2) return r.string();
    r.skipType(tag & 7);
  }
  return '';
}

async function main(): Promise<void> {
  const dir = process.argv[2]!;
  const responses = new Map<string, Buffer>();
  for (const f of await readdir(dir)) {
    const [variant, short] = f.replace(/\.bin$/, '').split('-') as [string, string];
    responses.set(`${variant}:${decodeURIComponent(short)}`, await readFile(path.join(dir, f)));
  }
  const server = new grpc.Server({ 'grpc.max_send_message_length': -1 });
  const handler =
    (variant: 'sotw' | 'delta') =>
    (call: grpc.ServerDuplexStream<Buffer, Buffer>): void => {
      const sent = new Set<string>();
      call.on('data', (b: Buffer) => {
        const t = typeOf(b, variant === 'sotw' ? 4 : 2);
        if (sent.has(t)) return;
        const r = responses.get(`${variant}:${t}`);
        if (!r) return;
        sent.add(t);
        call.write(r);
      });
      call.on('end', () => call.end());
      call.on('error', () => {});
    };
  const method = (name: string): grpc.MethodDefinition<Buffer, Buffer> =>
    rawBidiMethod(`/envoy.service.discovery.v3.AggregatedDiscoveryService/${name}`);
  server.addService(
    {
      StreamAggregatedResources: method('StreamAggregatedResources'),
      DeltaAggregatedResources: method('DeltaAggregatedResources'),
    } as grpc.ServiceDefinition,
    {
      StreamAggregatedResources: handler('sotw') as grpc.UntypedHandleCall,
      DeltaAggregatedResources: handler('delta') as grpc.UntypedHandleCall,
    },
  );
  const [certFile, keyFile] = [process.argv[3], process.argv[4]];
  const creds =
    certFile && keyFile
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: await readFile(certFile), private_key: await readFile(keyFile) }], false)
      : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))),
  );
  process.stdout.write(JSON.stringify({ port }) + '\n');
  process.on('SIGTERM', () => {
    server.forceShutdown();
    process.exit(0);
  });
}

await main();
