/**
 * @module translators/envoyfilter/cluster
 * Patches one Cluster as istiod's cluster_patch.go does: every matching CLUSTER patch in order —
 * REMOVE drops it, MERGE merges (Anys such as transport sockets and protocol options merged by
 * type), REPLACE swaps in the patch value. ADDs (INSERT_* behave as ADD) are new clusters.
 * Returns the same object when nothing applied, or null when removed.
 */
import { VALUE_TYPE } from '../../model/envoyfilter.js';
import type { ClusterKey } from '../names.js';
import { isMerge, mergeUnit, type Obj, type ProtoOps, type Unit } from './ops.js';
import { clusterMatches } from './match.js';

export function patchCluster(c: Obj, key: ClusterKey | undefined, units: readonly Unit[], ops: ProtoOps): Obj | null {
  let out = c;
  const name = String(c['name'] ?? '');
  for (const u of units) {
    if (u.patch.applyTo !== 'CLUSTER' || !clusterMatches(u.patch, name, key)) continue;
    if (u.patch.operation === 'REMOVE') return null;
    if (isMerge(u)) out = mergeUnit(ops, VALUE_TYPE.CLUSTER, out, u);
    if (u.patch.operation === 'REPLACE' && u.patch.value) out = u.patch.value as Obj;
  }
  return out;
}

export function addedClusters(units: readonly Unit[]): { unit: Unit; value: Obj }[] {
  return units
    .filter(
      (u) =>
        u.patch.applyTo === 'CLUSTER' &&
        ['ADD', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST'].includes(u.patch.operation) &&
        u.patch.value,
    )
    .map((u) => ({ unit: u, value: u.patch.value as Obj }));
}
