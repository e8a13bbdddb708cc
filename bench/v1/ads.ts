/**
 * @module bench/v1/ads
 * The comparison side of the polling bench: the same proxies as ADS clients. Each stream
 * subscribes to CDS and LDS (wildcard), then to the EDS names of the EDS clusters and the RDS
 * names of the listeners' HCMs, and ACKs every response, as a sidecar does. Streams share one
 * HTTP/2 connection per 50 (a real fleet has one per proxy, which costs ADS a little more).
 */
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { messageType } from '../../proto/registry.js';
import { encodeSotwRequest } from '../../proto/wire.js';
import { CDS, EDS, LDS, RDS } from '../../proto/typeurls.js';

const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const PER_CONNECTION = 50;

export interface AdsFleet {
  responses(): number;
  bytes(): number;
  errors(): number;
  lastError(): string;
  close(): Promise<void>;
}

interface Decoded {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: { type_url: string; value: Uint8Array }[];
}

let types: { resp: protobuf.Type; cluster: protobuf.Type; listener: protobuf.Type; hcm: protobuf.Type } | undefined;
const T = (): NonNullable<typeof types> =>
  (types ??= {
    resp: messageType('envoy.service.discovery.v3.DiscoveryResponse'),
    cluster: messageType('envoy.config.cluster.v3.Cluster'),
    listener: messageType('envoy.config.listener.v3.Listener'),
    hcm: messageType('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
  });

function edsNames(r: Decoded): string[] {
  return r.resources
    .map((a) => T().cluster.toObject(T().cluster.decode(a.value), { enums: String }) as { name: string; type?: string })
    .filter((c) => c.type === 'EDS')
    .map((c) => c.name)
    .sort();
}

function rdsNames(r: Decoded): string[] {
  const out = new Set<string>();
  for (const a of r.resources) {
    const l = T().listener.toObject(T().listener.decode(a.value)) as {
      filter_chains?: { filters?: { typed_config?: { type_url: string; value: Uint8Array } }[] }[];
    };
    for (const fc of l.filter_chains ?? []) {
      for (const f of fc.filters ?? []) {
        if (!f.typed_config?.type_url.endsWith('HttpConnectionManager')) continue;
        const h = T().hcm.toObject(T().hcm.decode(f.typed_config.value)) as { rds?: { route_config_name?: string } };
        if (h.rds?.route_config_name) out.add(h.rds.route_config_name);
      }
    }
  }
  return [...out].sort();
}

/** Opens one ADS stream per node and resolves once every stream has ACKed all four types. */
export async function startAdsFleet(address: string, nodes: readonly string[], onProgress: (acked: number) => void): Promise<AdsFleet> {
  let responses = 0;
  let bytes = 0;
  let errors = 0;
  let last = '';
  let complete = 0;
  const clients: grpc.Client[] = [];
  const calls: grpc.ClientDuplexStream<Buffer, Buffer>[] = [];
  let allDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    allDone = r;
  });
  nodes.forEach((id, i) => {
    if (i % PER_CONNECTION === 0)
      clients.push(new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 << 20 }));
    const call = clients[clients.length - 1]!.makeBidiStreamRequest(
      ADS_PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    calls.push(call);
    const node = {
      id,
      cluster: 'productpage',
      metadata: { NAMESPACE: 'default' },
      userAgentName: 'tspilot-bench',
      clientFeatures: [],
      locality: null,
    };
    const send = (typeUrl: string, names: string[], version = '', nonce = ''): void => {
      call.write(Buffer.from(encodeSotwRequest({ typeUrl, resourceNames: names, versionInfo: version, responseNonce: nonce, node })));
    };
    const names = new Map<string, string>([
      [EDS, ''],
      [RDS, ''],
    ]);
    const acked = new Set<string>();
    call.on('data', (b: Buffer) => {
      responses++;
      bytes += b.length;
      const r = T().resp.toObject(T().resp.decode(b), { defaults: true, arrays: true }) as Decoded;
      let want: string[] = [];
      if (r.type_url === CDS) want = edsNames(r);
      if (r.type_url === LDS) want = rdsNames(r);
      const own = r.type_url === EDS || r.type_url === RDS ? (names.get(r.type_url) ?? '').split(',').filter(Boolean) : [];
      send(r.type_url, own, r.version_info, r.nonce); // ACK
      const dep = r.type_url === CDS ? EDS : r.type_url === LDS ? RDS : null;
      if (dep && want.join(',') !== names.get(dep)) {
        names.set(dep, want.join(','));
        send(dep, want);
      }
      if (!acked.has(r.type_url)) {
        acked.add(r.type_url);
        if (acked.size === 4 && ++complete === nodes.length) allDone();
        if (acked.size === 4 && complete % 100 === 0) onProgress(complete);
      }
    });
    call.on('error', (e: Error) => {
      if (!/Cancelled/i.test(e.message)) {
        errors++;
        last = e.message;
      }
    });
    send(CDS, []);
    send(LDS, []);
  });
  await done;
  onProgress(complete);
  return {
    responses: () => responses,
    bytes: () => bytes,
    errors: () => errors,
    lastError: () => last,
    close: async () => {
      for (const c of calls) c.cancel();
      for (const c of clients) c.close();
    },
  };
}
