/**
 * @module server/xds/frames
 * One encoding of a response for every stream a push sends it to (issue 18: a change's cost grows
 * with what it touches, not with the mesh). Streams of one class that hold the same set are
 * composed one shared response (sotw.ts `memo`) and given one nonce (sotw.ts `nonceFor`), so their
 * wire bytes are identical: the first stream's write encodes them into a gRPC frame
 * (proto/envelope.ts grpcFramed) and the others' writes hand the same frame to their transport
 * (StreamIO.writeFramed), which sends it without copying. Before, each stream encoded the response
 * and grpc-js framed it into a fresh copy: at 4,000 services the changed route config is ~470 KB,
 * and ten affected streams meant ten fresh buffers of it, each a new mmap with its page faults
 * under the launch line's MALLOC_MMAP_THRESHOLD_.
 * A frame is kept until the end of the event-loop turn it was made in (the push's slice), so it
 * pins no memory beyond what the transports hold while sending it. Only a push's responses are
 * shared (ads.ts `pushed`): sharing the first responses of a cold start too raised its peak RSS
 * (500 heavy proxies: 238–245 MB against 202–206 MB unshared; the cause is not known).
 */
import type { SotwResponse } from './state.js';

interface Entry {
  readonly typeUrl: string;
  readonly versionInfo: string;
  readonly nonce: string;
  readonly frame: Uint8Array;
}

export class SharedFrames {
  /** By the response's resource list (shared by streams composed the same response), its latest frame. */
  private readonly byResources = new Map<object, Entry>();
  private clearing = false;
  /** Frames made and frames reused (tests, and the reason this exists). */
  made = 0;
  reused = 0;

  /** The frame of `r`: the one made this turn for the same resources, version, nonce and type, else `make()`'s. */
  frame(r: SotwResponse, make: () => Uint8Array): Uint8Array {
    const e = this.byResources.get(r.resources);
    if (e && e.nonce === r.nonce && e.versionInfo === r.versionInfo && e.typeUrl === r.typeUrl) {
      this.reused++;
      return e.frame;
    }
    const frame = make();
    this.made++;
    this.byResources.set(r.resources, { typeUrl: r.typeUrl, versionInfo: r.versionInfo, nonce: r.nonce, frame });
    if (!this.clearing) {
      this.clearing = true;
      setImmediate(() => {
        this.clearing = false;
        this.byResources.clear();
      }).unref();
    }
    return frame;
  }
}
