/**
 * @module server/ca/metrics
 * istiod's CA metrics (Citadel's names, which dashboards and alerts use): CSRs received,
 * authentication failures, CSR parse failures, signing errors by error, certificates issued, and
 * the root's expiry. Registered on the server's own prom-client Registry (server/metrics.ts's
 * `PilotMetrics.registry`), so /metrics on the monitoring port shows them next to pilot_*.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export class CaMetrics {
  readonly csrs: Counter;
  readonly authnFailures: Counter;
  readonly csrParseErrors: Counter;
  readonly signErrors: Counter<'error'>;
  readonly issued: Counter;
  readonly rootExpiry: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.csrs = new Counter({ name: 'citadel_server_csr_count', help: 'The number of CSRs received by Citadel server.', registers });
    this.authnFailures = new Counter({
      name: 'citadel_server_authentication_failure_count',
      help: 'The number of authentication failures.',
      registers,
    });
    this.csrParseErrors = new Counter({
      name: 'citadel_server_csr_parsing_err_count',
      help: 'The number of errors occurred when parsing the CSR.',
      registers,
    });
    this.signErrors = new Counter({
      name: 'citadel_server_csr_sign_err_count',
      help: 'The number of errors occurred when signing the CSR.',
      labelNames: ['error'],
      registers,
    });
    this.issued = new Counter({
      name: 'citadel_server_success_cert_issuance_count',
      help: 'The number of certificates issuances that have succeeded.',
      registers,
    });
    this.rootExpiry = new Gauge({
      name: 'citadel_server_root_cert_expiry_timestamp',
      help: 'The unix timestamp, in seconds, when Citadel root cert will expire. A negative time indicates the cert is expired.',
      registers,
    });
  }
}
