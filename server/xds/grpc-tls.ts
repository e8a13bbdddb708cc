/**
 * @module server/xds/grpc-tls
 * The TLS xDS port (istiod's 15012): the same gRPC services as the plaintext port (grpc.ts), plus
 * any extra ones (the CA's CreateCertificate), behind a node:tls listener this module owns so that
 *  - the serving key/chain and the client-certificate roots come from the MeshCA and are swapped
 *    with `setSecureContext` on every MeshCA change: new handshakes use the new material, open
 *    connections and their streams keep going;
 *  - client certificates are "verified if given" (requested, not required): a certificate that
 *    chains to the mesh roots authenticates the caller; one that does not gives no identity and its
 *    verification error is reported if nothing else authenticates the call;
 *  - malformed hellos, garbage and stalled handshakes (30 s: long enough for thousands of proxies
 *    reconnecting at once on a busy server, where a short limit turns into a retry storm) end only
 *    their own connection.
 * Verified connections are handed to grpc-js through its connection injector. Every stream is
 * authenticated (ChainAuthenticator) as soon as it opens and authorized (namespace/service account)
 * against the node of its first request before anything is served; refusals are UNAUTHENTICATED or
 * PERMISSION_DENIED, reported through `onRefused` and kept (the last 32) for /debug/adsz.
 */
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { MeshCA } from '../ca/types.js';
import type { AuthResult, Authenticator, CallCredentials } from '../security/identity.js';
import { authorizeProxy } from '../security/authorize.js';
import type { AdsEngine } from './ads.js';
import { buildXdsGrpcServer, shutdown, type ExtraService, type XdsGrpcServer, type XdsServerOptions } from './grpc.js';

export interface XdsTlsOptions {
  readonly ca: MeshCA;
  /** Receives the call's credentials, plus `certError` when a client certificate failed verification. */
  readonly authenticator: Authenticator;
  readonly extraServices?: readonly ExtraService[];
  readonly maxSendBytes?: number;
  /** gRPC server options shared with the plaintext port (connection age, keepalive). */
  readonly grpc?: Omit<XdsServerOptions, 'streamOptions' | 'extraServices'>;
  /** A connection that has not completed its TLS handshake by then is closed (default 30 s). */
  readonly handshakeTimeoutMs?: number;
  /** A stream refused (metrics, logs). */
  onRefused?(r: Refusal): void;
  /** A connection that failed its TLS handshake (garbage, bad hello, timeout). */
  onHandshakeError?(peer: string, message: string): void;
  /** New serving material could not be loaded (the previous material stays in use). */
  onRotateError?(message: string): void;
}

export interface Refusal {
  readonly at: number;
  readonly peer: string;
  readonly proxy: string;
  readonly code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED';
  readonly message: string;
}

export interface XdsTlsServer extends XdsGrpcServer {
  /** The most recent refused streams, newest last. */
  refusals(): readonly Refusal[];
  /** Open TLS connections. */
  connections(): number;
}

const KEEP_REFUSALS = 32;

function contextOf(ca: MeshCA): tls.SecureContextOptions {
  const m = ca.serving();
  return { key: m.keyPem, cert: m.certChainPem, ca: [...ca.roots()] };
}

const peerOf = (s: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string =>
  `${s.remoteAddress ?? ''}:${s.remotePort ?? ''}`;

export async function startXdsTlsServer(engine: AdsEngine, host: string, port: number, o: XdsTlsOptions): Promise<XdsTlsServer> {
  const sockets = new Map<string, tls.TLSSocket>();
  const refusals: Refusal[] = [];
  const refuse = (r: Refusal): void => {
    refusals.push(r);
    if (refusals.length > KEEP_REFUSALS) refusals.shift();
    o.onRefused?.(r);
  };

  const streamOptions = (
    call: grpc.ServerDuplexStream<Buffer, Buffer>,
  ): { authorize(proxy: Parameters<typeof authorizeProxy>[1]): Promise<AuthResult> } => {
    const peer = call.getPeer();
    const sock = sockets.get(peer);
    const first = (k: string): string | undefined => {
      const v = call.metadata.get(k)[0];
      return typeof v === 'string' ? v : undefined;
    };
    const verified = call.getAuthContext().sslPeerCertificate?.raw ?? (sock?.authorized ? sock.getPeerCertificate().raw : undefined);
    const presented = sock !== undefined && !sock.authorized && Object.keys(sock.getPeerCertificate()).length > 0;
    const creds: CallCredentials & { certError?: string } = {
      ...(first('authorization') !== undefined ? { authorization: first('authorization') } : {}),
      ...(first('clusterid') !== undefined ? { clusterId: first('clusterid') } : {}),
      ...(verified ? { peerCertificate: new Uint8Array(verified) } : {}),
      ...(presented ? { certError: String(sock.authorizationError ?? 'unknown error') } : {}),
    };
    const authn = o.authenticator.authenticate(creds).catch((e: unknown): AuthResult => ({
      ok: false,
      code: 'UNAUTHENTICATED',
      message: `authentication failed: ${(e as Error).message}`,
    }));
    return {
      authorize: async (proxy) => {
        const r = await authn;
        const out = r.ok ? authorizeProxy(r.identity, proxy) : r;
        if (!out.ok) refuse({ at: Date.now(), peer, proxy: proxy.id, code: out.code, message: out.message });
        return out;
      },
    };
  };

  const server = buildXdsGrpcServer(engine, {
    ...(o.grpc ?? {}),
    ...(o.maxSendBytes !== undefined ? { maxSendBytes: o.maxSendBytes } : {}),
    streamOptions,
    ...(o.extraServices ? { extraServices: o.extraServices } : {}),
  });
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const listener = tls.createServer({
    ...contextOf(o.ca),
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: ['h2'],
    minVersion: 'TLSv1.2',
    handshakeTimeout: o.handshakeTimeoutMs ?? 30_000,
  });
  listener.on('secureConnection', (sock: tls.TLSSocket) => {
    const key = peerOf(sock);
    sockets.set(key, sock);
    sock.on('close', () => {
      if (sockets.get(key) === sock) sockets.delete(key);
    });
    sock.on('error', () => {
      /* the HTTP/2 session reports and closes it */
    });
    if (sock.alpnProtocol !== 'h2') {
      sock.destroy();
      o.onHandshakeError?.(key, 'client did not negotiate ALPN h2 (gRPC needs HTTP/2)');
      return;
    }
    injector.injectConnection(sock);
  });
  listener.on('tlsClientError', (err, sock) => {
    o.onHandshakeError?.(peerOf(sock), err.message);
    sock.destroy();
  });
  const unsubscribe = o.ca.onChange(() => {
    try {
      listener.setSecureContext(contextOf(o.ca));
    } catch (e) {
      o.onRotateError?.(`new TLS serving material not loaded, the previous stays in use: ${(e as Error).message}`);
    }
  });
  const bound = await new Promise<number>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, host, () => {
      listener.off('error', reject);
      const a = listener.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
  return {
    port: bound,
    refusals: () => refusals,
    connections: () => sockets.size,
    close: async () => {
      unsubscribe();
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      await shutdown(server);
      for (const s of sockets.values()) s.destroy();
      await closed;
    },
  };
}
