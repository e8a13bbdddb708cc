/**
 * @module translators/protocol
 * The protocol of a service port, chosen like istiod: `appProtocol` first, then the port name's
 * prefix (`http`, `http-web`, `grpc-api`, …), else unknown (istiod sniffs; tspilot treats it as TCP).
 */
import type { ServicePort } from '../model/k8s.js';

export type Protocol =
  'HTTP' | 'HTTP2' | 'GRPC' | 'GRPC-Web' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP' | 'Mongo' | 'Redis' | 'MySQL' | 'Unsupported';

const BY_NAME: Readonly<Record<string, Protocol>> = {
  http: 'HTTP',
  http2: 'HTTP2',
  grpc: 'GRPC',
  'grpc-web': 'GRPC-Web',
  https: 'HTTPS',
  tls: 'TLS',
  tcp: 'TCP',
  udp: 'UDP',
  mongo: 'Mongo',
  redis: 'Redis',
  mysql: 'MySQL',
  h2c: 'HTTP2',
  'kubernetes.io/h2c': 'HTTP2',
  'kubernetes.io/ws': 'HTTP',
  'kubernetes.io/wss': 'HTTPS',
};

function fromString(s: string): Protocol | null {
  const l = s.toLowerCase();
  if (BY_NAME[l]) return BY_NAME[l];
  const i = l.indexOf('-');
  if (i > 0) {
    const prefix = l.slice(0, i);
    if (prefix === 'grpc' && l.startsWith('grpc-web')) return 'GRPC-Web';
    if (BY_NAME[prefix]) return BY_NAME[prefix];
  }
  return null;
}

/** A protocol as a Gateway server or an appProtocol names it (`HTTP`, `grpc-web`, …); unknown names are 'Unsupported'. */
export function protocolNamed(s: string): Protocol {
  return fromString(s) ?? 'Unsupported';
}

export function portProtocol(p: ServicePort): Protocol {
  if (p.protocol === 'UDP') return 'UDP';
  return (p.appProtocol && fromString(p.appProtocol)) || fromString(p.name) || 'Unsupported';
}

export function isHttp(p: Protocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-Web';
}
