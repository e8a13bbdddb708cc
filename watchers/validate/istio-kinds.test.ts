/**
 * @module watchers/validate/istio-kinds.test
 * The validators for ServiceEntry, WorkloadEntry, Sidecar, Gateway, the newer VirtualService and
 * DestinationRule fields, and the mesh config file: valid objects pass, each kind of bad input is
 * rejected naming kind, namespace/name, field and reason.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rejected, accepted as ok } from './testkit.js';
import { loadMeshConfigFile, parseMeshConfigText } from './meshconfig.js';

const NET = 'networking.istio.io/v1';
const obj = (kind: string, spec: unknown, name = 'x'): unknown => ({ apiVersion: NET, kind, metadata: { name, namespace: 'ns1' }, spec });

describe('validators for the Istio kinds of issue #4', () => {
  it('ServiceEntry: accepts the documented shapes', () => {
    ok(obj('ServiceEntry', { hosts: ['httpbin.org'], resolution: 'DNS', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] }));
    ok(
      obj('ServiceEntry', {
        hosts: ['db.internal'],
        addresses: ['10.0.0.0/24'],
        location: 'MESH_INTERNAL',
        resolution: 'STATIC',
        ports: [{ number: 5432, name: 'pg', protocol: 'TCP' }],
        endpoints: [{ address: '10.0.0.5', ports: { pg: 15432 } }],
      }),
    );
    ok(
      obj('ServiceEntry', {
        hosts: ['vm.svc'],
        resolution: 'STATIC',
        ports: [{ number: 80, name: 'http' }],
        workloadSelector: { labels: { app: 'vm' } },
      }),
    );
  });
  it('ServiceEntry: rejects what istiod rejects, naming the field', () => {
    assert.deepEqual(
      rejected(obj('ServiceEntry', { hosts: ['*.example.com'], resolution: 'DNS', ports: [{ number: 80, name: 'http' }] })).field,
      'spec.resolution',
    );
    assert.equal(
      rejected(
        obj('ServiceEntry', {
          hosts: ['a.b'],
          resolution: 'STATIC',
          ports: [{ number: 80, name: 'http' }],
          endpoints: [{ address: 'not-an-ip' }],
        }),
      ).field,
      'spec.endpoints[0].address',
    );
    assert.equal(
      rejected(obj('ServiceEntry', { hosts: ['a.b'], ports: [{ number: 80, name: 'http', protocol: 'SMTP' }] })).field,
      'spec.ports[0].protocol',
    );
    assert.equal(
      rejected(
        obj('ServiceEntry', {
          hosts: ['a.b'],
          ports: [
            { number: 80, name: 'a' },
            { number: 80, name: 'b' },
          ],
        }),
      ).field,
      'spec.ports[1].number',
    );
    assert.equal(
      rejected(
        obj('ServiceEntry', {
          hosts: ['a.b'],
          resolution: 'STATIC',
          ports: [{ number: 80, name: 'http' }],
          endpoints: [{ address: '1.2.3.4', ports: { grpc: 90 } }],
        }),
      ).field,
      'spec.endpoints[0].ports.grpc',
    );
    const r = rejected(obj('ServiceEntry', { hosts: ['*'], ports: [{ number: 80, name: 'http' }] }, 'bad'));
    assert.equal(r.key, 'ServiceEntry/ns1/bad');
    assert.equal(r.field, 'spec.hosts[0]');
  });
  it('WorkloadEntry: address and port numbers', () => {
    ok(obj('WorkloadEntry', { address: '192.168.0.81', labels: { app: 'vm' }, serviceAccount: 'sa', ports: { http: 8080 } }));
    assert.equal(rejected(obj('WorkloadEntry', { address: 'bad address!' })).field, 'spec.address');
    assert.equal(rejected(obj('WorkloadEntry', { address: '1.2.3.4', ports: { http: 70000 } })).field, 'spec.ports.http');
  });
  it('Sidecar: egress hosts must be namespace/host', () => {
    ok(
      obj('Sidecar', {
        workloadSelector: { labels: { app: 'a' } },
        egress: [{ hosts: ['./*', 'istio-system/*', '*/foo.example.com'] }],
        outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      }),
    );
    assert.equal(rejected(obj('Sidecar', { egress: [{ hosts: ['foo.example.com'] }] })).field, 'spec.egress[0].hosts[0]');
    assert.equal(rejected(obj('Sidecar', { outboundTrafficPolicy: { mode: 'SOMETIMES' } })).field, 'spec.outboundTrafficPolicy.mode');
    // Ingress listeners (issue 13 item 5): istiod's defaultEndpoint forms only.
    const ing = (defaultEndpoint: string) =>
      obj('Sidecar', { ingress: [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, defaultEndpoint }] });
    for (const ep of ['127.0.0.1:8080', '0.0.0.0:9080', 'unix:///var/run/app.sock']) ok(ing(ep));
    assert.equal(rejected(ing('10.0.0.1:80')).field, 'spec.ingress[0].defaultEndpoint');
    assert.equal(rejected(ing('127.0.0.1:0')).field, 'spec.ingress[0].defaultEndpoint');
    ok(ing(':8080')); // istiod accepts a defaultEndpoint without host
  });
  it('Sidecar: captureMode, bind, Unix-socket egress and ingress tls as istiod validates them', () => {
    const port = { number: 9080, protocol: 'HTTP', name: 'http' };
    ok(
      obj('Sidecar', {
        ingress: [
          { port, captureMode: 'NONE', bind: '10.0.0.1', connectionPool: { tcp: { maxConnections: 5 } } },
          {
            port: { number: 8443, protocol: 'HTTPS', name: 'https' },
            tls: { mode: 'SIMPLE', serverCertificate: '/c.pem', privateKey: '/k.pem' },
          },
        ],
        egress: [
          { port: { number: 0, protocol: 'HTTP', name: 'uds' }, bind: 'unix:///var/run/egress.sock', hosts: ['./*'] },
          { port, bind: '127.0.0.2', captureMode: 'IPTABLES', hosts: ['./*'] },
          { hosts: ['*/*'] },
        ],
        inboundConnectionPool: { http: { http1MaxPendingRequests: 10 } },
      }),
    );
    const bad = (spec: unknown): string => rejected(obj('Sidecar', spec)).field;
    assert.equal(bad({ ingress: [{ port, captureMode: 'SOMETIMES' }] }), 'spec.ingress[0].captureMode');
    assert.equal(bad({ ingress: [{ port, bind: 'localhost' }] }), 'spec.ingress[0].bind');
    assert.equal(bad({ ingress: [{ port, tls: { mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k' } }] }), 'spec.ingress[0].tls');
    const https = { number: 8443, protocol: 'HTTPS', name: 'https' };
    assert.equal(bad({ ingress: [{ port: https, tls: { mode: 'ISTIO_MUTUAL' } }] }), 'spec.ingress[0].tls.mode');
    assert.equal(bad({ ingress: [{ port: https, tls: { mode: 'SIMPLE', credentialName: 'c' } }] }), 'spec.ingress[0].tls.credentialName');
    assert.equal(
      bad({ ingress: [{ port, connectionPool: { tcp: { maxConnections: -1 } } }] }),
      'spec.ingress[0].connectionPool.tcp.maxConnections',
    );
    assert.equal(bad({ egress: [{ hosts: ['./*'] }, { port, hosts: ['./*'] }] }), 'spec.egress[0].port');
    assert.equal(bad({ egress: [{ port: { number: 0, protocol: 'HTTP' }, hosts: ['./*'] }] }), 'spec.egress[0].bind');
    assert.equal(bad({ egress: [{ port, bind: 'not-an-ip', hosts: ['./*'] }] }), 'spec.egress[0].bind');
    assert.equal(
      bad({
        egress: [
          { port, hosts: ['./*'] },
          { port, hosts: ['*/*'] },
        ],
      }),
      'spec.egress[1].port.number',
    );
    const proxy = { host: 'squid.egress.svc.cluster.local', port: { number: 3128 } };
    ok(obj('Sidecar', { outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: proxy } }));
    assert.equal(bad({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY', egressProxy: proxy } }), 'spec.outboundTrafficPolicy.egressProxy');
    assert.equal(
      bad({ outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'squid' } } }),
      'spec.outboundTrafficPolicy.egressProxy.port',
    );
    assert.equal(bad({ outboundTrafficPolicy: { mode: 'ALLOW_ANY', egresProxy: proxy } }), 'spec.outboundTrafficPolicy.egresProxy');
  });
  it('Gateway: servers, TLS needs a mode and a credential', () => {
    ok(
      obj('Gateway', {
        selector: { istio: 'ingressgateway' },
        servers: [
          { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] },
          {
            port: { number: 443, name: 'https', protocol: 'HTTPS' },
            hosts: ['ns1/a.example.com'],
            tls: { mode: 'SIMPLE', credentialName: 'c' },
          },
        ],
      }),
    );
    assert.equal(
      rejected(obj('Gateway', { servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'] }] })).field,
      'spec.servers[0].tls',
    );
    assert.equal(
      rejected(
        obj('Gateway', { servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'SIMPLE' } }] }),
      ).field,
      'spec.servers[0].tls.credentialName',
    );
    // File-mounted certificates instead of a credentialName (issue 13 item 3), checked as istiod does.
    const files = (tls: Record<string, unknown>) =>
      obj('Gateway', { servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls }] });
    ok(files({ mode: 'SIMPLE', serverCertificate: '/c.pem', privateKey: '/k.pem' }));
    ok(files({ mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem', caCertificates: '/ca.pem' }));
    assert.equal(rejected(files({ mode: 'SIMPLE', serverCertificate: '/c.pem' })).field, 'spec.servers[0].tls.privateKey');
    assert.equal(
      rejected(files({ mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem' })).field,
      'spec.servers[0].tls.caCertificates',
    );
    assert.equal(
      rejected(obj('Gateway', { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [] }] })).field,
      'spec.servers[0].hosts',
    );
  });
  it('VirtualService: TCP/TLS routes, mirror, CORS regexes under RE2, directResponse, redirect codes', () => {
    ok(
      obj('VirtualService', {
        hosts: ['a'],
        tcp: [
          {
            match: [{ port: 3306 }],
            route: [
              { destination: { host: 'a' }, weight: 60 },
              { destination: { host: 'b' }, weight: 40 },
            ],
          },
        ],
      }),
    );
    ok(
      obj('VirtualService', { hosts: ['a'], tls: [{ match: [{ sniHosts: ['a.example.com'] }], route: [{ destination: { host: 'a' } }] }] }),
    );
    assert.equal(
      rejected(
        obj('VirtualService', {
          hosts: ['a'],
          tcp: [
            {
              route: [
                { destination: { host: 'a' }, weight: 60 },
                { destination: { host: 'b' }, weight: 30 },
              ],
            },
          ],
        }),
      ).field,
      'spec.tcp[0].route',
    );
    assert.equal(
      rejected(obj('VirtualService', { hosts: ['a'], tls: [{ match: [{ port: 443 }], route: [{ destination: { host: 'a' } }] }] })).field,
      'spec.tls[0].match[0].sniHosts',
    );
    const cors = rejected(
      obj('VirtualService', {
        hosts: ['a'],
        http: [{ route: [{ destination: { host: 'a' } }], corsPolicy: { allowOrigins: [{ regex: '(?<=x)y' }] } }],
      }),
    );
    assert.equal(cors.field, 'spec.http[0].corsPolicy.allowOrigins[0].regex');
    assert.match(cors.reason, /RE2/);
    assert.equal(
      rejected(obj('VirtualService', { hosts: ['a'], http: [{ redirect: { uri: '/x', redirectCode: 399 } }] })).field,
      'spec.http[0].redirect.redirectCode',
    );
    assert.equal(
      rejected(obj('VirtualService', { hosts: ['a'], http: [{ directResponse: { status: 99 } }] })).field,
      'spec.http[0].directResponse.status',
    );
    assert.equal(
      rejected(obj('VirtualService', { hosts: ['a'], http: [{ route: [{ destination: { host: 'a' } }], mirror: { host: '*.x' } }] })).field,
      'spec.http[0].mirror.host',
    );
    assert.equal(
      rejected(
        obj('VirtualService', { hosts: ['a'], http: [{ route: [{ destination: { host: 'a' } }], directResponse: { status: 200 } }] }),
      ).field,
      'spec.http[0]',
    );
    assert.equal(
      rejected(obj('VirtualService', { hosts: ['*'], http: [{ route: [{ destination: { host: 'a' } }] }] })).field,
      'spec.hosts[0]',
    );
    ok(obj('VirtualService', { hosts: ['*'], gateways: ['gw'], http: [{ route: [{ destination: { host: 'a' } }] }] }));
  });
  it('DestinationRule: consistentHash needs exactly one key; portLevelSettings need unique ports; connection pool numbers', () => {
    ok(
      obj('DestinationRule', {
        host: 'a',
        trafficPolicy: {
          loadBalancer: { consistentHash: { httpCookie: { name: 's', ttl: '10s' } } },
          portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'ISTIO_MUTUAL' } }],
        },
      }),
    );
    assert.equal(
      rejected(
        obj('DestinationRule', {
          host: 'a',
          trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x', useSourceIp: true } } },
        }),
      ).field,
      'spec.trafficPolicy.loadBalancer.consistentHash',
    );
    assert.equal(
      rejected(
        obj('DestinationRule', { host: 'a', trafficPolicy: { portLevelSettings: [{ port: { number: 80 } }, { port: { number: 80 } }] } }),
      ).field,
      'spec.trafficPolicy.portLevelSettings[1].port.number',
    );
    assert.equal(
      rejected(obj('DestinationRule', { host: 'a', trafficPolicy: { connectionPool: { http: { maxRetries: -1 } } } })).field,
      'spec.trafficPolicy.connectionPool.http.maxRetries',
    );
    assert.equal(
      rejected(
        obj('DestinationRule', { host: 'a', trafficPolicy: { loadBalancer: { localityLbSetting: { distribute: [], failover: [] } } } }),
      ).field,
      'spec.trafficPolicy.loadBalancer.localityLbSetting',
    );
  });
});

describe('mesh config (--mesh-config)', () => {
  it('reads the mesh key format and the whole ConfigMap, with istiod defaults for what is not set', () => {
    const a = parseMeshConfigText(
      'trustDomain: example.org\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\nconnectTimeout: 2s\nenableTracing: true\n',
    );
    assert.deepEqual(a.problems, []);
    assert.deepEqual(a.settings, {
      trustDomain: 'example.org',
      rootNamespace: 'istio-system',
      outboundTrafficPolicy: 'REGISTRY_ONLY',
      connectTimeout: '2s',
      enableAutoMtls: true,
    });
    assert.equal(parseMeshConfigText('enableAutoMtls: false').settings.enableAutoMtls, false);
    const b = parseMeshConfigText(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio}\ndata:\n  mesh: |\n    rootNamespace: mesh-root\n    defaultHttpRetryPolicy: {attempts: 5}\n',
    );
    assert.deepEqual(b.settings.rootNamespace, 'mesh-root');
    assert.deepEqual(b.settings.defaultHttpRetryPolicy, { attempts: 5 });
  });
  it('names the bad field; a file that cannot be used stops the start with a message naming it', () => {
    assert.deepEqual(
      parseMeshConfigText('outboundTrafficPolicy: {mode: SOMETIMES}').problems.map((p) => p.field),
      ['outboundTrafficPolicy.mode'],
    );
    assert.deepEqual(
      parseMeshConfigText('connectTimeout: soon').problems.map((p) => p.field),
      ['connectTimeout'],
    );
    assert.deepEqual(
      parseMeshConfigText('enableAutoMtls: sometimes').problems.map((p) => p.field),
      ['enableAutoMtls'],
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshcfg-'));
    try {
      const f = path.join(dir, 'mesh.yaml');
      fs.writeFileSync(f, 'connectTimeout: 3s\n');
      assert.equal(loadMeshConfigFile(f).connectTimeout, '3s');
      fs.writeFileSync(f, 'connectTimeout: nope\n');
      assert.throws(() => loadMeshConfigFile(f), /--mesh-config .*mesh\.yaml: connectTimeout: "nope" is not a duration/);
      assert.throws(() => loadMeshConfigFile(path.join(dir, 'missing.yaml')), /cannot read/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
