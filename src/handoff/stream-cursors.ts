/** The two metadata calls of a LocalStore that cursors need. */
export interface MetaStore {
  getMeta(name: string): Promise<Buffer | undefined>;
  putMeta(name: string, value: Buffer): Promise<void>;
}

/** Where a range stands: the ring position to resume from, or done (pulled and verified). */
export type RangeCursor = bigint | 'done';

/** A range's identity in the saved document. */
export function rangeKey(start: bigint, end: bigint): string {
  return `${start.toString(16)}-${end.toString(16)}`;
}

const META_PREFIX = 'handoff.stream.';

/**
 * One stream's per-range cursors, kept in the store's metadata so a stream
 * that a crash interrupted resumes where its last saved page ended. A cursor
 * is saved only after the records before it are durable, so resuming never
 * skips a record; at worst a page is fetched twice (merging is idempotent).
 */
export class StreamCursors {
  private readonly name: string;

  constructor(
    private readonly meta: MetaStore,
    streamId: string,
  ) {
    this.name = META_PREFIX + streamId;
  }

  async load(): Promise<Map<string, RangeCursor>> {
    const out = new Map<string, RangeCursor>();
    const raw = await this.meta.getMeta(this.name);
    if (!raw || raw.length === 0) return out;
    let doc: unknown;
    try {
      doc = JSON.parse(raw.toString('utf8'));
    } catch {
      return out; // A damaged document restarts the stream: merging again is harmless.
    }
    if (typeof doc !== 'object' || doc === null) return out;
    for (const [k, v] of Object.entries(doc)) {
      if (v === 'done') out.set(k, 'done');
      else if (typeof v === 'string' && /^[0-9a-f]+$/.test(v)) out.set(k, BigInt(`0x${v}`));
    }
    return out;
  }

  save(cursors: ReadonlyMap<string, RangeCursor>): Promise<void> {
    const doc: Record<string, string> = {};
    for (const [k, v] of cursors) doc[k] = v === 'done' ? 'done' : v.toString(16);
    return this.meta.putMeta(this.name, Buffer.from(JSON.stringify(doc)));
  }

  /** Forgets the stream (it finished): an empty document. */
  clear(): Promise<void> {
    return this.meta.putMeta(this.name, Buffer.alloc(0));
  }
}
