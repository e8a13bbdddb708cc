/**
 * @module watchers/validate/sidecar
 * Validates a Sidecar (networking.istio.io) with istiod's rules (ValidateSidecar), rejecting nothing
 * istiod accepts: workloadSelector; egress listeners — hosts `namespace/dnsName` (namespace `*`,
 * `.`, `~` or a name; dnsName `*`, `*.suffix` or a FQDN), port 1–65535 (or 0 with a `unix://` bind),
 * unique ports, at most one catch-all listener (no port) and it comes last, `bind` an IP (or
 * `unix://path` for port 0), captureMode DEFAULT/IPTABLES/NONE (DEFAULT/NONE for a Unix socket);
 * ingress listeners — unique port 1–65535, defaultEndpoint `127.0.0.1:PORT`, `0.0.0.0:PORT`,
 * `[::1]:PORT`, `[::]:PORT` or `unix://path`, `bind` an IP, captureMode, `tls` (the Gateway server
 * TLS reader, and as istiod: only on HTTPS/TLS ports, no ISTIO_MUTUAL/AUTO_PASSTHROUGH, credentialName,
 * subjectAltNames or httpsRedirect), connectionPool (the DestinationRule reader); inboundConnectionPool;
 * outboundTrafficPolicy.mode.
 */
import type { CaptureMode, ConnectionPoolSettings, IstioEgressListener, IstioIngressListener, Sidecar } from '../../model/istio.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';
import { validHost } from './common-istio.js';
import { validIp } from './security-common.js';
import { readTls } from './gateway.js';
import { readPolicy } from './destinationrule.js';

const CAPTURE_MODES: readonly string[] = ['DEFAULT', 'IPTABLES', 'NONE'];

function readCaptureMode(r: Reader, v: unknown, path: string): CaptureMode | undefined {
  const m = r.string(v, path);
  if (m === undefined || CAPTURE_MODES.includes(m)) return m as CaptureMode | undefined;
  r.fail(path, `"${m}" is not one of ${CAPTURE_MODES.join(', ')}`);
  return undefined;
}

function readPool(r: Reader, v: unknown, path: string): ConnectionPoolSettings | undefined {
  if (v === undefined || v === null) return undefined;
  const dot = path.lastIndexOf('.');
  return readPolicy(r, { connectionPool: v }, path.slice(0, dot))?.connectionPool;
}

