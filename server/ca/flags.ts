/**
 * @module server/ca/flags
 * The CA's `tspilot serve` flags, kept here so the shared CLI file gains one line: where the root
 * comes from (`--cacerts-dir`, `--ca-state-dir`), the serving certificate's extra DNS names
 * (`--tls-dns-names`) and the workload certificate lifetimes (`--workload-cert-ttl`,
 * `--max-workload-cert-ttl`, istiod's DEFAULT_WORKLOAD_CERT_TTL / MAX_WORKLOAD_CERT_TTL).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration } from '../../model/duration.js';
import { DEFAULT_CACERTS_DIR, DEFAULT_CA_STATE_DIR, DEFAULT_CERT_TTL_SECONDS, MAX_CERT_TTL_SECONDS } from './defaults.js';

export interface CaFlags {
  readonly cacertsDir: string;
  readonly caStateDir: string;
  readonly tlsDnsNames: readonly string[];
  readonly workloadCertTtl: number;
  readonly maxWorkloadCertTtl: number;
  /** Kubernetes mode: write istio-ca-root-cert into every namespace (false next to istiod, which writes them). */
  readonly rootCertConfigmaps?: boolean;
}

function seconds(v: string): number {
  const ms = parseDuration(v);
  if (ms === null || ms < 1000) throw new InvalidArgumentError(`"${v}" is not a duration of at least 1s (e.g. 24h, 2160h)`);
  return Math.floor(ms / 1000);
}

const names = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function addCaFlags(cmd: Command): Command {
  return cmd
    .option(
      '--cacerts-dir <dir>',
      'plugged-in CA (ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem), used when present (istiod: ./etc/cacerts)',
      DEFAULT_CACERTS_DIR,
    )
    .option('--ca-state-dir <dir>', 'folder mode: where the self-signed root is created once and kept', DEFAULT_CA_STATE_DIR)
    .option(
      '--tls-dns-names <names>',
      "tspilot's own Service names for the serving certificate, besides istiod's (comma-separated; short names get .<namespace>.svc)",
      names,
      ['tspilot'],
    )
    .option(
      '--workload-cert-ttl <duration>',
      'certificate lifetime when a CSR asks for none (DEFAULT_WORKLOAD_CERT_TTL)',
      seconds,
      DEFAULT_CERT_TTL_SECONDS,
    )
    .option(
      '--max-workload-cert-ttl <duration>',
      'longest certificate lifetime granted (MAX_WORKLOAD_CERT_TTL)',
      seconds,
      MAX_CERT_TTL_SECONDS,
    )
    .option(
      '--no-root-cert-configmaps',
      'Kubernetes mode: do not write istio-ca-root-cert into namespaces (next to istiod, whose namespace controller writes them)',
    );
}
