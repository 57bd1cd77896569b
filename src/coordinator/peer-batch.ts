import type { Clock } from '../core/clock.js';
import { QkvError, isQkvError } from '../core/errors.js';
import { batchRequest, MAX_BATCH_BYTES, MAX_BATCH_ITEMS, parseBatchReply, type BatchItem, type BatchResult, type ReadCopy } from './batch-messages.js';
import { parseGetReply, type GetReply } from './messages.js';
import type { PeerClient } from './peer-client.js';

/** How long a peer that refused r.batch (an older version) gets one message per item before batching is tried again. */
export const LEGACY_RETRY_MS = 60_000;

export interface PeerBatcherOptions {
  /** Runs the flush once the current turn's work is queued; default setImmediate. */
  readonly schedule?: (run: () => void) => void;
  readonly maxItems?: number;
  readonly maxBytes?: number;
}

type Done = (err: Error | null, result?: BatchResult) => void;

interface Queue {
  items: BatchItem[];
  dones: Done[];
  bytes: number;
  timeoutMs: number;
}

/**
 * Replica merges and reads bound for one peer in one event-loop turn go out
 * as one r.batch frame (batch-messages.ts), with one promise and one timer
 * for the frame; each item's caller hears its own result. A frame is cut at
 * maxItems or maxBytes and the rest goes in the next.
 *
 * A peer that answers the frame itself with an error (an older node refusing
 * the unknown type; a frame it could not parse) carried none of it out: its
 * items are sent again one message each, and that peer gets single messages
 * for LEGACY_RETRY_MS. Sending an item twice would be harmless anyway, as
 * merges and reads are idempotent. A frame lost to the transport (TIMEOUT,
 * UNAVAILABLE) fails each of its items with that error.
 */
export class PeerBatcher {
  private readonly queues = new Map<string, Queue>();
  private readonly legacyUntil = new Map<string, number>();
  private scheduled = false;
  private readonly schedule: (run: () => void) => void;
  private readonly maxItems: number;
  private readonly maxBytes: number;
  private sentFrames = 0;

  constructor(
    private readonly peers: PeerClient,
    private readonly clock: Clock,
    opts: PeerBatcherOptions = {},
  ) {
    this.schedule = opts.schedule ?? ((run) => setImmediate(run));
    this.maxItems = opts.maxItems ?? MAX_BATCH_ITEMS;
    this.maxBytes = opts.maxBytes ?? MAX_BATCH_BYTES;
  }

  /** Frames sent so far (r.batch only). */
  get frames(): number {
    return this.sentFrames;
  }

  /** Merges obj (encoded) into peer's copy of key; done(null) once durable there. */
  merge(peer: string, key: Buffer, obj: Buffer, epoch: number, timeoutMs: number, done: (err: Error | null) => void): void {
    this.add(peer, { op: 'm', key, obj, epoch }, key.length + obj.length + 16, timeoutMs, done);
  }

  /**
   * Peer's copies of keys (a prefix of them when they would make too large a
   * reply). A read the frame's reply had no room for goes first in the
   * next frame, where it gets at least one copy.
   */
  get(peer: string, keys: Buffer[], timeoutMs: number): Promise<GetReply> {
    // A plain read is never answered with true (only digest reads are).
    return this.read(peer, { op: 'g', keys }, timeoutMs) as Promise<GetReply>;
  }

  /**
   * Like get, but a copy whose read digest is the one given comes back as
   * true instead of its bytes (a peer that does not know digests sends them all).
   */
  digestGet(peer: string, keys: Buffer[], digests: Array<bigint | null>, timeoutMs: number): Promise<{ epoch: number; objs: ReadCopy[] }> {
    return this.read(peer, { op: 'd', keys, digests }, timeoutMs);
  }

  private read(peer: string, item: BatchItem & { keys: Buffer[] }, timeoutMs: number): Promise<{ epoch: number; objs: ReadCopy[] }> {
    let bytes = 16;
    for (const k of item.keys) bytes += k.length + 16;
    return new Promise((resolve, reject) => {
      const done: Done = (err, result) => {
        if (err) reject(err);
        else if (result?.kind !== 'read') reject(new QkvError('ERR', 'bad reply from peer: r.batch read'));
        else if (result.objs.length === 0 && item.keys.length > 0) this.add(peer, item, bytes, timeoutMs, done, true);
        else resolve({ epoch: result.epoch, objs: result.objs });
      };
      this.add(peer, item, bytes, timeoutMs, done);
    });
  }

  private add(peer: string, item: BatchItem, bytes: number, timeoutMs: number, done: Done, first = false): void {
    const until = this.legacyUntil.get(peer);
    if (until !== undefined) {
      if (this.clock.monotonic() < until) return this.single(peer, item, timeoutMs, done);
      this.legacyUntil.delete(peer);
    }
    let q = this.queues.get(peer);
    if (q && (q.items.length >= this.maxItems || q.bytes + bytes > this.maxBytes)) {
      this.queues.delete(peer);
      this.send(peer, q);
      q = undefined;
    }
    if (!q) {
      q = { items: [], dones: [], bytes: 0, timeoutMs };
      this.queues.set(peer, q);
    }
    if (first) {
      q.items.unshift(item);
      q.dones.unshift(done);
    } else {
      q.items.push(item);
      q.dones.push(done);
    }
    q.bytes += bytes;
    q.timeoutMs = Math.max(q.timeoutMs, timeoutMs);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const queues = [...this.queues];
    this.queues.clear();
    for (const [peer, q] of queues) this.send(peer, q);
  }

  private send(peer: string, q: Queue): void {
    this.sentFrames++;
    this.peers.call(peer, batchRequest(q.items), q.timeoutMs).then(
      (reply) => {
        let results: BatchResult[];
        try {
          results = parseBatchReply(reply, q.items);
        } catch (err) {
          for (const done of q.dones) done(err as Error);
          return;
        }
        results.forEach((r, i) => q.dones[i]!(r.kind === 'error' ? r.error : null, r));
      },
      (err: unknown) => {
        if (refusedWhole(err)) {
          this.legacyUntil.set(peer, this.clock.monotonic() + LEGACY_RETRY_MS);
          q.items.forEach((item, i) => this.single(peer, item, q.timeoutMs, q.dones[i]!));
          return;
        }
        for (const done of q.dones) done(err as Error);
      },
    );
  }

  /** One item as the per-item message every version knows (r.merge, r.get; a digest read as a plain one). */
  private single(peer: string, item: BatchItem, timeoutMs: number, done: Done): void {
    if (item.op === 'm') {
      this.peers.call(peer, { type: 'r.merge', key: item.key, obj: item.obj, epoch: item.epoch }, timeoutMs).then(
        () => done(null, { kind: 'ok' }),
        (err: unknown) => done(err as Error),
      );
      return;
    }
    this.peers.call(peer, { type: 'r.get', keys: item.keys }, timeoutMs).then(
      (reply) => {
        try {
          const r = parseGetReply(reply, item.keys.length);
          done(null, { kind: 'read', epoch: r.epoch, objs: r.objs });
        } catch (err) {
          done(err as Error);
        }
      },
      (err: unknown) => done(err as Error),
    );
  }
}

/**
 * True when the peer answered the frame itself with an error: its handler
 * (or its router, for a type it does not know) refused it before carrying
 * out any item. Transport failures (TIMEOUT, UNAVAILABLE) are not: the frame
 * may have been carried out.
 */
function refusedWhole(err: unknown): boolean {
  return isQkvError(err) && err.code !== 'TIMEOUT' && err.code !== 'UNAVAILABLE';
}
