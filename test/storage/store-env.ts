import { ManualClock } from '../../src/core/clock.js';
import type { Engine } from '../../src/storage/engine.js';
import { EXPIRY_PREFIX, parseExpiryKey, prefixRange } from '../../src/storage/key-layout.js';
import { openRecordStore, type RecordStore, type RecordStoreOptions } from '../../src/storage/record-store.js';
import { applyWrite } from '../../src/versioning/object.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import type { Tap } from './engine-conformance.js';
import { InstrumentedEngine, tick } from './instrumented-engine.js';

/** Where a store's data lives: hands out unopened engines over the same data. */
export interface DataPlace {
  newEngine(): Engine;
  dispose(): Promise<void>;
}

export class StoreEnv {
  engine!: InstrumentedEngine;
  store!: RecordStore;
  readonly clock = new ManualClock();

  constructor(private readonly place: DataPlace) {}

  async open(opts: Partial<RecordStoreOptions> = {}): Promise<RecordStore> {
    this.engine = new InstrumentedEngine(this.place.newEngine());
    await this.engine.open();
    this.store = await openRecordStore(this.engine, { sync: false, clock: this.clock, ...opts });
    return this.store;
  }

  /** Closes the store (and its engine) and opens a new one over the same data. */
  async restart(opts: Partial<RecordStoreOptions> = {}): Promise<RecordStore> {
    await this.store.close();
    return this.open(opts);
  }

  /** The expiry index as stored: [expireAt, key] pairs. */
  async expiryIndex(): Promise<Array<[number, string]>> {
    const out: Array<[number, string]> = [];
    for await (const [k] of this.engine.iterate(prefixRange(EXPIRY_PREFIX))) {
      const e = parseExpiryKey(k);
      out.push([e.expireAt, e.key.toString()]);
    }
    return out;
  }
}

export const key = (k: string): Buffer => Buffer.from(k);

/** Waits (a turn at a time) until cond holds. */
export async function until(cond: () => boolean, turns = 1000): Promise<void> {
  for (let i = 0; i < turns && !cond(); i++) await tick();
  if (!cond()) throw new Error('condition never held');
}

let writerCounter = 0;
/** An object with one sibling, as a coordinator would write it. */
export function obj(value: string, expireAt = 0, base?: VersionedObject, node = 'n1'): VersionedObject {
  return applyWrite(base, base?.clock ?? {}, node, { value: Buffer.from(value), tombstone: false, expireAt, ts: ++writerCounter });
}

export function tombstone(base?: VersionedObject): VersionedObject {
  return applyWrite(base, base?.clock ?? {}, 'n1', { value: Buffer.alloc(0), tombstone: true, expireAt: 0, ts: ++writerCounter });
}

/** A blind write from another node: a concurrent sibling next to what base holds. */
export function sibling(base: VersionedObject, value: string, expireAt = 0, node = 'n2'): VersionedObject {
  return applyWrite(base, {}, node, { value: Buffer.from(value), tombstone: false, expireAt, ts: ++writerCounter });
}

export const valueOf = (o: VersionedObject | undefined): string[] | undefined => o?.siblings.map((s) => s.value.toString());
/** Declares one test on a fresh store environment. */
export type WithStore = (title: string, fn: (t: Tap, env: StoreEnv) => Promise<void>) => void;
