/**
 * @module e2e/nginmesh/shapes
 * The field names and types of Pilot v1's answers as nginmesh's agent parses them, written from
 * ../shared/reference/nginmesh/ (real Istio 0.3/0.6/0.7.1 answers, checked against these shapes
 * by the tests when that folder is present) and its README. A checker returns every mismatch with
 * its JSON path; unknown fields are mismatches too, so tspilot cannot drift into shapes the agent
 * has never seen.
 */

export type Shape =
  | 'string'
  | 'number'
  | 'boolean'
  | 'object'
  | { readonly array: Shape }
  | { readonly fields: Readonly<Record<string, Shape>>; readonly optional?: readonly string[] }
  | { readonly pattern: RegExp }
  | { readonly oneOf: readonly string[] }
  | { readonly by: (v: Record<string, unknown>) => Shape };

/** `tcp://ip:port` (IPv4, bracketed IPv6, or a DNS name for DNS clusters). */
export const TCP_URL = /^tcp:\/\/(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|[a-z0-9.-]+):\d{1,5}$/;

const ROUTE: Shape = {
  fields: {
    prefix: 'string',
    path: 'string',
    case_sensitive: 'boolean',
    cluster: 'string',
    weighted_clusters: { fields: { clusters: { array: { fields: { name: 'string', weight: 'number' } } } } },
    headers: { array: { fields: { name: 'string', value: 'string', regex: 'boolean' }, optional: ['value', 'regex'] } },
    timeout_ms: 'number',
    retry_policy: {
      fields: { retry_on: 'string', num_retries: 'number', per_try_timeout_ms: 'number' },
      optional: ['num_retries', 'per_try_timeout_ms'],
    },
    prefix_rewrite: 'string',
    host_rewrite: 'string',
    use_websocket: 'boolean',
    opaque_config: 'object',
    decorator: 'object',
  },
  optional: [
    'prefix',
    'path',
    'case_sensitive',
    'cluster',
    'weighted_clusters',
    'headers',
    'timeout_ms',
    'retry_policy',
    'prefix_rewrite',
    'host_rewrite',
    'use_websocket',
    'opaque_config',
    'decorator',
  ],
};

export const ROUTE_CONFIG: Shape = {
  fields: {
    validate_clusters: 'boolean',
    virtual_hosts: { array: { fields: { name: 'string', domains: { array: 'string' }, routes: { array: ROUTE } } } },
  },
  optional: ['validate_clusters'],
};

const HCM: Shape = {
  fields: {
    codec_type: 'string',
    stat_prefix: 'string',
    generate_request_id: 'boolean',
    tracing: 'object',
    use_remote_address: 'boolean',
    rds: { fields: { cluster: 'string', route_config_name: 'string', refresh_delay_ms: 'number' } },
    route_config: ROUTE_CONFIG,
    filters: { array: { fields: { type: 'string', name: 'string', config: 'object' } } },
    access_log: { array: 'object' },
  },
  optional: ['generate_request_id', 'tracing', 'use_remote_address', 'rds', 'route_config', 'access_log'],
};

const TCP_PROXY: Shape = {
  fields: {
    stat_prefix: 'string',
    route_config: {
      fields: {
        routes: { array: { fields: { cluster: 'string', destination_ip_list: { array: 'string' } }, optional: ['destination_ip_list'] } },
      },
    },
  },
};

export const LISTENERS: Shape = {
  fields: {
    listeners: {
      array: {
        fields: {
          address: { pattern: TCP_URL },
          name: 'string',
          bind_to_port: 'boolean',
          use_original_dst: 'boolean',
          filters: {
            array: {
              by: (f) => ({
                fields: {
                  type: { oneOf: ['read'] },
                  name: { oneOf: ['http_connection_manager', 'tcp_proxy'] },
                  config: f['name'] === 'tcp_proxy' ? TCP_PROXY : HCM,
                },
              }),
            },
          },
        },
        optional: ['use_original_dst'],
      },
    },
  },
};

export const CLUSTERS: Shape = {
  fields: {
    clusters: {
      array: {
        fields: {
          name: 'string',
          service_name: 'string',
          type: { oneOf: ['sds', 'static', 'strict_dns', 'logical_dns', 'original_dst'] },
          lb_type: { oneOf: ['round_robin', 'least_request', 'random', 'ring_hash', 'original_dst_lb'] },
          connect_timeout_ms: 'number',
          hosts: { array: { fields: { url: { pattern: TCP_URL } } } },
          features: 'string',
          ssl_context: {
            fields: {
              cert_chain_file: 'string',
              private_key_file: 'string',
              ca_cert_file: 'string',
              verify_subject_alt_name: { array: 'string' },
              sni: 'string',
              alpn_protocols: 'string',
            },
            optional: ['cert_chain_file', 'private_key_file', 'ca_cert_file', 'verify_subject_alt_name', 'sni', 'alpn_protocols'],
          },
          circuit_breakers: 'object',
          outlier_detection: 'object',
        },
        optional: ['service_name', 'hosts', 'features', 'ssl_context', 'circuit_breakers', 'outlier_detection'],
      },
    },
  },
};

export const REGISTRATION: Shape = {
  fields: {
    hosts: {
      array: {
        fields: {
          ip_address: 'string',
          port: 'number',
          tags: { fields: { az: 'string', canary: 'boolean', load_balancing_weight: 'number' } },
        },
      },
    },
  },
};

/** Every mismatch between `v` and `shape`, as `path: problem`. */
export function mismatches(v: unknown, shape: Shape, path = '$'): string[] {
  if (typeof shape === 'string') {
    if (shape === 'object')
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? [] : [`${path}: expected an object, got ${JSON.stringify(v)}`];
    return typeof v === shape ? [] : [`${path}: expected a ${shape}, got ${JSON.stringify(v)}`];
  }
  if ('array' in shape) {
    if (!Array.isArray(v)) return [`${path}: expected an array, got ${JSON.stringify(v)}`];
    return v.flatMap((x, i) => mismatches(x, shape.array, `${path}[${i}]`));
  }
  if ('pattern' in shape)
    return typeof v === 'string' && shape.pattern.test(v) ? [] : [`${path}: ${JSON.stringify(v)} does not match ${shape.pattern}`];
  if ('oneOf' in shape)
    return typeof v === 'string' && shape.oneOf.includes(v)
      ? []
      : [`${path}: ${JSON.stringify(v)} is not one of ${shape.oneOf.join(', ')}`];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [`${path}: expected an object, got ${JSON.stringify(v)}`];
  const o = v as Record<string, unknown>;
  if ('by' in shape) return mismatches(v, shape.by(o), path);
  const out: string[] = [];
  for (const k of Object.keys(o)) if (!(k in shape.fields)) out.push(`${path}.${k}: unknown field`);
  for (const [k, s] of Object.entries(shape.fields)) {
    if (o[k] === undefined) {
      if (!shape.optional?.includes(k)) out.push(`${path}.${k}: missing`);
      continue;
    }
    out.push(...mismatches(o[k], s, `${path}.${k}`));
  }
  return out;
}
