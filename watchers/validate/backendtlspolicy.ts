/**
 * @module watchers/validate/backendtlspolicy
 * Validates a Gateway API BackendTLSPolicy (v1alpha3 as istiod reads it, and v1): targetRefs
 * (1–16, kind defaulting to nothing: group and kind are required by the CRD), `validation.hostname`
 * (required, the SNI and the name the backend's certificate must carry), and exactly one of
 * `caCertificateRefs` or `wellKnownCACertificates: System`. Whether the targets and ConfigMaps
 * exist is the conversion's to report, in the policy's status.
 */
import type { BackendTLSPolicy } from '../../model/gatewayapi.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';
import { readCreated, readHostname } from './gatewayapi-common.js';

export function readBackendTLSPolicy(r: Reader, raw: Raw, ns: string): BackendTLSPolicy {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  r.known(spec, 'spec', ['targetRefs', 'validation', 'options']);
  const targets = r.array(spec['targetRefs'], 'spec.targetRefs', true) ?? [];
  if (spec['targetRefs'] !== undefined && (targets.length < 1 || targets.length > 16))
    r.fail('spec.targetRefs', 'must list 1 to 16 targets');
  const targetRefs = targets
    .map((t, i) => {
      const p = `spec.targetRefs[${i}]`;
      const o = r.object(t, p, true);
      if (!o) return undefined;
      r.known(o, p, ['group', 'kind', 'name', 'sectionName']);
      const name = r.string(o['name'], `${p}.name`, true);
      const kind = r.string(o['kind'], `${p}.kind`, true);
      const group = r.string(o['group'], `${p}.group`) ?? '';
      const sectionName = r.string(o['sectionName'], `${p}.sectionName`);
      return name === undefined || kind === undefined ? undefined : { group, kind, name, ...(sectionName ? { sectionName } : {}) };
    })
    .filter((t): t is NonNullable<typeof t> => !!t);
  const v = r.object(spec['validation'], 'spec.validation', true) ?? {};
  r.known(v, 'spec.validation', ['hostname', 'caCertificateRefs', 'wellKnownCACertificates', 'subjectAltNames']);
  const hostname = readHostname(r, v['hostname'], 'spec.validation.hostname');
  if (v['hostname'] === undefined) r.fail('spec.validation.hostname', 'is required');
  else if (hostname?.startsWith('*.')) r.fail('spec.validation.hostname', 'must not be a wildcard');
  const caCertificateRefs = (r.array(v['caCertificateRefs'], 'spec.validation.caCertificateRefs') ?? [])
    .map((c, i) => {
      const p = `spec.validation.caCertificateRefs[${i}]`;
      const o = r.object(c, p, true);
      if (!o) return undefined;
      r.known(o, p, ['group', 'kind', 'name']);
      const name = r.string(o['name'], `${p}.name`, true);
      return name === undefined
        ? undefined
        : { group: r.string(o['group'], `${p}.group`) ?? '', kind: r.string(o['kind'], `${p}.kind`, true) ?? '', name };
    })
    .filter((c): c is NonNullable<typeof c> => !!c);
  const wk = r.string(v['wellKnownCACertificates'], 'spec.validation.wellKnownCACertificates');
  if (wk !== undefined && wk !== 'System') r.fail('spec.validation.wellKnownCACertificates', `must be System, got "${wk}"`);
  if ((wk !== undefined) === caCertificateRefs.length > 0)
    r.fail('spec.validation', 'set exactly one of caCertificateRefs and wellKnownCACertificates');
  const subjectAltNames = (r.array(v['subjectAltNames'], 'spec.validation.subjectAltNames') ?? [])
    .map((x, i) => {
      const p = `spec.validation.subjectAltNames[${i}]`;
      const o = r.object(x, p, true);
      if (!o) return undefined;
      r.known(o, p, ['type', 'hostname', 'uri']);
      const type = r.string(o['type'], `${p}.type`, true);
      if (type === 'Hostname') return r.string(o['hostname'], `${p}.hostname`, true);
      if (type === 'URI') return r.string(o['uri'], `${p}.uri`, true);
      r.fail(`${p}.type`, `must be Hostname or URI, got "${type}"`);
      return undefined;
    })
    .filter((x): x is string => !!x);
  return {
    kind: 'BackendTLSPolicy',
    meta,
    created: readCreated(raw),
    targetRefs,
    hostname: hostname ?? '',
    caCertificateRefs,
    ...(wk === 'System' ? { wellKnownCACertificates: 'System' as const } : {}),
    subjectAltNames,
  };
}
