// Contract: the object validation the fake API server applies on create/update for the kinds
// tspilot writes (ConfigMap, Secret, Lease), with kube-apiserver's field paths and messages:
// metadata.name must be a DNS-1123 subdomain (Lease too); ConfigMap data/binaryData and Secret
// data keys must be valid config keys ([-._a-zA-Z0-9]+, not "." or ".."); Secret data values must
// be base64 (the real server fails to decode the body: 400); a Secret's `type` cannot change on
// update; Lease spec.leaseDurationSeconds must be positive. Failures throw ApiStatusError (422 Invalid / 400).
import type { ResourceDef } from './registry.js';
import { ApiStatusError, badRequest, invalid } from './status.js';
import type { KubeObject } from './store.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function validateWrite(def: ResourceDef, obj: KubeObject, old?: KubeObject): void {
  if (!['ConfigMap', 'Secret', 'Lease'].includes(def.kind)) return;
  const name = obj.metadata?.name ?? '';
  const causes: Array<{ field: string; message: string }> = [];
  if (name && (name.length > 253 || !DNS1123_SUBDOMAIN.test(name))) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    });
  }
  const keys = (field: string): void => {
    const m = obj[field];
    if (m === undefined || m === null) return;
    if (typeof m !== 'object' || Array.isArray(m))
      throw new ApiStatusError(badRequest(`${def.kind} in version "v1" cannot be handled as a ${def.kind}: ${field} must be an object`));
    for (const k of Object.keys(m)) {
      if (!CONFIG_KEY.test(k) || k === '.' || k === '..')
        causes.push({
          field: `${field}[${k}]`,
          message: `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
        });
    }
  };
  if (def.kind === 'ConfigMap') {
    keys('data');
    keys('binaryData');
  }
  if (def.kind === 'Secret') {
    keys('data');
    for (const v of Object.values((obj['data'] ?? {}) as Record<string, unknown>)) {
      if (typeof v !== 'string' || v.length % 4 !== 0 || !BASE64.test(v)) {
        throw new ApiStatusError(badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data`));
      }
    }
    if (old && (old['type'] ?? 'Opaque') !== (obj['type'] ?? 'Opaque'))
      causes.push({ field: 'type', message: 'Invalid value: field is immutable' });
  }
  if (def.kind === 'Lease') {
    const d = (obj['spec'] as { leaseDurationSeconds?: unknown } | undefined)?.leaseDurationSeconds;
    if (d !== undefined && d !== null && !(typeof d === 'number' && d > 0))
      causes.push({ field: 'spec.leaseDurationSeconds', message: `Invalid value: ${JSON.stringify(d)}: must be greater than 0` });
  }
  if (causes.length) throw new ApiStatusError(invalid(def.kind, def.group, name, causes));
}
