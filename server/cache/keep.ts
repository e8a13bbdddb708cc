/**
 * @module server/cache/keep
 * How the class cache (snapshot.ts) keeps a part of the previous mesh on an endpoint-only push
 * (CarryOver.endpoints) without translating it: whether the change can touch the part at all, and
 * the part for the new mesh — the same part, an open one answering what it has not encoded yet
 * from an output of the new mesh translated only if asked for.
 */
import { EDS, NDS } from '../../proto/typeurls.js';
import type { Generated } from '../../translators/index.js';
import type { EndpointChange } from './api.js';
import type { PartSnapshot, PartSource } from './part.js';

/**
 * Whether an endpoint-only change can alter part `p`: it lists an EDS resource of an affected host,
 * lists name-table entries when a headless host changed, or (open) may answer EDS names it does not list.
 */
export function touches(p: PartSnapshot, ep: EndpointChange): boolean {
  if (p.open && !p.answersOnlyListed(EDS)) return true;
  if (ep.headless && (p.names(NDS).length > 0 || (p.open && !p.answersOnlyListed(NDS)))) return true;
  return (ep.hosts ? p.namesOfHosts(EDS, ep.hosts) : p.namesWhere(EDS, ep.affected)).length > 0;
}

/** An output translated on first use of any of its fields (`envoyFilters` excepted: sidecar parts have none). */
export function lazyOutput(make: () => Generated): Generated {
  let g: Generated | undefined;
  const force = (): Generated => (g ??= make());
  return {
    get clusters() {
      return force().clusters;
    },
    get endpoints() {
      return force().endpoints;
    },
    get listeners() {
      return force().listeners;
    },
    get routes() {
      return force().routes;
    },
    get secrets() {
      return force().secrets;
    },
    get nameTable() {
      return force().nameTable;
    },
    get extensionConfigs() {
      return force().extensionConfigs;
    },
  };
}

/**
 * Part `old` (which `touches` found the change cannot alter) for the new mesh, kept as it is: a
 * closed part rebound to `src`; an open one (a class's extras: secrets, name table) too, answering
 * what it has not encoded yet from `src.regenerate` run on demand — so it holds the new mesh, not
 * the one it was made from, and the class composed of kept parts is kept whole.
 */
export function keptAsIs(old: PartSnapshot, src: Pick<PartSource, 'owner' | 'regenerate'>): PartSnapshot {
  return old.rebind(src, old.open ? lazyOutput(src.regenerate) : undefined);
}
