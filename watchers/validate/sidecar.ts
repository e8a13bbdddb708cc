/**
 * @module watchers/validate/sidecar
 * Validates a Sidecar (networking.istio.io): workloadSelector, egress listeners whose hosts are
 * `namespace/dnsName` (namespace `*`, `.`, `~` or a name; dnsName `*`, `*.suffix` or a FQDN), and
 * outboundTrafficPolicy, and ingress listeners (port, defaultEndpoint `127.0.0.1:PORT`,
 * `0.0.0.0:PORT` or `unix://path`, as istiod's validation); their captureMode, bind and tls are
 * accepted and not translated yet.
 */
import type { IstioEgressListener, IstioIngressListener, Sidecar } from '../../model/istio.js';
import { type Raw, Reader } from './check.js';
import { readMeta } from './meta.js';
import { validHost } from './common-istio.js';

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
  (r.array(spec['egress'], 'spec.egress') ?? []).forEach((e, i) => {
    const path = `spec.egress[${i}]`;
    const o = r.object(e, path, true);
    if (!o) return;
    r.known(o, path, ['hosts', 'port', 'bind', 'captureMode']);
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
    const number = po ? r.int(po['number'], `${path}.port.number`, { min: 1, max: 65535, required: true }) : undefined;
    egress.push({ hosts, ...(number !== undefined ? { port: { number } } : {}) });
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
      const m = /^(127\.0\.0\.1|0\.0\.0\.0|\[::1\]|\[::\]):(\d+)$/.exec(ep);
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
        r.fail(`${path}.defaultEndpoint`, `"${ep}" is not 127.0.0.1:PORT, 0.0.0.0:PORT or unix://path`);
    }
    ingress.push({ port: { number, protocol, name }, ...(ep ? { defaultEndpoint: ep } : {}) });
  });
  const otp = r.object(spec['outboundTrafficPolicy'], 'spec.outboundTrafficPolicy');
  let mode: 'ALLOW_ANY' | 'REGISTRY_ONLY' | undefined;
  if (otp) {
    const m = r.string(otp['mode'], 'spec.outboundTrafficPolicy.mode');
    if (m !== undefined && m !== 'ALLOW_ANY' && m !== 'REGISTRY_ONLY')
      r.fail('spec.outboundTrafficPolicy.mode', `"${m}" is not ALLOW_ANY or REGISTRY_ONLY`);
    else mode = m;
  }
  return {
    kind: 'Sidecar',
    meta,
    spec: {
      ...(labels ? { workloadSelector: { labels } } : {}),
      ...(ingress.length ? { ingress } : {}),
      ...(egress.length ? { egress } : {}),
      ...(mode ? { outboundTrafficPolicy: { mode } } : {}),
    },
  };
}
