/**
 * @module proto/registry
 * Loads the Envoy v3 API (and the xds, udpa, googleapis and protoc-gen-validate files it imports)
 * from the `.proto` files shipped inside the installed `@grpc/grpc-js-xds` package — never from
 * copies in this repository. The result is one protobufjs `Root` with field names kept in
 * snake_case (matching the generated TypeScript types re-exported by `proto/types.ts`) and with
 * `(validate.rules)` options parsed, so `proto/validate.ts` can walk them by reflection.
 *
 * Loading takes a few hundred milliseconds; it happens once per process, lazily.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';

/** Every top-level file tspilot encodes, decodes or dumps. Their imports are pulled in as needed. */
export const ENVOY_FILES: readonly string[] = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/cluster/v3/cds.proto',
  'envoy/service/endpoint/v3/eds.proto',
  'envoy/service/listener/v3/lds.proto',
  'envoy/service/route/v3/rds.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/network/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/request_id/uuid/v3/uuid.proto',
  'envoy/admin/v3/config_dump.proto',
  'envoy/service/status/v3/csds.proto',
  'google/protobuf/struct.proto',
  'google/protobuf/wrappers.proto',
  // Extensions EnvoyFilter patches commonly carry (proto/patch.ts decodes their `value`s).
  'envoy/extensions/filters/http/lua/v3/lua.proto',
  'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/network/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/http/ext_proc/v3/ext_proc.proto',
  'envoy/extensions/filters/http/ratelimit/v3/rate_limit.proto',
  'envoy/extensions/filters/http/buffer/v3/buffer.proto',
  'envoy/extensions/filters/http/header_mutation/v3/header_mutation.proto',
  'envoy/extensions/filters/http/header_to_metadata/v3/header_to_metadata.proto',
  'envoy/config/core/v3/extension.proto',
  // Telemetry (translators/telemetry): TypedStruct carries istio-proxy's own filter configs
  // (stats.PluginConfig, io.istio.http.peer_metadata.Config, the TCP MetadataExchange) and the
  // OpenTelemetry access log config, whose OTLP imports are not shipped in the package.
  'udpa/type/v1/typed_struct.proto',
  'envoy/extensions/filters/http/grpc_stats/v3/config.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/filters/cel/v3/cel.proto',
  'envoy/config/trace/v3/zipkin.proto',
  'envoy/config/trace/v3/opentelemetry.proto',
];

/**
 * tspilot's own .proto files (this folder; copied next to dist/ in the image): messages that are
 * not Envoy's but travel on the same ADS stream, e.g. pilot-agent's DNS name table.
 */
export const LOCAL_FILES: readonly string[] = ['nds.proto'];

/** This folder in the source tree; dist/proto/registry.js finds it two levels up. */
function localDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const src = path.resolve(here, '..', '..', 'proto');
  return existsSync(path.join(src, LOCAL_FILES[0]!)) ? src : here;
}

function depsDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@grpc/grpc-js-xds/package.json');
  return path.join(path.dirname(pkg), 'deps');
}

/** Include directories, in the order protoc would search them. */
export function includeDirs(): string[] {
  const deps = depsDir();
  const protobufjsCommon = path.dirname(createRequire(import.meta.url).resolve('protobufjs/package.json'));
  return [
    path.join(deps, 'envoy-api'),
    path.join(deps, 'xds'),
    path.join(deps, 'googleapis'),
    path.join(deps, 'protoc-gen-validate'),
    protobufjsCommon, // google/protobuf/*.proto ship with protobufjs
    localDir(),
  ];
}

let root: protobuf.Root | undefined;

/** The shared Root; loaded on first use. */
export function envoyRoot(): protobuf.Root {
  if (root) return root;
  const dirs = includeDirs();
  const r = new protobuf.Root();
  r.resolvePath = (_origin: string, target: string): string => {
    if (path.isAbsolute(target) && existsSync(target)) return target;
    for (const d of dirs) {
      const p = path.join(d, target);
      if (existsSync(p)) return p;
    }
    return target;
  };
  r.loadSync([...ENVOY_FILES, ...LOCAL_FILES], { keepCase: true, alternateCommentMode: false });
  r.resolveAll();
  root = r;
  return r;
}

/** Looks a message type up by its full name (`envoy.config.cluster.v3.Cluster`). */
export function messageType(fullName: string): protobuf.Type {
  return envoyRoot().lookupType(fullName);
}
