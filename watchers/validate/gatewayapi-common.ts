/**
 * @module watchers/validate/gatewayapi-common
 * Readers shared by the Gateway API kinds: parentRefs and backendRefs (with the spec's defaults
 * filled in), hostnames (RFC 1123 with one leading `*.`), header/query matches, label selectors,
 * and metadata.creationTimestamp (route precedence breaks ties on it). Errors name the field.
 */
import type { GwBackendRef, GwHeaderMatch, GwLabelSelector, GwParentRef } from '../../model/gatewayapi.js';
import { GATEWAY_API_GROUP } from '../../model/gatewayapi.js';
import { type Raw, Reader } from './check.js';
import { re2Error } from './common-istio.js';

const GW_HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

export function readCreated(raw: Raw): string {
  const m = raw['metadata'];
  const c = m && typeof m === 'object' ? (m as Raw)['creationTimestamp'] : undefined;
  return typeof c === 'string' ? c : c instanceof Date ? c.toISOString() : '';
}

export function readHostname(r: Reader, v: unknown, path: string): string | undefined {
  const h = r.string(v, path);
  if (h === undefined) return undefined;
  if (h.length > 253 || !GW_HOSTNAME.test(h)) {
    r.fail(path, `"${h}" is not a valid hostname (lower-case RFC 1123, optionally with one leading "*.", no IP addresses)`);
    return undefined;
  }
  if (/^[0-9.]+$/.test(h)) {
    r.fail(path, `"${h}" is an IP address; hostnames must be names`);
    return undefined;
  }
  return h;
}

export function readHostnames(r: Reader, v: unknown, path: string): string[] {
  return (r.array(v, path) ?? []).map((h, i) => readHostname(r, h, `${path}[${i}]`)).filter((h): h is string => h !== undefined);
}

export function readParentRefs(r: Reader, v: unknown, path: string, ns: string): GwParentRef[] {
  const out: GwParentRef[] = [];
  (r.array(v, path) ?? []).forEach((x, i) => {
    const p = `${path}[${i}]`;
    const o = r.object(x, p, true);
    if (!o) return;
    r.known(o, p, ['group', 'kind', 'namespace', 'name', 'sectionName', 'port']);
    const name = r.string(o['name'], `${p}.name`, true);
    if (name === undefined) return;
    const kind = r.string(o['kind'], `${p}.kind`) ?? 'Gateway';
    const group = r.string(o['group'], `${p}.group`) ?? (o['kind'] === 'Service' ? '' : GATEWAY_API_GROUP);
    const sectionName = r.string(o['sectionName'], `${p}.sectionName`);
    const port = r.int(o['port'], `${p}.port`, { min: 1, max: 65535 });
    out.push({
      group,
      kind,
      namespace: r.string(o['namespace'], `${p}.namespace`) || ns,
      name,
      ...(sectionName ? { sectionName } : {}),
      ...(port !== undefined ? { port } : {}),
    });
  });
  return out;
}

/** A backendRef (or a mirror's backendRef): Service by default; a port is required for a Service. */
export function readBackendRef(r: Reader, v: unknown, path: string, ns: string, weighted: boolean): GwBackendRef | undefined {
  const o = r.object(v, path, true);
  if (!o) return undefined;
  r.known(
    o,
    path,
    weighted ? ['group', 'kind', 'name', 'namespace', 'port', 'weight', 'filters'] : ['group', 'kind', 'name', 'namespace', 'port'],
  );
  const name = r.string(o['name'], `${path}.name`, true);
  const group = r.string(o['group'], `${path}.group`) ?? '';
  const kind = r.string(o['kind'], `${path}.kind`) ?? 'Service';
  const port = r.int(o['port'], `${path}.port`, { min: 1, max: 65535 });
  if (port === undefined && kind === 'Service' && group === '') r.fail(`${path}.port`, 'is required when referring to a Service');
  const weight = weighted ? (r.int(o['weight'], `${path}.weight`, { min: 0, max: 1000000 }) ?? 1) : 1;
  if (name === undefined) return undefined;
  return {
    group,
    kind,
    name,
    namespace: r.string(o['namespace'], `${path}.namespace`) || ns,
    ...(port !== undefined ? { port } : {}),
    weight,
  };
}

export function readBackendRefs(r: Reader, v: unknown, path: string, ns: string): GwBackendRef[] {
  return (r.array(v, path) ?? []).map((b, i) => readBackendRef(r, b, `${path}[${i}]`, ns, true)).filter((b): b is GwBackendRef => !!b);
}

/** Header or query-param matches: type Exact (default) or RegularExpression (RE2), names unique. */
export function readNameMatches(r: Reader, v: unknown, path: string, header: boolean): GwHeaderMatch[] {
  const out: GwHeaderMatch[] = [];
  (r.array(v, path) ?? []).forEach((x, i) => {
    const p = `${path}[${i}]`;
    const o = r.object(x, p, true);
    if (!o) return;
    r.known(o, p, ['type', 'name', 'value']);
    const type = r.string(o['type'], `${p}.type`) ?? 'Exact';
    if (type !== 'Exact' && type !== 'RegularExpression') {
      r.fail(`${p}.type`, `must be Exact or RegularExpression, got "${type}"`);
      return;
    }
    const name = r.string(o['name'], `${p}.name`, true);
    const value = r.string(o['value'], `${p}.value`, true);
    if (name === undefined || value === undefined) return;
    if (header && !HEADER_NAME.test(name)) {
      r.fail(`${p}.name`, `"${name}" is not a valid HTTP header name`);
      return;
    }
    if (type === 'RegularExpression') {
      const e = re2Error(value);
      if (e) {
        r.fail(`${p}.value`, `"${value}" is not a valid RE2 regular expression: ${e}`);
        return;
      }
    }
    // Header names compare case-insensitively (the spec): the first of equal names wins, later ones are ignored.
    const key = header ? name.toLowerCase() : name;
    if (out.some((m) => (header ? m.name.toLowerCase() : m.name) === key)) return;
    out.push({ type, name: header ? name.toLowerCase() : name, value });
  });
  return out;
}

export function readLabelSelector(r: Reader, v: unknown, path: string): GwLabelSelector | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  r.known(o, path, ['matchLabels', 'matchExpressions']);
  const matchExpressions: GwLabelSelector['matchExpressions'][number][] = [];
  (r.array(o['matchExpressions'], `${path}.matchExpressions`) ?? []).forEach((x, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const e = r.object(x, p, true);
    if (!e) return;
    const key = r.string(e['key'], `${p}.key`, true);
    const operator = r.string(e['operator'], `${p}.operator`, true);
    if (operator !== undefined && !['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(operator)) {
      r.fail(`${p}.operator`, `must be In, NotIn, Exists or DoesNotExist, got "${operator}"`);
      return;
    }
    if (key === undefined || operator === undefined) return;
    matchExpressions.push({ key, operator: operator as 'In', values: r.stringList(e['values'], `${p}.values`) ?? [] });
  });
  return { matchLabels: r.stringMap(o['matchLabels'], `${path}.matchLabels`) ?? {}, matchExpressions };
}
