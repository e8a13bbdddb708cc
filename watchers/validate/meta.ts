/**
 * @module watchers/validate/meta
 * Reads `metadata` of any object (name, namespace with the given default, labels, annotations,
 * generation, resourceVersion) with field-path errors. DNS-1123 names as Kubernetes requires.
 */
import type { ObjectMeta } from '../../model/k8s.js';
import { type Raw, Reader } from './check.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function readMeta(r: Reader, raw: Raw, defaultNamespace: string): ObjectMeta {
  const m = r.object(raw['metadata'], 'metadata', true) ?? {};
  const name = r.string(m['name'], 'metadata.name', true) ?? '';
  if (name && (name.length > 253 || !DNS1123_SUBDOMAIN.test(name))) {
    r.fail('metadata.name', `"${name}" is not a valid DNS-1123 subdomain (lower case alphanumerics, '-' and '.')`);
  }
  const namespace = r.string(m['namespace'], 'metadata.namespace') || defaultNamespace;
  const gen = typeof m['generation'] === 'number' ? m['generation'] : 0;
  const rv = typeof m['resourceVersion'] === 'string' ? m['resourceVersion'] : '';
  return {
    name,
    namespace,
    labels: r.stringMap(m['labels'], 'metadata.labels') ?? {},
    annotations: r.stringMap(m['annotations'], 'metadata.annotations') ?? {},
    generation: gen,
    resourceVersion: rv,
  };
}
