/**
 * @module server/replica/options
 * Builds this replica's fan-out from the serve options: `--peers` (static monitoring URLs) or
 * `--peers-service ns/name` (tspilot's own Service, Kubernetes mode only), else this replica alone.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ReplicaFanout, type StateOf } from './fanout.js';
import { localReplica, type ReplicaId } from './identity.js';
import { kubeSliceLister, servicePeers, staticPeers, type Peers } from './peers.js';

export interface PeerOptions {
  /** Monitoring base URLs of the replicas (may include this one). */
  readonly peers?: readonly string[];
  /** tspilot's own Service, whose ready endpoints are the replicas. */
  readonly peersService?: { readonly namespace: string; readonly name: string };
  /** How long a peer may take to answer (default 3 s). */
  readonly peerTimeoutMs?: number;
}

/** `local`: this replica's /debug/syncz list; `stateOf`: proxy-status's sync state of one type entry. */
export function debugPeers(
  o: PeerOptions,
  kube: KubeConfig | undefined,
  monitoringPort: number,
  local: () => readonly object[],
  stateOf?: StateOf,
  self: ReplicaId = localReplica(),
): ReplicaFanout {
  if (o.peers?.length && o.peersService) throw new Error('--peers and --peers-service are alternatives: give one');
  if (o.peersService && !kube)
    throw new Error("--peers-service reads the Service's endpoints from Kubernetes: it needs Kubernetes mode (--kubeconfig or in-cluster)");
  let peers: Peers | undefined;
  if (o.peers?.length) peers = staticPeers(o.peers);
  else if (o.peersService && kube) peers = servicePeers(kubeSliceLister(kube), o.peersService, monitoringPort || 15014);
  return new ReplicaFanout(self, peers, local, o.peerTimeoutMs, stateOf);
}
