/**
 * @module server/xds/debugtypes
 * istiod's debug types over xDS, which istioctl sends on an ADS stream (`istioctl proxy-status`
 * and `istioctl x … --xds-address`) with the node `debug~0.0.0.0~istioctl~cluster.local`:
 * - `istio.io/debug/syncz`: one `envoy.service.status.v3.ClientConfig` per connected proxy
 *   (node id + CLUSTER_ID/NAMESPACE/ISTIO_VERSION metadata, `generic_xds_configs` with each type's
 *   SYNCED / NOT_SENT / STALE). A NACKed type is STALE, as istiod's debugSyncStatus has it (sent,
 *   not acknowledged): CSDS's ERROR is never sent, so `istioctl proxy-status` prints what it prints
 *   for istiod; the NACK text is in tspilot's /debug/syncz and its own proxy-status;
 * - `istio.io/debug/config_dump` (resource_names = [proxy id or pod.namespace]): the proxy's
 *   envoy.admin.v3 *ConfigDump messages as unnamed resources, as istiod's StatusGen answers;
 * - `istio.io/debug` (resource_names = ["syncz"], ["config_dump?proxyID=…"], …): the debug HTTP
 *   endpoint of that path, its body as the value of an Any typed `istio.io/debug` (DebugGen).
 * Every response carries istiod's `control_plane.identifier` JSON so istioctl fills ISTIOD/VERSION.
 *
 * Who may ask (istiod's rules since ENABLE_DEBUG_ENDPOINT_AUTH): a stream without an identity —
 * the plaintext port, where istiod serves these too — sees everything; on the TLS port the caller
 * must authenticate; an identity in the system namespace sees everything, any other only proxies
 * of its own namespace(s) and, of the generic type, only config_dump. The caller is never
 * registered as a proxy. The engine (ads.ts) hands every request whose type_url starts with
 * `istio.io/debug` to `DebugTypes.handle`.
 */
import type { Proxy } from '../../model/proxy.js';
import { encodeMessage } from '../../proto/encode.js';
import { jsonToStruct, type Json } from '../../proto/struct.js';
import { CDS, ECDS, EDS, LDS, RDS, type XdsType } from '../../proto/typeurls.js';
import type { SotwRequest } from '../../proto/wire.js';
import { parseSpiffe, type AuthResult, type CallerIdentity } from '../security/identity.js';
import { Status, type StreamIO } from './engine-api.js';
import type { StreamState, TypeState } from './state.js';

export const DEBUG_TYPE = 'istio.io/debug';
export const DEBUG_SYNCZ = 'istio.io/debug/syncz';
export const DEBUG_CONFIG_DUMP = 'istio.io/debug/config_dump';
const CLIENT_CONFIG = 'type.googleapis.com/envoy.service.status.v3.ClientConfig';

export const isDebugType = (typeUrl: string): boolean => typeUrl === DEBUG_TYPE || typeUrl.startsWith(DEBUG_TYPE + '/');

/** google.protobuf.Any as encodeMessage takes it. */
interface AnyMsg {
  readonly type_url: string;
  readonly value: Uint8Array;
}

/** The envoy.service.status.v3.ConfigStatus values istiod sends (never ERROR or UNKNOWN). */
type ConfigStatus = 'SYNCED' | 'NOT_SENT' | 'STALE';

/** The stream a debug request came on, as the engine knows it. */
export interface DebugCaller {
  readonly io: StreamIO;
  /** undefined: a transport without identities (plaintext); null: not authenticated yet (TLS, see `authorize`). */
  readonly identity: CallerIdentity | null | undefined;
  authorize?(proxy: Proxy): Promise<AuthResult>;
  /** The connected proxies' streams. */
  streams(): readonly StreamState[];
}

export interface DebugTypesOptions {
  /** istiod's namespace: identities there see every proxy. */
  readonly systemNamespace: string;
  /** `control_plane.identifier` for responses (server/version.ts). */
  readonly controlPlane: string;
  /** A proxy's config dump (`configs` Anys), for `istio.io/debug/config_dump`. */
  configDump(s: StreamState): AnyMsg[];
  /** GET of a debug HTTP path (`/debug/<name>`) for the generic `istio.io/debug` type. */
  httpGet?(pathAndQuery: string): Promise<{ status: number; body: string }>;
  /** A request refused or malformed, for the log. */
  onRefused?(peer: string, message: string): void;
}

