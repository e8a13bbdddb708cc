/**
 * @module proto/types
 * Typed Envoy v3 messages for the translators: type-only re-exports of the interfaces that
 * @grpc/grpc-js-xds generates from the same .proto files (snake_case field names, as the
 * protobufjs Root in registry.ts keeps them). Messages that package does not generate are declared
 * here by hand with only the fields tspilot sets. Type-only: importing this costs nothing at run time.
 */
export type { Cluster } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/cluster/v3/Cluster.js';
export type { ClusterLoadAssignment } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
export type { LocalityLbEndpoints } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/endpoint/v3/LocalityLbEndpoints.js';
export type { LbEndpoint } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/endpoint/v3/LbEndpoint.js';
export type { Listener } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/listener/v3/Listener.js';
export type { FilterChain } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/listener/v3/FilterChain.js';
export type { Filter } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/listener/v3/Filter.js';
export type { RouteConfiguration } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/route/v3/RouteConfiguration.js';
export type { VirtualHost } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/route/v3/VirtualHost.js';
export type { Route } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/route/v3/Route.js';
export type { RouteMatch } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/route/v3/RouteMatch.js';
export type { RouteAction } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/route/v3/RouteAction.js';
export type { HeaderMatcher } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/route/v3/HeaderMatcher.js';
export type { WeightedCluster } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/route/v3/WeightedCluster.js';
export type { RetryPolicy } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/route/v3/RetryPolicy.js';
export type { HttpConnectionManager } from '@grpc/grpc-js-xds/build/src/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
export type { HttpFilter } from '@grpc/grpc-js-xds/build/src/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpFilter.js';
export type { HTTPFault } from '@grpc/grpc-js-xds/build/src/generated/envoy/extensions/filters/http/fault/v3/HTTPFault.js';
export type { ConfigSource } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/core/v3/ConfigSource.js';
export type { Metadata } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/core/v3/Metadata.js';
export type { Node } from '@grpc/grpc-js-xds/build/src/generated/envoy/config/core/v3/Node.js';
export type { Any } from '@grpc/grpc-js-xds/build/src/generated/google/protobuf/Any.js';
export type { Struct } from '@grpc/grpc-js-xds/build/src/generated/google/protobuf/Struct.js';
export type { Duration } from '@grpc/grpc-js-xds/build/src/generated/google/protobuf/Duration.js';
export type { DiscoveryRequest__Output as DiscoveryRequest } from '@grpc/grpc-js-xds/build/src/generated/envoy/service/discovery/v3/DiscoveryRequest.js';
export type { DeltaDiscoveryRequest__Output as DeltaDiscoveryRequest } from '@grpc/grpc-js-xds/build/src/generated/envoy/service/discovery/v3/DeltaDiscoveryRequest.js';

/** envoy.extensions.filters.http.router.v3.Router — tspilot sets no field of it. */
export type Router = Record<string, never>;
