/**
 * @module server/ca/service
 * `istio.v1.auth.IstioCertificateService/CreateCertificate` for grpc-js: the definition (request
 * bytes pass through, so a garbage request gets INVALID_ARGUMENT from here rather than a transport
 * error) and the handler. Per call: the credentials (the `authorization` metadata, `ClusterID`, and
 * the TLS peer certificate when the transport has one) go to the Authenticator; no identity →
 * UNAUTHENTICATED (or the authenticator's PERMISSION_DENIED); the certificate carries ONLY the
 * caller's SPIFFE identities, whatever the CSR asks for; the requested validity is clamped to
 * [1 s, maxTtlSeconds] (0 or absent = defaultTtlSeconds); a bad CSR → INVALID_ARGUMENT with the
 * reason. The answer is the chain leaf → intermediates → root (at least two entries) and the roots.
 * The .proto is loaded from proto/istio/ca.proto at first use.
 */
import * as grpc from '@grpc/grpc-js';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Authenticator, CallCredentials } from '../security/identity.js';
import type { CaLog } from './mesh-ca.js';
import type { CaMetrics } from './metrics.js';
import { CsrError, type MeshCA } from './types.js';
import { DEFAULT_CERT_TTL_SECONDS, MAX_CERT_TTL_SECONDS } from './defaults.js';

export const CA_SERVICE = 'istio.v1.auth.IstioCertificateService';
export const CREATE_CERTIFICATE = `/${CA_SERVICE}/CreateCertificate`;
export { DEFAULT_CERT_TTL_SECONDS, MAX_CERT_TTL_SECONDS };

const PROTO = fileURLToPath(new URL('../../../proto/istio/ca.proto', import.meta.url));

let types: { req: protobuf.Type; res: protobuf.Type } | undefined;
/** The request and response message types (loaded once). */
export function caTypes(): { req: protobuf.Type; res: protobuf.Type } {
  if (types) return types;
  // google/protobuf/struct.proto is one of protobufjs's built-in definitions.
  const root = new protobuf.Root();
  root.loadSync(PROTO, { keepCase: true });
  root.resolveAll();
  types = { req: root.lookupType('istio.v1.auth.IstioCertificateRequest'), res: root.lookupType('istio.v1.auth.IstioCertificateResponse') };
  return types;
}

const raw = (b: Buffer): Buffer => b;

/** grpc-js service definition; requests and responses are bytes (encoded/decoded by the handler). */
export const CA_SERVICE_DEFINITION: grpc.ServiceDefinition = {
  CreateCertificate: {
    path: CREATE_CERTIFICATE,
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  },
};

export interface CaServiceOptions {
  readonly defaultTtlSeconds?: number;
  readonly maxTtlSeconds?: number;
  readonly metrics?: CaMetrics;
  readonly log?: CaLog;
}

/** The validity granted for a requested one: absent/0/negative → default; else within [1, max]. */
export function clampTtl(requested: number, defaultTtl: number, maxTtl: number): number {
  if (!Number.isFinite(requested) || requested <= 0) return Math.min(defaultTtl, maxTtl);
  return Math.min(Math.max(1, Math.floor(requested)), maxTtl);
}

type UnaryCall = grpc.ServerUnaryCall<Buffer, Buffer>;

/** The peer's verified TLS certificate (DER) when the call came over TLS with one. */
function peerCertificate(call: UnaryCall): Uint8Array | undefined {
  const ctx = (call as { getAuthContext?: () => { sslPeerCertificate?: { raw?: Buffer } } | null }).getAuthContext?.();
  const der = ctx?.sslPeerCertificate?.raw;
  return der && der.length ? der : undefined;
}

function first(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

export function credentialsOf(call: UnaryCall): CallCredentials {
  const authorization = first(call.metadata, 'authorization');
  const clusterId = first(call.metadata, 'clusterid');
  const peer = peerCertificate(call);
  return {
    ...(authorization !== undefined ? { authorization } : {}),
    ...(clusterId !== undefined ? { clusterId } : {}),
    ...(peer ? { peerCertificate: peer } : {}),
  };
}

export function caService(ca: MeshCA, auth: Authenticator, opts: CaServiceOptions = {}): grpc.UntypedServiceImplementation {
  const defaultTtl = opts.defaultTtlSeconds ?? DEFAULT_CERT_TTL_SECONDS;
  const maxTtl = opts.maxTtlSeconds ?? MAX_CERT_TTL_SECONDS;
  const m = opts.metrics;
  const { req: reqType, res: resType } = caTypes();
  const fail = (cb: grpc.sendUnaryData<Buffer>, code: grpc.status, details: string): void =>
    cb({ code, details, name: 'CreateCertificate', message: details });
  const handler = (call: UnaryCall, cb: grpc.sendUnaryData<Buffer>): void => {
    void (async () => {
      m?.csrs.inc();
      const creds = credentialsOf(call);
      const result = await auth.authenticate(creds);
      if (!result.ok) {
        m?.authnFailures.inc();
        fail(cb, result.code === 'PERMISSION_DENIED' ? grpc.status.PERMISSION_DENIED : grpc.status.UNAUTHENTICATED, result.message);
        return;
      }
      const identities = result.identity.spiffe;
      if (!identities.length) {
        m?.authnFailures.inc();
        fail(cb, grpc.status.UNAUTHENTICATED, 'the caller was authenticated but has no SPIFFE identity to certify');
        return;
      }
      let csr: string;
      let ttl: number;
      try {
        const o = reqType.toObject(reqType.decode(call.request), { longs: Number, defaults: true }) as {
          csr: string;
          validity_duration: number;
        };
        csr = o.csr;
        ttl = clampTtl(o.validity_duration, defaultTtl, maxTtl);
      } catch (e) {
        m?.csrParseErrors.inc();
        fail(cb, grpc.status.INVALID_ARGUMENT, `the request is not an IstioCertificateRequest: ${(e as Error).message}`);
        return;
      }
      let chain: readonly string[];
      try {
        chain = await ca.sign(csr, identities, ttl);
      } catch (e) {
        if (e instanceof CsrError) {
          m?.csrParseErrors.inc();
          opts.log?.warn({ identity: identities, reason: e.message }, `CSR from ${identities.join(',')} refused: ${e.message}`);
          fail(cb, grpc.status.INVALID_ARGUMENT, `bad CSR: ${e.message}`);
          return;
        }
        m?.signErrors.inc({ error: 'internal' });
        opts.log?.error(
          { identity: identities, err: (e as Error).message },
          `cannot sign a certificate for ${identities.join(',')}: ${(e as Error).message}`,
        );
        fail(cb, grpc.status.INTERNAL, `cannot sign the certificate: ${(e as Error).message}`);
        return;
      }
      m?.issued.inc();
      cb(null, Buffer.from(resType.encode(resType.fromObject({ cert_chain: [...chain], root_cert: ca.roots().join('') })).finish()));
    })().catch((e: unknown) => fail(cb, grpc.status.INTERNAL, `CreateCertificate failed: ${(e as Error).message}`));
  };
  return { CreateCertificate: handler as grpc.UntypedHandleCall };
}
