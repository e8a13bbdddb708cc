/**
 * @module watchers/validate/gateway
 * Validates a Gateway: selector, servers (port number/protocol/name, hosts as `[namespace/]host`,
 * TLS settings: SIMPLE/MUTUAL need a credentialName or certificate files, HTTPS needs tls), unique port names.
 */
import type { Gateway, GatewayServer, ServerTLSSettings } from '../../model/istio.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';
import { validHost } from './common-istio.js';
import { PROTOCOLS } from './serviceentry.js';

const TLS_MODES = ['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL'];

export function readTls(r: Reader, v: unknown, path: string): ServerTLSSettings | undefined {
  const o = r.object(v, path);
  if (!o) return undefined;
  r.known(o, path, [
    'mode',
    'credentialName',
    'httpsRedirect',
    'subjectAltNames',
    'serverCertificate',
    'privateKey',
    'caCertificates',
    'minProtocolVersion',
    'maxProtocolVersion',
    'cipherSuites',
  ]);
  const mode = r.string(o['mode'], `${path}.mode`);
  if (mode !== undefined && !TLS_MODES.includes(mode)) r.fail(`${path}.mode`, `"${mode}" is not one of ${TLS_MODES.join(', ')}`);
  const credentialName = r.string(o['credentialName'], `${path}.credentialName`);
  const serverCertificate = r.string(o['serverCertificate'], `${path}.serverCertificate`);
  const privateKey = r.string(o['privateKey'], `${path}.privateKey`);
  const caCertificates = r.string(o['caCertificates'], `${path}.caCertificates`);
  // As istiod's gateway validation: without a credentialName, file-mounted certificate and key
  // (served by the agent's SDS as file-cert:<cert>~<key>), and for MUTUAL a CA file.
  if ((mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') && !credentialName) {
    if (!serverCertificate && !privateKey)
      r.fail(
        `${path}.credentialName`,
        `TLS mode ${mode} needs a credentialName (served over SDS) or serverCertificate and privateKey (files in the gateway pod)`,
      );
    else if (!serverCertificate)
      r.fail(`${path}.serverCertificate`, `TLS mode ${mode} with a privateKey needs the serverCertificate file too`);
    else if (!privateKey) r.fail(`${path}.privateKey`, `TLS mode ${mode} with a serverCertificate needs the privateKey file too`);
    if (mode === 'MUTUAL' && !caCertificates)
      r.fail(`${path}.caCertificates`, 'TLS mode MUTUAL without a credentialName needs caCertificates (the CA file that verifies clients)');
  }
  const httpsRedirect = r.bool(o['httpsRedirect'], `${path}.httpsRedirect`);
  const subjectAltNames = r.stringList(o['subjectAltNames'], `${path}.subjectAltNames`);
  return {
    ...(mode ? { mode: mode as 'SIMPLE' } : {}),
    ...(credentialName ? { credentialName } : {}),
    ...(httpsRedirect ? { httpsRedirect } : {}),
    ...(subjectAltNames ? { subjectAltNames } : {}),
    ...(serverCertificate ? { serverCertificate } : {}),
    ...(privateKey ? { privateKey } : {}),
    ...(caCertificates ? { caCertificates } : {}),
  };
}

export function readGateway(r: Reader, raw: Raw, ns: string): Gateway {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  r.known(spec, 'spec', ['selector', 'servers']);
  const selector = r.stringMap(spec['selector'], 'spec.selector');
  const servers: GatewayServer[] = [];
  const portNames = new Map<string, number>();
  (r.array(spec['servers'], 'spec.servers', true) ?? []).forEach((s, i) => {
    const path = `spec.servers[${i}]`;
    const o = r.object(s, path, true);
    if (!o) return;
    r.known(o, path, ['port', 'hosts', 'tls', 'name', 'bind', 'defaultEndpoint']);
    const po = r.object(o['port'], `${path}.port`, true);
    if (!po) return;
    r.known(po, `${path}.port`, ['number', 'protocol', 'name', 'targetPort']);
    const number = r.int(po['number'], `${path}.port.number`, { min: 1, max: 65535, required: true });
    const protocol = (r.string(po['protocol'], `${path}.port.protocol`, true) ?? '').toUpperCase();
    if (protocol && !PROTOCOLS.includes(protocol)) r.fail(`${path}.port.protocol`, `"${protocol}" is not one of ${PROTOCOLS.join(', ')}`);
    const name = r.string(po['name'], `${path}.port.name`, true) ?? '';
    if (name && portNames.has(name) && portNames.get(name) !== number)
      r.fail(`${path}.port.name`, `port name "${name}" is used with two port numbers`);
    if (name && number !== undefined) portNames.set(name, number);
    const hosts = r.stringList(o['hosts'], `${path}.hosts`) ?? [];
    if (!hosts.length) r.fail(`${path}.hosts`, 'must list at least one host');
    hosts.forEach((h, j) => {
      const slash = h.indexOf('/');
      const dns = slash >= 0 ? h.slice(slash + 1) : h;
      if (!validHost(dns)) r.fail(`${path}.hosts[${j}]`, `"${h}" is not a valid [namespace/]host`);
    });
    const tls = readTls(r, o['tls'], `${path}.tls`);
    if ((protocol === 'HTTPS' || protocol === 'TLS') && !tls?.mode) r.fail(`${path}.tls`, `protocol ${protocol} needs tls.mode`);
    const sname = r.string(o['name'], `${path}.name`);
    if (number === undefined) return;
    servers.push({ port: { number, protocol, name }, hosts, ...(tls ? { tls } : {}), ...(sname ? { name: sname } : {}) });
  });
  return { kind: 'Gateway', meta, spec: { ...(selector ? { selector } : {}), servers } };
}