const NS = /^(\*|\.|~|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;

export function readSidecar(r: Reader, raw: Raw, ns: string): Sidecar {
  const meta = readMeta(r, raw, ns);
  const spec = r.object(raw['spec'], 'spec', true) ?? {};
  r.known(spec, 'spec', ['workloadSelector', 'egress', 'ingress', 'outboundTrafficPolicy', 'inboundConnectionPool']);
  const sel = r.object(spec['workloadSelector'], 'spec.workloadSelector');
  let labels: Record<string, string> | undefined;
  if (sel) {
    r.known(sel, 'spec.workloadSelector', ['labels']);
    labels = r.stringMap(sel['labels'], 'spec.workloadSelector.labels');
    // As istiod's ValidateSidecar; `labels: {}` is accepted and selects every workload (model/labels).
    if (sel['labels'] === undefined || sel['labels'] === null)
      r.fail('spec.workloadSelector.labels', 'a workloadSelector needs labels ("workloadSelector cannot have empty labels", as istiod)');
  }
  const egress: IstioEgressListener[] = [];
  const egressRaw = r.array(spec['egress'], 'spec.egress') ?? [];
  let catchAll = false;
  const egressPortsSeen = new Set<number>();
  const udsBinds = new Set<string>();
  egressRaw.forEach((e, i) => {
    const path = `spec.egress[${i}]`;
    const o = r.object(e, path, true);
    if (!o) return;
    r.known(o, path, ['hosts', 'port', 'bind', 'captureMode']);
    const bind = r.string(o['bind'], `${path}.bind`) || undefined;
    const captureMode = readCaptureMode(r, o['captureMode'], `${path}.captureMode`);
    const hosts = r.stringList(o['hosts'], `${path}.hosts`) ?? [];
    if (!hosts.length) r.fail(`${path}.hosts`, 'must list at least one namespace/host');
    hosts.forEach((h, j) => {
      const slash = h.indexOf('/');
      const hns = slash > 0 ? h.slice(0, slash) : '';
      const dns = h.slice(slash + 1);
      if (slash <= 0 || !NS.test(hns) || !validHost(dns))
        r.fail(`${path}.hosts[${j}]`, `"${h}" is not namespace/host (e.g. ./*, istio-system/*, */foo.example.com)`);
    });
    const po = r.object(o['port'], `${path}.port`);
    const uds = bind?.startsWith('unix://') ?? false;
    const number = po ? r.int(po['number'], `${path}.port.number`, { min: 0, max: 65535, required: true }) : undefined;
    const protocol = po ? r.string(po['protocol'], `${path}.port.protocol`) : undefined;
    const pname = po ? r.string(po['name'], `${path}.port.name`) : undefined;
    if (!po) {
      if (catchAll) r.fail(`${path}.port`, 'only one egress listener may omit the port (the catch-all)');
      else if (i !== egressRaw.length - 1)
        r.fail(`${path}.port`, 'the egress listener without a port (the catch-all) must be the last one');
      catchAll = true;
    } else if (number === 0) {
      if (!uds) r.fail(`${path}.bind`, 'port 0 is a Unix domain socket listener: bind must be unix://<path>');
      else if (udsBinds.has(bind!)) r.fail(`${path}.bind`, `Unix domain socket ${bind} is already used by another egress listener`);
      udsBinds.add(bind ?? '');
      if (captureMode === 'IPTABLES')
        r.fail(`${path}.captureMode`, 'a Unix domain socket listener cannot be captured by iptables (DEFAULT or NONE)');
    } else if (number !== undefined) {
      if (egressPortsSeen.has(number)) r.fail(`${path}.port.number`, `port ${number} is already used by another egress listener`);
      egressPortsSeen.add(number);
      if (bind !== undefined && !validIp(bind)) r.fail(`${path}.bind`, `"${bind}" is not an IP address`);
    }
    if (!po && bind !== undefined && !uds && !validIp(bind)) r.fail(`${path}.bind`, `"${bind}" is not an IP address`);
    egress.push({
      hosts,
      ...(number !== undefined ? { port: { number, ...(protocol ? { protocol } : {}), ...(pname ? { name: pname } : {}) } } : {}),
      ...(bind ? { bind } : {}),
      ...(captureMode ? { captureMode } : {}),
    });
  });
  const ingress: IstioIngressListener[] = [];
  const ingressPorts = new Set<number>();
  (r.array(spec['ingress'], 'spec.ingress') ?? []).forEach((e, i) => {
    const path = `spec.ingress[${i}]`;
    const o = r.object(e, path, true);
    if (!o) return;
    r.known(o, path, ['port', 'bind', 'captureMode', 'defaultEndpoint', 'tls', 'connectionPool']);
    const po = r.object(o['port'], `${path}.port`, true);
    if (!po) return;
    const number = r.int(po['number'], `${path}.port.number`, { min: 1, max: 65535, required: true });
    const protocol = r.string(po['protocol'], `${path}.port.protocol`) ?? '';
    const name = r.string(po['name'], `${path}.port.name`) ?? '';
    if (number === undefined) return;
    if (ingressPorts.has(number)) r.fail(`${path}.port.number`, `port ${number} is already used by another ingress listener`);
    ingressPorts.add(number);
    const ep = r.string(o['defaultEndpoint'], `${path}.defaultEndpoint`);
    if (ep !== undefined && ep !== '' && !/^unix:\/\/\S+$/.test(ep)) {
      // istiod also accepts `:PORT` (no host).
      const m = /^(127\.0\.0\.1|0\.0\.0\.0|\[::1\]|\[::\]|):(\d+)$/.exec(ep);
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
        r.fail(`${path}.defaultEndpoint`, `"${ep}" is not 127.0.0.1:PORT, 0.0.0.0:PORT or unix://path`);
    }
    const bind = r.string(o['bind'], `${path}.bind`) || undefined;
    if (bind !== undefined && !validIp(bind)) r.fail(`${path}.bind`, `"${bind}" is not an IP address`);
    const captureMode = readCaptureMode(r, o['captureMode'], `${path}.captureMode`);
    const tls = readTls(r, o['tls'], `${path}.tls`);
    if (tls) {
      const proto = protocol.toUpperCase();
      if (proto !== 'HTTPS' && proto !== 'TLS') r.fail(`${path}.tls`, `TLS settings need an HTTPS or TLS port, not "${protocol}"`);
      if (tls.mode === 'ISTIO_MUTUAL' || tls.mode === 'AUTO_PASSTHROUGH')
        r.fail(`${path}.tls.mode`, `${tls.mode} is not allowed on a Sidecar ingress listener (istio mTLS comes from PeerAuthentication)`);
      if (tls.credentialName)
        r.fail(`${path}.tls.credentialName`, 'not supported on a Sidecar ingress listener: use serverCertificate/privateKey files');
      if (tls.subjectAltNames?.length) r.fail(`${path}.tls.subjectAltNames`, 'not supported on a Sidecar ingress listener');
      if (tls.httpsRedirect) r.fail(`${path}.tls.httpsRedirect`, 'not supported on a Sidecar ingress listener');
    }
    const connectionPool = readPool(r, o['connectionPool'], `${path}.connectionPool`);
    ingress.push({
      port: { number, protocol, name },
      ...(ep ? { defaultEndpoint: ep } : {}),
      ...(bind ? { bind } : {}),
      ...(captureMode ? { captureMode } : {}),
      ...(tls ? { tls } : {}),
      ...(connectionPool ? { connectionPool } : {}),
    });
  });
  const otp = r.object(spec['outboundTrafficPolicy'], 'spec.outboundTrafficPolicy');
  let mode: 'ALLOW_ANY' | 'REGISTRY_ONLY' | undefined;
  let egressProxy: { host: string; subset?: string; port: { number: number } } | undefined;
  if (otp) {
    r.known(otp, 'spec.outboundTrafficPolicy', ['mode', 'egressProxy']);
    const m = r.string(otp['mode'], 'spec.outboundTrafficPolicy.mode');
    if (m !== undefined && m !== 'ALLOW_ANY' && m !== 'REGISTRY_ONLY')
      r.fail('spec.outboundTrafficPolicy.mode', `"${m}" is not ALLOW_ANY or REGISTRY_ONLY`);
    // The API's enum default is REGISTRY_ONLY: a Sidecar's policy without a mode blocks, as in istiod.
    else mode = m ?? 'REGISTRY_ONLY';
    const ep = r.object(otp['egressProxy'], 'spec.outboundTrafficPolicy.egressProxy');
    if (ep) {
      const path = 'spec.outboundTrafficPolicy.egressProxy';
      r.known(ep, path, ['host', 'subset', 'port']);
      const host = r.string(ep['host'], `${path}.host`, true);
      if (host !== undefined && (!validHost(host) || host.includes('*')))
        r.fail(`${path}.host`, `"${host}" is not a fully qualified host name`);
      const subset = r.string(ep['subset'], `${path}.subset`);
      const po = r.object(ep['port'], `${path}.port`);
      if (!po) r.fail(`${path}.port`, 'is required (the port of the egress proxy)');
      const number = po ? r.int(po['number'], `${path}.port.number`, { min: 1, max: 65535, required: true }) : undefined;
      if (mode !== 'ALLOW_ANY') r.fail(path, 'egressProxy needs outboundTrafficPolicy.mode ALLOW_ANY');
      if (host && number !== undefined) egressProxy = { host, ...(subset ? { subset } : {}), port: { number } };
    }
  }
  const inboundConnectionPool = readPool(r, spec['inboundConnectionPool'], 'spec.inboundConnectionPool');
  return {
    kind: 'Sidecar',
    meta,
    spec: {
      ...(labels ? { workloadSelector: { labels } } : {}),
      ...(ingress.length ? { ingress } : {}),
      ...(egress.length ? { egress } : {}),
      ...(mode ? { outboundTrafficPolicy: { mode, ...(egressProxy ? { egressProxy } : {}) } } : {}),
      ...(inboundConnectionPool ? { inboundConnectionPool } : {}),
    },
  };
}
