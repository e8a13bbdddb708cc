/**
 * @module watchers/kube/discovery
 * Which version of a resource the API server serves, from the discovery documents kubectl reads
 * (`/api/v1`, `/apis/<group>`, `/apis/<group>/<version>`): the first of tspilot's preferred
 * versions that the server lists AND that has the resource. `null` when the group or resource is
 * not served (a CRD not installed, a cluster without EndpointSlices); other failures throw.
 */
import { KubeApiError, type KubeClient } from './client.js';
import type { WatchedResource } from './resources.js';

interface ResourceList {
  resources?: { name?: string }[];
}
interface ApiGroup {
  versions?: { version?: string }[];
}

async function getOrNull<T>(client: KubeClient, path: string): Promise<T | null> {
  try {
    return await client.getJson<T>(path);
  } catch (e) {
    if (e instanceof KubeApiError && e.code === 404) return null;
    throw e;
  }
}

export async function servedVersion(client: KubeClient, r: WatchedResource): Promise<string | null> {
  let served: string[];
  if (r.group === '') {
    served = ['v1'];
  } else {
    const g = await getOrNull<ApiGroup>(client, `/apis/${r.group}`);
    served = (g?.versions ?? []).map((v) => v.version ?? '').filter(Boolean);
  }
  for (const v of r.versions) {
    if (!served.includes(v)) continue;
    const list = await getOrNull<ResourceList>(client, r.group ? `/apis/${r.group}/${v}` : `/api/${v}`);
    if (list?.resources?.some((x) => x.name === r.resource)) return v;
  }
  return null;
}
