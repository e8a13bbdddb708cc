/**
 * @module model/locality
 * Localities (`region/zone/subzone`) and the labels that carry them: the topology labels
 * (`topology.kubernetes.io/region`, `…/zone`, `topology.istio.io/subzone`) and istio's
 * `istio-locality` override (`region.zone.subzone`, dots because labels cannot hold `/`).
 * Shared by resolveProxy (which locality a proxy is in) and the locality load balancing of
 * translators/locality.ts. Pure.
 */

export const REGION_LABEL = 'topology.kubernetes.io/region';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const SUBZONE_LABEL = 'topology.istio.io/subzone';
export const ISTIO_LOCALITY_LABEL = 'istio-locality';

export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subzone: string;
}

/** `region/zone/subzone` (istiod's SplitLocalityLabel; the subzone keeps any further `/`). A string without `/` is a zone (EndpointSlice). */
export function parseLocality(s: string): Locality {
  if (!s) return { region: '', zone: '', subzone: '' };
  const i = s.indexOf('/');
  if (i < 0) return { region: '', zone: s, subzone: '' };
  const rest = s.slice(i + 1);
  const j = rest.indexOf('/');
  return { region: s.slice(0, i), zone: j < 0 ? rest : rest.slice(0, j), subzone: j < 0 ? '' : rest.slice(j + 1) };
}

/**
 * The proxy's locality from its labels: `istio-locality` (dots for slashes), else the topology
 * labels — the order istiod's Kubernetes registry uses for a pod (getPodLocality), whose result
 * is what the proxy's labels then carry.
 */
export function proxyLocality(labels: Readonly<Record<string, string>>): Locality {
  const il = labels[ISTIO_LOCALITY_LABEL];
  if (il) {
    const [region = '', zone = '', ...sz] = il.split('.');
    return { region, zone, subzone: sz.join('.') };
  }
  return { region: labels[REGION_LABEL] ?? '', zone: labels[ZONE_LABEL] ?? '', subzone: labels[SUBZONE_LABEL] ?? '' };
}

/** Topology labels for a locality (istiod's AugmentLabels): the parts that are set. */
export function localityLabels(loc: Locality): Record<string, string> {
  return {
    ...(loc.region ? { [REGION_LABEL]: loc.region } : {}),
    ...(loc.zone ? { [ZONE_LABEL]: loc.zone } : {}),
    ...(loc.subzone ? { [SUBZONE_LABEL]: loc.subzone } : {}),
  };
}

export const isEmptyLocality = (l: Locality): boolean => !l.region && !l.zone && !l.subzone;
