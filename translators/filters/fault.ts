/**
 * @module translators/filters/fault
 * `envoy.filters.http.fault`: an empty filter in every HCM (Envoy and proxyless gRPC, as istiod
 * puts it in both), and VirtualService `fault` (delay / abort) as its per-route HTTPFault.
 */
import type { HTTPRoute } from '../../model/istio.js';
import type { HTTPFault } from '../../proto/types.js';
import { typedAny } from '../../proto/any.js';
import { durationOf } from '../../model/duration.js';
import type { HttpFilterFeature } from './types.js';

export const FAULT_FILTER = 'envoy.filters.http.fault';
export const FAULT_TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

function percent(v: number): { numerator: number; denominator: 'MILLION' } {
  return { numerator: Math.round(v * 10000), denominator: 'MILLION' };
}

const GRPC_CODES: Readonly<Record<string, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

export function faultConfig(f: NonNullable<HTTPRoute['fault']>): HTTPFault {
  const out: HTTPFault = {};
  if (f.delay?.fixedDelay)
    out.delay = { fixed_delay: durationOf(f.delay.fixedDelay), percentage: percent(f.delay.percentage?.value ?? f.delay.percent ?? 0) };
  if (f.abort) {
    const code =
      f.abort.grpcStatus !== undefined
        ? { grpc_status: GRPC_CODES[f.abort.grpcStatus] ?? (Number(f.abort.grpcStatus) || 2) }
        : { http_status: f.abort.httpStatus ?? 503 };
    // As istiod: a fault without a percentage applies to no request (Istio's API: "if not specified, no request will be aborted").
    out.abort = { ...code, percentage: percent(f.abort.percentage?.value ?? 0) };
  }
  return out;
}

export const fault: HttpFilterFeature = {
  name: FAULT_FILTER,
  filters: () => [{ name: FAULT_FILTER, typed_config: typedAny(FAULT_TYPE, {}) }],
  routeConfig: ({ route }) => (route.fault ? typedAny(FAULT_TYPE, faultConfig(route.fault)) : undefined),
};
