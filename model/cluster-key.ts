/**
 * @module model/cluster-key
 * What a cluster name stands for (istiod's `direction|port|subset|host`, model.BuildSubsetKey;
 * inbound clusters have an empty host). Translators build it once and carry it beside the cluster
 * and its EDS assignment (translators/generated.ts `ClusterOutput.key`), so nothing splits names
 * again; it lives in model/ because the push stage and the xDS engine read it too.
 */

export type Direction = 'outbound' | 'inbound';

export interface ClusterKey {
  readonly direction: Direction;
  readonly port: number;
  readonly subset: string;
  readonly host: string;
}
