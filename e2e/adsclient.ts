/**
 * @module e2e/adsclient
 * A raw ADS client over grpc-js for protocol-level tests: sends DiscoveryRequests built with the
 * project's proto types and records every DiscoveryResponse (decoded) and the final status.
 * Plaintext by default; TLS (with the server's DNS SAN checked) and call metadata through options.
 */
import * as grpc from '@grpc/grpc-js';
import { messageType } from '../proto/registry.js';
import { encodeSotwRequest, type SotwRequest } from '../proto/wire.js';

export interface DecodedResponse {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: { type_url: string; value: Uint8Array }[];
}

export interface RawAds {
  send(r: Partial<SotwRequest> & { typeUrl: string }): void;
  readonly responses: DecodedResponse[];
  /** Resolves with the stream's final status. */
  readonly status: Promise<grpc.StatusObject>;
  next(timeoutMs?: number): Promise<DecodedResponse>;
  close(): void;
}

/** How to reach the server: channel credentials (TLS), channel options (e.g. grpc.ssl_target_name_override) and call metadata (authorization). */
export interface RawAdsOptions {
  readonly credentials?: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
  readonly metadata?: Readonly<Record<string, string>>;
}

export function rawAds(
  address: string,
  path = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
  o: RawAdsOptions = {},
): RawAds {
  const client = new grpc.Client(address, o.credentials ?? grpc.credentials.createInsecure(), o.channelOptions ?? {});
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(o.metadata ?? {})) md.set(k, v);
  const call = client.makeBidiStreamRequest(
    path,
    (b: Buffer) => b,
    (b: Buffer) => b,
    md,
  );
  const responses: DecodedResponse[] = [];
  const t = messageType('envoy.service.discovery.v3.DiscoveryResponse');
  const waiters: ((r: DecodedResponse) => void)[] = [];
  call.on('data', (b: Buffer) => {
    const r = t.toObject(t.decode(b), { defaults: true, arrays: true }) as DecodedResponse;
    responses.push(r);
    waiters.shift()?.(r);
  });
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('error', () => {
    /* reported through status */
  });
  let read = 0;
  return {
    send: (r) => call.write(Buffer.from(encodeSotwRequest(r))),
    responses,
    status,
    next: (timeoutMs = 5000) => {
      if (read < responses.length) return Promise.resolve(responses[read++]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no response in time')), timeoutMs);
        waiters.push((r) => {
          clearTimeout(timer);
          read++;
          resolve(r);
        });
      });
    },
    close: () => {
      call.cancel();
      client.close();
    },
  };
}
