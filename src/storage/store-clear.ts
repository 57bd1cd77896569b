import { QkvError } from '../core/errors.js';
import type { Engine, EngineWrite } from './engine.js';
import { CLEARING_META, COUNT_META, RESERVED_META_PREFIX, countWrites } from './key-count.js';
import { DATA_PREFIX, EXPIRY_PREFIX, metaKey, prefixRange } from './key-layout.js';
import type { StoreMeta } from './local-store.js';

/**
 * Clears a store so that a crash can never take a clear back halfway, in
 * three steps. One synced atomic write decides it: a marker (CLEARING_META),
 * the caller's metadata (FLUSHALL's epoch) and no stored count. Then the
 * records and the expiry index are deleted, and a last write stores the zero
 * counts and removes the marker. A crash after the first write leaves the
 * marker, and the next open finishes the clear before anything is read; a
 * crash before it leaves the old metadata with the old records. Until a
 * clear finishes, the store serves nothing (`check` throws).
 */
export class StoreClear {
  /** A clear was started and has not finished: nothing is served until one does (or the store reopens). */
  private unfinished = false;

  /** `cleared` is told, at once, when every record is gone and the zero counts are stored. */
  constructor(
    private readonly engine: Engine,
    private readonly cleared: () => void,
  ) {}

  /** Throws while a clear is unfinished. */
  check(): void {
    if (this.unfinished) throw unfinishedClear();
  }

  /** At open: finishes a clear decided before a crash; resolves whether there was one. */
  async finishInterrupted(): Promise<boolean> {
    if ((await this.engine.get(metaKey(CLEARING_META))) === undefined) return false;
    await this.finish();
    return true;
  }

  /** Decides and carries out a clear; the caller runs it with no batch in flight. */
  async clear(meta?: StoreMeta): Promise<void> {
    this.unfinished = true;
    const decide: EngineWrite[] = [
      { type: 'put', key: metaKey(CLEARING_META), value: Buffer.alloc(0) },
      { type: 'del', key: metaKey(COUNT_META) },
    ];
    if (meta) decide.push({ type: 'put', key: metaKey(meta.name), value: Buffer.from(meta.value) });
    // Synced whatever the store's sync setting: a FLUSHALL that a crash can take back is not one.
    await this.engine.write(decide, true);
    await this.finish();
  }

  /** Deletes every record and index entry, then stores zero counts and drops the clearing marker. */
  private async finish(): Promise<void> {
    await this.engine.deleteRange(prefixRange(DATA_PREFIX));
    await this.engine.deleteRange(prefixRange(EXPIRY_PREFIX));
    await this.engine.write([...countWrites(0, 0, 0), { type: 'del', key: metaKey(CLEARING_META) }], true);
    this.cleared();
    this.unfinished = false;
  }
}

/** Throws unless `meta` may be written with a clear (the store's own names are not). */
export function checkClearMeta(meta?: StoreMeta): void {
  if (meta && (meta.name.length === 0 || meta.name.startsWith(RESERVED_META_PREFIX))) {
    throw new QkvError('ERR', `meta name '${meta.name}' is empty or reserved`);
  }
}

function unfinishedClear(): QkvError {
  return new QkvError('IOERR', 'a FLUSHALL did not finish clearing this node; it is finished by FLUSHALL again or at the next start');
}
