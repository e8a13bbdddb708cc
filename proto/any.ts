/**
 * @module proto/any
 * Typed construction of `google.protobuf.Any` for translators. An Any is kept as the proto3 JSON
 * form `{"@type": url, ...fields}` until `proto/encode.ts` packs it (protobufjs resolves the
 * `@type` and encodes the inner message), so translators stay pure and output stays readable.
 */
import type { Any } from './types.js';
import { TYPE_PREFIX } from './typeurls.js';

/** Packs `msg` (an object of message type `typeName`, e.g. `envoy.extensions.filters.http.router.v3.Router`). */
export function typedAny<T extends object>(typeName: string, msg: T): Any {
  // The generated Any type only knows {type_url, value}; the `@type` form is what protobufjs's
  // Any wrapper and proto3 JSON both accept, so we widen through unknown here, in one place.
  return { '@type': TYPE_PREFIX + typeName, ...msg } as unknown as Any;
}
