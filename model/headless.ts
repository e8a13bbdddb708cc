/**
 * @module model/headless
 * Services without a VIP whose DNS answers are their endpoints' IPs: a Kubernetes Service with no
 * clusterIP (headless), or a ServiceEntry with resolution NONE. The name table (NDS) follows their
 * endpoints, so an endpoint-only push that moves them must re-send NDS too. Pure.
 */
import type { MeshService } from './config.js';

/** A passthrough service: headless Service (EDS resolution), or a ServiceEntry with resolution NONE. */
export const passthrough = (s: MeshService): boolean =>
  s.origin === 'Service' ? s.clusterIP === '' && s.resolution === 'EDS' : s.resolution === 'NONE';

/** Whether the name table answers `s` with its endpoints' IPs (no VIP): a push that moves its endpoints must re-send NDS. */
export const nameTableFollowsEndpoints = (s: MeshService): boolean => s.clusterIP === '' && passthrough(s);
