/**
 * @module translators/metadata
 * Provenance: the `metadata.filter_metadata.istio` Struct istiod attaches to clusters, routes and
 * listeners (`config` = the originating config's path, `services` for clusters), so config_dump
 * and explain can say which config produced a resource.
 */
import type { Metadata } from '../proto/types.js';
import { jsonToStruct, type Json } from '../proto/struct.js';

export function istioMetadata(fields: { [k: string]: Json }): Metadata {
  return { filter_metadata: { istio: jsonToStruct(fields) } } as Metadata;
}
