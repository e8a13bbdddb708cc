/**
 * @module server/ca/defaults
 * The CA's defaults (istiod's DEFAULT_WORKLOAD_CERT_TTL / MAX_WORKLOAD_CERT_TTL, ./etc/cacerts, the
 * folder-mode state folder), in a file that imports nothing heavy: `tspilot --help` prints them
 * without loading the CA (grpc-js, protobufjs, the Kubernetes client).
 */
import os from 'node:os';
import path from 'node:path';

export const DEFAULT_CERT_TTL_SECONDS = 24 * 3600;
export const MAX_CERT_TTL_SECONDS = 90 * 24 * 3600;
export const DEFAULT_CACERTS_DIR = './etc/cacerts';
export const DEFAULT_CA_STATE_DIR = path.join(os.homedir(), '.tspilot', 'ca');
