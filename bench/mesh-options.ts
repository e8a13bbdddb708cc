/**
 * @module bench/mesh-options
 * The mesh-size options the bench's command lines share (run.ts, eds-timeline.ts): services,
 * endpoints per service, namespaces and proxies, each tool with its own defaults.
 */
import type { Command } from 'commander';

export interface MeshSizeDefaults {
  readonly services: number;
  readonly endpointsPerService: number;
  readonly namespaces: number;
  readonly proxies: number;
}

/** Adds --services, --endpoints-per-service, --namespaces and --proxies to `cmd`. */
export function meshSizeOptions(cmd: Command, d: MeshSizeDefaults): Command {
  return cmd
    .option('--services <n>', 'services', Number, d.services)
    .option('--endpoints-per-service <n>', 'endpoints per service', Number, d.endpointsPerService)
    .option('--namespaces <n>', 'namespaces', Number, d.namespaces)
    .option('--proxies <n>', 'simulated sidecars', Number, d.proxies);
}