/** Namespaces the caller may see; null = all (no identity on the plaintext port, or the system namespace). */
function visibleNamespaces(identity: CallerIdentity | undefined, systemNamespace: string): ReadonlySet<string> | null {
  if (!identity) return null;
  const ns = new Set(identity.spiffe.map((s) => parseSpiffe(s)?.namespace).filter((n): n is string => !!n));
  return ns.has(systemNamespace) ? null : ns;
}

function status(t: TypeState | undefined): ConfigStatus {
  if (!t || !t.nonce) return 'NOT_SENT';
  // istiod does not count a NACK as acknowledging its nonce, so the type stays STALE (tspilot records
  // the reply's nonce either way: the NACK is told apart by `nack`).
  if (t.nack && t.nack.nonce === t.nonce) return 'STALE';
  return t.ackedNonce === t.nonce ? 'SYNCED' : 'STALE';
}

const meta = (s: StreamState, k: string): string => (typeof s.node.metadata[k] === 'string' ? s.node.metadata[k] : '');

/** One ClientConfig (CSDS) per proxy, istiod's syncz shape: LDS, RDS, EDS, CDS, ECDS in that order. */
export function clientConfig(s: StreamState): Uint8Array {
  const types: readonly string[] = [LDS, RDS, EDS, CDS, ECDS];
  const metadata: { [k: string]: Json } = { NAMESPACE: s.proxy.namespace };
  if (meta(s, 'CLUSTER_ID')) metadata['CLUSTER_ID'] = meta(s, 'CLUSTER_ID');
  if (meta(s, 'ISTIO_VERSION')) metadata['ISTIO_VERSION'] = meta(s, 'ISTIO_VERSION');
  return encodeMessage('envoy.service.status.v3.ClientConfig', {
    node: { id: s.proxy.id, metadata: jsonToStruct(metadata) },
    generic_xds_configs: types.map((t) => ({ type_url: t, config_status: status(s.types.get(t as XdsType)) })),
  });
}

/** A stream named by full node id or `pod.namespace`; the newest when a proxy has several. */
function findStream(streams: readonly StreamState[], id: string): StreamState | undefined {
  const found = streams.filter((s) => s.proxy.id === id || `${s.proxy.workloadName}.${s.proxy.namespace}` === id);
  return found[found.length - 1];
}

export class DebugTypes {
  private nonce = 0;

  constructor(private readonly opts: DebugTypesOptions) {}

  /** Answers one request (ACKs of earlier answers are ignored). Never throws: failures end the stream with a status. */
  handle(req: SotwRequest, caller: DebugCaller): void {
    if (req.responseNonce) return; // the client acknowledging (or rejecting) an answer: nothing more to send
    void this.answer(req, caller).catch((e: unknown) =>
      this.refuse(caller, Status.INTERNAL, `cannot answer ${req.typeUrl}: ${(e as Error).message}`),
    );
  }

  private refuse(caller: DebugCaller, code: number, message: string): void {
    this.opts.onRefused?.(caller.io.peer, message);
    caller.io.fail(code, message);
  }

  private async identityOf(req: SotwRequest, caller: DebugCaller): Promise<CallerIdentity | undefined | 'refused'> {
    if (caller.identity !== null) return caller.identity ?? undefined;
    if (!caller.authorize) {
      this.refuse(caller, Status.UNAUTHENTICATED, `${req.typeUrl}: authentication required`);
      return 'refused';
    }
    // Authentication by the port's authenticator; the namespace asked for (metadata NAMESPACE) must be the caller's, as for a proxy.
    const ns = typeof req.node?.metadata['NAMESPACE'] === 'string' ? req.node.metadata['NAMESPACE'] : this.opts.systemNamespace;
    const pseudo = { id: req.node?.id ?? 'debug', namespace: ns, metadata: {} } as unknown as Proxy; // only id, namespace and metadata are read by authorization
    const r = await caller.authorize(pseudo);
    if (!r.ok) {
      this.refuse(
        caller,
        r.code === 'PERMISSION_DENIED' ? Status.PERMISSION_DENIED : Status.UNAUTHENTICATED,
        `${req.typeUrl}: ${r.message}`,
      );
      return 'refused';
    }
    return r.identity;
  }

