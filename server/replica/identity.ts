/**
 * @module server/replica/identity
 * Which tspilot replica answered: the pod name (POD_NAME, else the hostname, which is the pod's
 * name in Kubernetes) and an instance id drawn once per process, so two processes on one host —
 * or a restarted pod keeping its name — are told apart. Every debug answer carries it in the
 * `x-tspilot-replica: <name>/<instance>` header (bodies istiod tools parse stay as they are).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';

export const REPLICA_HEADER = 'x-tspilot-replica';

export interface ReplicaId {
  readonly name: string;
  readonly instance: string;
}

export function localReplica(env: NodeJS.ProcessEnv = process.env): ReplicaId {
  return { name: env['POD_NAME']?.trim() || os.hostname(), instance: randomBytes(4).toString('hex') };
}

/** `<name>/<instance>`: the header value and the REPLICA column (pod names contain no `/`). */
export const replicaLabel = (r: ReplicaId): string => `${r.name}/${r.instance}`;
