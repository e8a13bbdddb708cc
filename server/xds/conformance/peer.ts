/**
 * @module server/xds/conformance/peer
 * An Envoy-like client for the conformance suite, the same calls over SotW or Delta: it tracks
 * per type the names it subscribed, the last version and nonce it received, and says ACK/NACK
 * the way each variant does (SotW echoes version+nonce+names; Delta echoes the nonce).
 */
import type { TestClient, Resp, Variant } from './harness.js';
import { NODE } from './harness.js';
import type { WireNode } from '../../../proto/wire.js';

export class Peer {
  private readonly names = new Map<string, string[]>();
  private readonly last = new Map<string, { version: string; nonce: string }>();
  private sentNode = false;

  constructor(
    readonly c: TestClient,
    readonly variant: Variant,
    private readonly node: WireNode = NODE(),
  ) {}

  private nodeOnce(): { node?: WireNode } {
    if (this.sentNode) return {};
    this.sentNode = true;
    return { node: this.node };
  }

  /** Subscribes to `names` in addition to what the type already has ([] on first use: legacy wildcard for LDS/CDS). */
  sub(typeUrl: string, names: string[], opts: { initialVersions?: Record<string, string> } = {}): void {
    const had = this.names.get(typeUrl);
    const all = [...new Set([...(had ?? []), ...names])];
    this.names.set(typeUrl, all);
    if (this.variant === 'sotw') {
      const l = this.last.get(typeUrl);
      this.c.sotw({ ...this.nodeOnce(), typeUrl, resourceNames: all, versionInfo: l?.version ?? '', responseNonce: l?.nonce ?? '' });
    } else {
      this.c.delta({ ...this.nodeOnce(), typeUrl, resourceNamesSubscribe: names, initialResourceVersions: opts.initialVersions ?? {} });
    }
  }

  /** Unsubscribes `names`. */
  unsub(typeUrl: string, names: string[]): void {
    const all = (this.names.get(typeUrl) ?? []).filter((n) => !names.includes(n));
    this.names.set(typeUrl, all);
    if (this.variant === 'sotw') {
      const l = this.last.get(typeUrl);
      this.c.sotw({ typeUrl, resourceNames: all, versionInfo: l?.version ?? '', responseNonce: l?.nonce ?? '' });
    } else this.c.delta({ typeUrl, resourceNamesUnsubscribe: names });
  }

  /** Next response, remembered as the type's latest. */
  async next(timeoutMs?: number): Promise<Resp> {
    const r = await this.c.next(timeoutMs);
    return r;
  }

  ack(r: Resp): void {
    this.last.set(r.typeUrl, { version: r.versionInfo, nonce: r.nonce });
    if (this.variant === 'sotw')
      this.c.sotw({
        typeUrl: r.typeUrl,
        resourceNames: this.names.get(r.typeUrl) ?? [],
        versionInfo: r.versionInfo,
        responseNonce: r.nonce,
      });
    else this.c.delta({ typeUrl: r.typeUrl, responseNonce: r.nonce });
  }

  nack(r: Resp, message = 'rejected by test'): void {
    const prev = this.last.get(r.typeUrl);
    this.last.set(r.typeUrl, { version: prev?.version ?? '', nonce: r.nonce });
    const errorDetail = { code: 3, message };
    if (this.variant === 'sotw')
      this.c.sotw({
        typeUrl: r.typeUrl,
        resourceNames: this.names.get(r.typeUrl) ?? [],
        versionInfo: prev?.version ?? '',
        responseNonce: r.nonce,
        errorDetail,
      });
    else this.c.delta({ typeUrl: r.typeUrl, responseNonce: r.nonce, errorDetail });
  }

  /** Receives one response and ACKs it. */
  async recvAck(timeoutMs?: number): Promise<Resp> {
    const r = await this.next(timeoutMs);
    this.ack(r);
    return r;
  }
}

export const names = (r: Resp): string[] => r.resources.map((x) => x.name);
