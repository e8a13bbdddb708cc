/**
 * @module model/labels
 * Label-selector matching, one function per meaning istiod gives an empty selector (its
 * pkg/config/labels Instance.SubsetOf and Instance.Match). Both match the same way — every
 * selector key is on the workload with the same value — and differ only for an empty or absent
 * selector, which depends on the direction:
 *
 * - config that APPLIES TO workloads — `selectorMatches`: an empty or absent selector selects every
 *   workload (in the namespace the caller already narrowed to). Sidecar `workloadSelector`, policy
 *   `selector.matchLabels` (AuthorizationPolicy, PeerAuthentication, RequestAuthentication),
 *   Gateway `selector` (absent → every gateway proxy), DestinationRule subset `labels` (absent →
 *   every endpoint), VirtualService `sourceLabels`, discoverySelectors' matchLabels.
 * - workloads that BELONG TO a service — `serviceSelects`: an empty or absent selector selects
 *   nothing. Kubernetes Service `selector` (a Service without one has no selected Pods; the API
 *   server stores `{}` as absent), ServiceEntry `workloadSelector.labels`.
 *
 * Pure.
 */

export type Labels = Readonly<Record<string, string>>;

/** istiod's SubsetOf: every label of `selector` is on `labels`; an empty or absent selector selects everything. */
export function selectorMatches(selector: Labels | null | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const k of Object.keys(selector)) if (labels[k] !== selector[k]) return false;
  return true;
}

/** istiod's Match (service → workload): as `selectorMatches`, but an empty or absent selector selects nothing. */
export function serviceSelects(selector: Labels | null | undefined, labels: Labels): boolean {
  return !!selector && Object.keys(selector).length > 0 && selectorMatches(selector, labels);
}
