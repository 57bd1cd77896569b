import type { Clock } from '../../src/core/clock.js';
import { QkvError } from '../../src/core/errors.js';
import { keyHash } from '../../src/core/hash.js';
import type { KvApi, ReadOptions, Supersedes, UpdateDecision, WriteOptions, WriteRequest } from '../../src/coordinator/api.js';
import { payloadFor } from '../../src/coordinator/write-payload.js';
import { clocksEqual, clockToText } from '../../src/versioning/clock.js';
import { applyWrite, isDeadObject, mergeObjects } from '../../src/versioning/object.js';
import type { VersionVector, VersionedObject } from '../../src/versioning/types.js';

/** One call the commands made, for tests that check how they talk to the coordinator. */
export interface KvCall {
  readonly op: 'read' | 'readMany' | 'write' | 'update' | 'readLocal' | 'scan' | 'dbsize' | 'flushAll';
  readonly keys: string[];
  readonly req?: WriteRequest;
  readonly opts?: ReadOptions & WriteOptions;
}

interface Entry {
  readonly key: Buffer;
  readonly hash: bigint;
  obj: VersionedObject;
}

/**
 * A KvApi over a Map, for command tests: one replica, the real versioning
 * (applyWrite as node 'test-node', mergeObjects for versions arriving from
 * other nodes), IF/CONFLICT as the coordinator does it, and SCAN in ring
 * (keyHash) order. `local` can differ from the coordinated view, so QLOCAL
 * can be told apart from QGET.
 */
export class MemoryKv implements KvApi {
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly nodeId = 'test-node';
  readonly calls: KvCall[] = [];
  /** Runs inside update() after the read and before the write is decided (to simulate a racing client). */
  beforeDecide: ((key: Buffer) => void) | null = null;
  private readonly entries = new Map<string, Entry>();
  private readonly localOnly = new Map<string, VersionedObject>();

  constructor(
    private readonly clock: Clock,
    opts: { n?: number; r?: number; w?: number } = {},
  ) {
    this.n = opts.n ?? 3;
    this.r = opts.r ?? 2;
    this.w = opts.w ?? 2;
  }

  async read(key: Buffer, opts?: ReadOptions): Promise<VersionedObject | undefined> {
    this.calls.push({ op: 'read', keys: [key.toString()], opts });
    return this.get(key);
  }

  async readMany(keys: readonly Buffer[], opts?: ReadOptions): Promise<Array<VersionedObject | undefined>> {
    this.calls.push({ op: 'readMany', keys: keys.map((k) => k.toString()), opts });
    return Promise.all(keys.map(async (k) => this.get(k)));
  }

  async readLocal(key: Buffer): Promise<VersionedObject | undefined> {
    this.calls.push({ op: 'readLocal', keys: [key.toString()] });
    return this.localOnly.get(id(key)) ?? this.get(key);
  }

  async write(key: Buffer, req: WriteRequest, opts?: WriteOptions): Promise<VersionedObject> {
    this.calls.push({ op: 'write', keys: [key.toString()], req, opts });
    const current = this.get(key);
    if (req.ifClock && !clocksEqual(current?.clock ?? {}, req.ifClock)) {
      throw new QkvError('CONFLICT', `the key's version is ${clockToText(current?.clock ?? {})}, not the one given with IF`);
    }
    const { payload, reply } = payloadFor(req, current, this.nodeId, this.clock.now());
    const obj = applyWrite(current, contextFor(req.supersedes, current), this.nodeId, payload);
    this.put(key, obj);
    if (reply !== undefined) opts?.onReply?.(reply);
    return obj;
  }

  async update<T>(
    key: Buffer,
    decide: (current: VersionedObject | undefined) => UpdateDecision<T>,
    opts?: WriteOptions & ReadOptions,
  ): Promise<T> {
    this.calls.push({ op: 'update', keys: [key.toString()], opts });
    this.beforeDecide?.(key);
    // Read, decide and write with no await in between: atomic, as under the coordinator's key lock.
    const current = this.get(key);
    const decision = decide(current);
    if (decision.write) {
      this.put(key, applyWrite(current, current?.clock ?? {}, this.nodeId, { ...decision.write, ts: this.clock.now() }));
    }
    return decision.result;
  }

  async scan(cursor: bigint, count: number): Promise<{ keys: Array<{ key: Buffer; obj: VersionedObject }>; next: bigint }> {
    this.calls.push({ op: 'scan', keys: [] });
    const now = this.clock.now();
    const sorted = [...this.entries.values()].filter((e) => e.hash >= cursor).sort(ringOrder);
    const page: Entry[] = [];
    let i = 0;
    // Never split keys that share a ring position across pages.
    while (i < sorted.length && (page.length < count || sorted[i]!.hash === page[page.length - 1]!.hash)) page.push(sorted[i++]!);
    const keys = page.filter((e) => !isDeadObject(e.obj, now)).map((e) => ({ key: e.key, obj: e.obj }));
    return { keys, next: i < sorted.length ? sorted[i]!.hash : 0n };
  }

  async dbsize(): Promise<number> {
    this.calls.push({ op: 'dbsize', keys: [] });
    const now = this.clock.now();
    return [...this.entries.values()].filter((e) => !isDeadObject(e.obj, now)).length;
  }

  async flushAll(): Promise<void> {
    this.calls.push({ op: 'flushAll', keys: [] });
    this.entries.clear();
    this.localOnly.clear();
  }

  // Test helpers, not part of KvApi.

  /** The stored object, without recording a call. */
  peek(key: string | Buffer): VersionedObject | undefined {
    return this.get(Buffer.from(key));
  }

  /** Merges a version written elsewhere (another node's replica), as read repair would. */
  merge(key: string | Buffer, incoming: VersionedObject): void {
    const k = Buffer.from(key);
    const current = this.get(k);
    this.put(k, current ? mergeObjects(current, incoming) : incoming);
  }

  /** Makes this node's own copy differ from the coordinated view (for QLOCAL). */
  setLocal(key: string | Buffer, obj: VersionedObject): void {
    this.localOnly.set(id(Buffer.from(key)), obj);
  }

  /** Every stored key, dead or alive, in ring order. */
  storedKeys(): string[] {
    return [...this.entries.values()].sort(ringOrder).map((e) => e.key.toString());
  }

  private get(key: Buffer): VersionedObject | undefined {
    return this.entries.get(id(key))?.obj;
  }

  private put(key: Buffer, obj: VersionedObject): void {
    const existing = this.entries.get(id(key));
    if (existing) existing.obj = obj;
    else this.entries.set(id(key), { key: Buffer.from(key), hash: keyHash(key), obj });
  }
}

function id(key: Buffer): string {
  return key.toString('latin1');
}

function ringOrder(a: Entry, b: Entry): number {
  if (a.hash !== b.hash) return a.hash < b.hash ? -1 : 1;
  return Buffer.compare(a.key, b.key);
}

function contextFor(s: Supersedes, current: VersionedObject | undefined): VersionVector {
  if (s.kind === 'blind') return {};
  if (s.kind === 'context') return s.clock;
  return current?.clock ?? {};
}
