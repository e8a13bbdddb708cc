/**
 * @module bench/small-run
 * The smallest full bench run the bench's own tests use (bench.test.ts, kube.test.ts): 20 services
 * in 2 namespaces, 6 proxies, a 1-second churn — every scenario runs, in seconds.
 */
export const SMALL_RUN = {
  services: 20,
  endpointsPerService: 2,
  namespaces: 2,
  proxies: 6,
  delta: false,
  png: '',
  churnSeconds: 1,
  churnRate: 2,
} as const;
