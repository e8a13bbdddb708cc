/**
 * @module e2e/gateway-api-kit
 * What the Gateway API status e2e tests share: the real `tspilot serve` in Kubernetes mode against
 * the API server stand-in with the Gateway API CRDs installed and a YAML mesh applied, a client-node
 * CustomObjectsApi to read objects back as a user (or `kubectl get -o yaml`) would, the status
 * shapes they read, and polling until the leader has written what is expected. Always closed by
 * the caller's `after`.
 */
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_RESOURCES, startFakeApiServer, type FakeApiServer, type KubeObject, type ResourceDef } from './kube/apiserver.js';
import { applyYaml, kubeconfigFile, startKubeTspilot, type KubeTspilot } from './kube-mode-kit.js';
import { sleep } from './kube/testkit.js';

export const GW = 'gateway.networking.k8s.io';

/** A Gateway API CRD as the stand-in serves it. */
export const gatewayCrd = (resource: string, kind: string, versions: string[], namespaced = true): ResourceDef => ({
  group: GW,
  versions,
  resource,
  kind,
  namespaced,
  crd: true,
});

export type Cond = { type: string; status: string; reason: string; observedGeneration?: number; lastTransitionTime?: string };
/** The status fields the Gateway API kinds carry (Gateway: conditions/listeners; routes: parents; policies: ancestors). */
export type StatusObj = {
  status?: {
    conditions?: Cond[];
    listeners?: { name: string; attachedRoutes: number; conditions: Cond[] }[];
    parents?: { controllerName: string; conditions: Cond[] }[];
    ancestors?: { ancestorRef: { name: string }; controllerName: string; conditions: Cond[] }[];
  };
};

/** A condition as `"<status> <reason>"`, or `none`. */
export const condOf = (cs: readonly Cond[] | undefined, type: string): string => {
  const c = cs?.find((x) => x.type === type);
  return c ? `${c.status} ${c.reason}` : 'none';
};

/** Reads until `ok`, failing with the last value read after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await sleep(100);
  }
}

export interface GatewayApiKube {
  readonly srv: FakeApiServer;
  readonly pilot: KubeTspilot;
  readonly api: CustomObjectsApi;
  /** A namespaced Gateway API object as the API server holds it. */
  get(plural: string, version: string, namespace: string, name: string): Promise<StatusObj>;
  close(): Promise<void>;
}

/**
 * The stand-in with `crds` installed and `config` (plus `objects`) applied, then tspilot started
 * against it with `args`; resolves once tspilot's xDS port answers.
 */
export async function startGatewayApiKube(
  crds: readonly ResourceDef[],
  config: string,
  opts: { args?: string[]; objects?: KubeObject[] } = {},
): Promise<GatewayApiKube> {
  const srv = await startFakeApiServer({ resources: [...DEFAULT_RESOURCES, ...crds] });
  let kc: Awaited<ReturnType<typeof kubeconfigFile>> | undefined;
  let pilot: KubeTspilot | undefined;
  const close = async (): Promise<void> => {
    await pilot?.close();
    await srv.close();
    await kc?.cleanup();
  };
  try {
    applyYaml(srv, config);
    for (const o of opts.objects ?? []) srv.create(o);
    kc = await kubeconfigFile(srv);
    pilot = await startKubeTspilot(kc.file, opts.args ?? []);
    await pilot.xds();
    const k = new KubeConfig();
    k.loadFromFile(kc.file);
    const api = k.makeApiClient(CustomObjectsApi);
    const get = async (plural: string, version: string, namespace: string, name: string): Promise<StatusObj> =>
      (await api.getNamespacedCustomObject({ group: GW, version, namespace, plural, name })) as StatusObj;
    return { srv, pilot, api, get, close };
  } catch (e) {
    await close();
    throw e;
  }
}
