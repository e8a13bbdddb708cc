/**
 * @module server/cache/output
 * A part's translated output (translators' Generated) read by xDS type, with what each resource and
 * name list recorded it read (translators/deps.ts), for part.ts: what a part is made from.
 */
import { CDS, ECDS, EDS, LDS, NDS, RDS, SDS, type XdsType } from '../../proto/typeurls.js';
import type { Generated, TypeOutput } from '../../translators/index.js';
import type { Deps } from '../../translators/deps.js';

/** What a resource or name list read when translated (translators/deps.ts DepOutput), if its output records it. */
export const depsOf = (o: TypeOutput<object>, name: string): Deps | undefined =>
  (o as { deps?: (n: string) => Deps | undefined }).deps?.(name);
export const namesDepsOf = (o: TypeOutput<object>): Deps | undefined => (o as { namesDeps?: () => Deps | undefined }).namesDeps?.();

export type EncodeFailure = (info: { proxyClass: string; typeUrl: string; name: string; error: Error }) => void;

/** No output of a type: it reads nothing, so its (empty) name list carries over any change. */
export const NOTHING: TypeOutput<never> & { key(name: string): undefined; namesDeps(): Deps } = {
  names: () => [],
  get: () => undefined,
  key: () => undefined,
  namesDeps: () => new Set(),
};

export function outputOf(g: Generated, t: XdsType): TypeOutput<object> {
  switch (t) {
    case CDS:
      return g.clusters;
    case EDS:
      return g.endpoints;
    case LDS:
      return g.listeners;
    case RDS:
      return g.routes;
    case SDS:
      return g.secrets ?? NOTHING;
    case NDS:
      return g.nameTable ?? NOTHING;
    case ECDS:
      return g.extensionConfigs ?? NOTHING;
  }
  throw new Error(`unsupported type ${String(t)}`);
}

/** The output of a class that could not be translated. */
export const NO_OUTPUT: Generated = { clusters: NOTHING, endpoints: NOTHING, listeners: NOTHING, routes: NOTHING };

export interface PartSource {
  /** Reported with encode failures (the class that first needed the part). */
  readonly owner: string;
  readonly generated: Generated;
  /** Encode everything now and drop `generated` (see the module comment). */
  readonly closed: boolean;
  /** Translates the part again for `message()` once `generated` is dropped. */
  readonly regenerate: () => Generated;
}
