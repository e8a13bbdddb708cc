/**
 * @module server/ui/web/traffic-view
 * The JSON of `/ui/api/traffic?host=` — one service's traffic view — as types only, so the server
 * (server/ui/traffic.ts builds it) and the browser (server/ui/web/traffic.ts draws it) share one
 * contract. Kept in the web folder because the browser build (its own tsconfig, rootDir here)
 * cannot import from outside it; the server build can import inwards, and type-only imports
 * leave nothing in either's JavaScript.
 */

export interface TrafficDestination {
  readonly host: string;
  readonly subset: string;
  readonly port: number | null;
  readonly weight: number;
}

export interface TrafficRoute {
  /** `VirtualService namespace/name http[i]` (or `tcp[i]`, `tls[i]`). */
  readonly id: string;
  readonly virtualService: string;
  readonly rule: string;
  readonly name: string;
  /** One line per match condition set; `any request` when the rule has none. */
  readonly match: readonly string[];
  readonly destinations: readonly TrafficDestination[];
  /** timeout, retries, fault, mirror, rewrite, redirect, direct response… as short lines. */
  readonly actions: readonly string[];
}

export interface TrafficSubset {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly endpoints: number;
  readonly policy: readonly string[];
}

export interface TrafficView {
  readonly host: string;
  readonly service: {
    readonly namespace: string;
    readonly name: string;
    readonly ports: readonly string[];
    readonly endpoints: number;
  } | null;
  readonly routes: readonly TrafficRoute[];
  readonly destinationRule: {
    readonly name: string;
    readonly policy: readonly string[];
    readonly subsets: readonly TrafficSubset[];
  } | null;
  /** VirtualServices on this host ignored because another one claims it first. */
  readonly ignoredVirtualServices: readonly string[];
}
