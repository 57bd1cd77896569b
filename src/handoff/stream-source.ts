import { RING_SIZE } from '../core/hash.js';
import type { LocalStore } from '../storage/local-store.js';
import { decodeObject, encodeObject } from '../versioning/codec.js';
import type { VersionedObject, VersionVector } from '../versioning/types.js';
import type { Message } from '../transport/types.js';
import {
  MAX_STREAM_BYTES,
  parseStreamRequest,
  wirePosition,
  type DigestRequest,
  type GetRecordsRequest,
  type PushRequest,
  type ScanRangeRequest,
} from './stream-messages.js';

/** Records read from the store at a time, so the byte budget is checked often. */
const STORE_STEP = 64;
/** A clock's share of a digest reply, for the byte budget (keys count exactly). */
const CLOCK_BYTES = 48;

/** Merges a version into this node's copy under its key lock; resolves once durable (the coordinator's ReplicaService.merge). */
export type MergeLocal = (key: Buffer, obj: VersionedObject, epoch: number) => Promise<void>;

/**
 * This node's durable copies of keys with the flush epoch taken before
 * reading (the coordinator's ReplicaService.get): a version still on its way
 * to disk is waited for, never handed out.
 */
export type ReadDurable = (keys: readonly Buffer[]) => Promise<{ objs: Array<VersionedObject | undefined>; epoch: number }>;

export interface StreamSourceOptions {
  readonly store: LocalStore;
  readonly mergeLocal: MergeLocal;
  /** How s.get reads: only durable versions leave this node (see ReadDurable). */
  readonly readDurable: ReadDurable;
  /** Pull streams in flight on this node, for s.state (none when omitted). */
  readonly pulling?: () => number;
  /** This node's flush epoch (ReplicaService.flushEpoch). */
  readonly epoch: () => number;
  /**
   * The share of the ring this node holds a replica of (Ring.ownership(self, n).replica),
   * to estimate how many records a range holds; without it the estimate assumes the whole ring.
   */
  readonly ownedFraction?: () => number;
  /** Bytes per reply at most (default 4 MiB). */
  readonly maxReplyBytes?: number;
}

/**
 * The serving side of range streaming: answers every 's.*' request. Pages
 * are cut at store pages (never inside one ring position), so the cursor a
 * page returns is valid on any replica of the range.
 *
 * Only durable state leaves this node: scans and digests read the store's
 * engine after the writes already accepted have landed (LocalStore.scan), and
 * s.get reads through ReadDurable. A version sent before it is durable here
 * could be lost in a crash while the receiver keeps it.
 */
export class StreamSource {
  private readonly maxReplyBytes: number;

  constructor(private readonly opts: StreamSourceOptions) {
    this.maxReplyBytes = Math.min(opts.maxReplyBytes ?? 4 * 1024 * 1024, MAX_STREAM_BYTES);
  }

  /** The handler for peer requests of type 's.*'; throws QkvError ERR on a malformed one. */
  async handleRequest(_from: string, msg: Message): Promise<Message> {
    const req = parseStreamRequest(msg);
    switch (req.type) {
      case 's.scan':
        return this.scan(req);
      case 's.digest':
        return this.digest(req);
      case 's.get':
        return this.get(req);
      case 's.push':
        return this.push(req);
      case 's.state':
        return { epoch: this.opts.epoch(), pulling: this.opts.pulling?.() ?? 0 };
    }
  }

  private async scan(req: ScanRangeRequest): Promise<Message> {
    const epoch = this.opts.epoch();
    const page = await readRecords(this.opts.store, req.from, req.end, req.maxKeys, Math.min(req.maxBytes, this.maxReplyBytes));
    const estimate = req.from === req.start ? this.estimate(req.start, req.end) : null;
    return { epoch, keys: page.keys, recs: page.recs, next: page.next === null ? null : wirePosition(page.next), estimate };
  }

  private async digest(req: DigestRequest): Promise<Message> {
    const keys: Buffer[] = [];
    const clocks: VersionVector[] = [];
    let bytes = 0;
    const next = await walk(this.opts.store, req.from, req.end, req.maxKeys, (key, obj) => {
      keys.push(key);
      clocks.push(obj.clock);
      bytes += key.length + CLOCK_BYTES;
      return bytes < this.maxReplyBytes;
    });
    return { keys, clocks, next: next === null ? null : wirePosition(next) };
  }

  private async get(req: GetRecordsRequest): Promise<Message> {
    const { objs, epoch } = await this.opts.readDurable(req.keys);
    return { epoch, recs: objs.map((o) => (o ? encodeObject(o) : null)) };
  }

  private async push(req: PushRequest): Promise<Message> {
    const objs = req.recs.map((r) => decodeObject(r));
    await Promise.all(req.keys.map((key, i) => this.opts.mergeLocal(key, objs[i]!, req.epoch)));
    return { merged: req.keys.length };
  }

  /** Records this node likely holds in [start, end): its record count times the range's share of what it holds. */
  private estimate(start: bigint, end: bigint): number {
    const keys = this.opts.store.stats().keys;
    const width = Number(end - start) / Number(RING_SIZE);
    const owned = this.opts.ownedFraction?.() ?? 1;
    if (!(owned > 0)) return 0;
    return Math.round(keys * Math.min(1, width / owned));
  }
}

/**
 * Calls take(key, obj) for records of [from, to) in ring order until about
 * maxKeys were taken or take returns false (at a store page's end); returns
 * where to resume, or null when the range is exhausted.
 */
async function walk(
  store: LocalStore,
  from: bigint,
  to: bigint,
  maxKeys: number,
  take: (key: Buffer, obj: VersionedObject) => boolean,
): Promise<bigint | null> {
  let cursor: bigint | null = from;
  let taken = 0;
  let more = true;
  while (cursor !== null && taken < maxKeys && more) {
    const page = await store.scan({ from: cursor, to, limit: Math.min(STORE_STEP, maxKeys - taken) });
    for (const e of page.entries) {
      taken++;
      if (!take(e.key, e.obj)) more = false;
    }
    cursor = page.next;
  }
  return cursor;
}

/** A page of records read from this node's store. */
export interface RecordPage {
  readonly keys: Buffer[];
  readonly recs: Buffer[];
  /** Where to resume, null when [from, to) is exhausted. */
  readonly next: bigint | null;
}

/** About maxKeys encoded records of [from, to), stopping early past maxBytes; never splits one ring position. */
export async function readRecords(store: LocalStore, from: bigint, to: bigint, maxKeys: number, maxBytes: number): Promise<RecordPage> {
  const keys: Buffer[] = [];
  const recs: Buffer[] = [];
  let bytes = 0;
  const next = await walk(store, from, to, maxKeys, (key, obj) => {
    const rec = encodeObject(obj);
    keys.push(key);
    recs.push(rec);
    bytes += key.length + rec.length;
    return bytes < maxBytes;
  });
  return { keys, recs, next };
}