  private async answer(req: SotwRequest, caller: DebugCaller): Promise<void> {
    const identity = await this.identityOf(req, caller);
    if (identity === 'refused') return;
    const visible = visibleNamespaces(identity, this.opts.systemNamespace);
    const mayRead = (s: StreamState): boolean => !visible || visible.has(s.proxy.namespace);
    let anys: AnyMsg[];
    if (req.typeUrl === DEBUG_SYNCZ) {
      anys = caller
        .streams()
        .filter(mayRead)
        .sort((a, b) => (a.proxy.id < b.proxy.id ? -1 : a.proxy.id > b.proxy.id ? 1 : 0))
        .map((s) => ({ type_url: CLIENT_CONFIG, value: clientConfig(s) }));
    } else if (req.typeUrl === DEBUG_CONFIG_DUMP) {
      if (req.resourceNames.length !== 1) {
        this.refuse(
          caller,
          Status.INVALID_ARGUMENT,
          `${DEBUG_CONFIG_DUMP} takes exactly one resource name (the proxy id or pod.namespace), got ${req.resourceNames.length}`,
        );
        return;
      }
      const s = findStream(caller.streams(), req.resourceNames[0]!);
      // istiod answers an unknown proxy with no resources ("like a 404": another replica may hold it).
      anys = s && mayRead(s) ? this.opts.configDump(s) : [];
    } else if (req.typeUrl === DEBUG_TYPE) {
      const r = await this.generic(req, caller, visible);
      if (r === null) return;
      anys = [{ type_url: DEBUG_TYPE, value: new TextEncoder().encode(r) }];
    } else {
      this.refuse(
        caller,
        Status.INVALID_ARGUMENT,
        `unknown debug type "${req.typeUrl}" (served: ${DEBUG_SYNCZ}, ${DEBUG_CONFIG_DUMP}, ${DEBUG_TYPE})`,
      );
      return;
    }
    caller.io.write(this.response(req.typeUrl, anys));
  }

  /** `istio.io/debug` with one resource name, a debug path (`syncz`, `config_dump?proxyID=…`): that endpoint's body. */
  private async generic(req: SotwRequest, caller: DebugCaller, visible: ReadonlySet<string> | null): Promise<string | null> {
    if (req.resourceNames.length !== 1) {
      this.refuse(
        caller,
        Status.INVALID_ARGUMENT,
        `${DEBUG_TYPE} takes exactly one resource name (a debug path such as syncz or config_dump?proxyID=…), got ${req.resourceNames.length}`,
      );
      return null;
    }
    if (!this.opts.httpGet) {
      this.refuse(caller, Status.INVALID_ARGUMENT, `${DEBUG_TYPE} is not served here`);
      return null;
    }
    const name = req.resourceNames[0]!;
    const url = new URL('/debug/' + name.replace(/^\/+/, '').replace(/^debug\//, ''), 'http://localhost');
    // `../v1/…` and the like resolve outside /debug: only the debug endpoints are reachable this way.
    if (!url.pathname.startsWith('/debug/')) {
      this.refuse(caller, Status.INVALID_ARGUMENT, `${DEBUG_TYPE} "${name}" is not a debug path (e.g. syncz, config_dump?proxyID=…)`);
      return null;
    }
    if (visible) {
      // Outside the system namespace only a config dump of a proxy in the caller's namespace (istiod's activeNamespaceDebuggers, narrowed by the CVE fix).
      const target = url.searchParams.get('proxyID') ?? '';
      const s = url.pathname === '/debug/config_dump' ? findStream(caller.streams(), target) : undefined;
      if (!s || !visible.has(s.proxy.namespace)) {
        this.refuse(
          caller,
          Status.PERMISSION_DENIED,
          `${DEBUG_TYPE} "${name}": the debug info is not available for the caller's identity (namespaces ${[...visible].sort().join(', ') || 'none'})`,
        );
        return null;
      }
    }
    const r = await this.opts.httpGet(url.pathname + url.search);
    return r.body;
  }

  private response(typeUrl: string, anys: readonly AnyMsg[]): Uint8Array {
    const nonce = String(++this.nonce);
    return encodeMessage('envoy.service.discovery.v3.DiscoveryResponse', {
      version_info: nonce,
      type_url: typeUrl,
      nonce,
      resources: anys,
      control_plane: { identifier: this.opts.controlPlane },
    });
  }
}
