/**
 * @module watchers/validate
 * One entry point for every kind: dispatch on apiVersion/kind, read the object through its
 * validator, and return either the typed object with its key or a Rejection naming kind,
 * namespace/name, field and reason. Kinds tspilot does not read are reported as ignored.
 * Shared by the file source, the Kubernetes source and the admission webhook.
 */
import { configKey, type ConfigKey, type ConfigObject, type Rejection } from '../../model/config.js';
import { type Raw, Reader } from './check.js';
import { readDestinationRule } from './destinationrule.js';
import { readEndpointSlice, readEndpoints, readPod, readService } from './k8s.js';
import { readVirtualService } from './virtualservice.js';
import { readServiceEntry } from './serviceentry.js';
import { readWorkloadEntry } from './workloadentry.js';
import { readSidecar } from './sidecar.js';
import { readGateway } from './gateway.js';
import { holdsTlsKeys, readSecret } from './secret.js';
import { readGatewayClass, readKubernetesGateway, readReferenceGrant } from './gatewayapi.js';
import { readGRPCRoute, readHTTPRoute, readTCPRoute, readTLSRoute } from './gatewayapi-routes.js';
import { readAuthorizationPolicy } from './authorizationpolicy.js';
import { readRequestAuthentication } from './requestauthentication.js';
import { readPeerAuthentication } from './peerauthentication.js';
import { readEnvoyFilter } from './envoyfilter.js';
import { readTelemetry } from './telemetry.js';
import { readConfigMap } from './configmap.js';
import { readBackendTLSPolicy } from './backendtlspolicy.js';

export type Validated =
  | { readonly status: 'ok'; readonly key: ConfigKey; readonly object: ConfigObject }
  | { readonly status: 'rejected'; readonly rejection: Rejection }
  | { readonly status: 'ignored'; readonly kind: string; readonly reason: string };

type ReadFn = (r: Reader, raw: Raw, ns: string) => ConfigObject;

const ISTIO_NETWORKING = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'];
const GW_V1 = ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'];
const GW_ALPHA = ['gateway.networking.k8s.io/v1alpha2'];
const ISTIO_SECURITY = ['security.istio.io/v1', 'security.istio.io/v1beta1'];

/** kind → accepted apiVersions and validator. */
const KINDS: Readonly<Record<string, { versions: readonly string[]; read: ReadFn }>> = {
  Service: { versions: ['v1'], read: readService },
  Endpoints: { versions: ['v1'], read: readEndpoints },
  Pod: { versions: ['v1'], read: readPod },
  EndpointSlice: { versions: ['discovery.k8s.io/v1', 'discovery.k8s.io/v1beta1'], read: readEndpointSlice },
  VirtualService: { versions: ISTIO_NETWORKING, read: readVirtualService },
  DestinationRule: { versions: ISTIO_NETWORKING, read: readDestinationRule },
  ServiceEntry: { versions: ISTIO_NETWORKING, read: readServiceEntry },
  WorkloadEntry: { versions: ISTIO_NETWORKING, read: readWorkloadEntry },
  Sidecar: { versions: ISTIO_NETWORKING, read: readSidecar },
  Gateway: { versions: ISTIO_NETWORKING, read: readGateway },
  Secret: { versions: ['v1'], read: readSecret },
  // The Gateway API (gateway.networking.k8s.io). Its `Gateway` is read as kind KubernetesGateway.
  GatewayClass: { versions: GW_V1, read: readGatewayClass },
  KubernetesGateway: { versions: GW_V1, read: readKubernetesGateway },
  HTTPRoute: { versions: GW_V1, read: readHTTPRoute },
  GRPCRoute: { versions: [...GW_V1, ...GW_ALPHA], read: readGRPCRoute },
  ReferenceGrant: { versions: [...GW_V1, ...GW_ALPHA], read: readReferenceGrant },
  TCPRoute: { versions: GW_ALPHA, read: readTCPRoute },
  TLSRoute: { versions: [...GW_ALPHA, 'gateway.networking.k8s.io/v1alpha3'], read: readTLSRoute },
  AuthorizationPolicy: { versions: ISTIO_SECURITY, read: readAuthorizationPolicy },
  RequestAuthentication: { versions: ISTIO_SECURITY, read: readRequestAuthentication },
  PeerAuthentication: { versions: ['security.istio.io/v1', 'security.istio.io/v1beta1'], read: readPeerAuthentication },
  EnvoyFilter: { versions: ['networking.istio.io/v1alpha3'], read: readEnvoyFilter },
  Telemetry: { versions: ['telemetry.istio.io/v1', 'telemetry.istio.io/v1alpha1'], read: readTelemetry },
  // CA bundles for BackendTLSPolicy (folder mode; see docs/gateway-api.md for Kubernetes mode).
  ConfigMap: { versions: ['v1'], read: readConfigMap },
  BackendTLSPolicy: { versions: ['gateway.networking.k8s.io/v1alpha3', 'gateway.networking.k8s.io/v1'], read: readBackendTLSPolicy },
};

/** The Gateway API's Gateway shares its kind name with Istio's: told apart by API group. */
function effectiveKind(kind: string, apiVersion: string): string {
  return kind === 'Gateway' && apiVersion.startsWith('gateway.networking.k8s.io/') ? 'KubernetesGateway' : kind;
}

export const SUPPORTED_KINDS: readonly string[] = Object.keys(KINDS);

function metaOf(raw: unknown, ns: string): { name: string; namespace: string } {
  const m = raw && typeof raw === 'object' ? (raw as Raw)['metadata'] : undefined;
  const mo = m && typeof m === 'object' ? (m as Raw) : {};
  return {
    name: typeof mo['name'] === 'string' ? mo['name'] : '',
    namespace: typeof mo['namespace'] === 'string' && mo['namespace'] ? mo['namespace'] : ns,
  };
}

export function validateObject(raw: unknown, defaultNamespace: string, source: string): Validated {
  const { name, namespace } = metaOf(raw, defaultNamespace);
  const reject = (kind: string, field: string, reason: string): Validated => ({
    status: 'rejected',
    rejection: { key: configKey(kind, namespace, name), kind, namespace, name, source, field, reason },
  });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    return reject('Unknown', '', 'a document must be an object with apiVersion and kind');
  const o = raw as Raw;
  const apiVersion = typeof o['apiVersion'] === 'string' ? o['apiVersion'] : '';
  const kind = effectiveKind(typeof o['kind'] === 'string' ? o['kind'] : '', apiVersion);
  if (!kind) return reject('Unknown', 'kind', 'is required');
  const spec = Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
  if (!spec) return { status: 'ignored', kind, reason: `kind ${kind} is not read by tspilot` };
  if (!spec.versions.includes(apiVersion)) {
    if (apiVersion.split('/')[0] !== spec.versions[0]?.split('/')[0] && !(spec.versions[0] === 'v1' && !apiVersion.includes('/'))) {
      return { status: 'ignored', kind, reason: `${apiVersion} ${kind} is not a kind tspilot reads` };
    }
    return reject(kind, 'apiVersion', `"${apiVersion}" is not a served version of ${kind} (expected ${spec.versions.join(', ')})`);
  }
  // Most Secrets in a cluster hold no certificate (tokens, registry auth): not read, not kept.
  if (kind === 'Secret' && !holdsTlsKeys(o)) return { status: 'ignored', kind, reason: 'a Secret without TLS keys is not read by tspilot' };
  const r = new Reader();
  let obj: ConfigObject;
  try {
    obj = spec.read(r, o, defaultNamespace);
  } catch (e) {
    return reject(kind, '', `validator failed: ${(e as Error).message}`);
  }
  if (r.problems.length) {
    const first = r.problems[0]!;
    const more =
      r.problems.length > 1
        ? ` (and ${r.problems.length - 1} more: ${r.problems
            .slice(1, 4)
            .map((p) => `${p.field}: ${p.reason}`)
            .join('; ')})`
        : '';
    return reject(kind, first.field, first.reason + more);
  }
  return { status: 'ok', key: configKey(kind, obj.meta.namespace, obj.meta.name), object: obj };
}
