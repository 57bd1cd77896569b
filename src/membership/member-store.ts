import type { Clock, TimerHandle } from '../core/clock.js';
import { encodeMember, parseMember } from './member.js';
import { STATUS_NAMES, type MemberRecord, type MemberStatusName } from './member-state.js';

/**
 * The member table on disk, statuses included, so a restarted node knows the
 * ring (and its own last incarnation) before any seed answers. Kept as JSON
 * under one metadata key of the node's store (anything with
 * getMeta/putMeta: the record store, or a fake in tests).
 */
export interface MetaStore {
  getMeta(name: string): Promise<Buffer | undefined>;
  putMeta(name: string, value: Buffer): Promise<void>;
}

export const MEMBERS_META_KEY = 'members';
/** Format 1 held records without statuses (every member read back alive). */
const FORMAT = 2;
const STATUSES: ReadonlySet<string> = new Set(STATUS_NAMES);

export interface LoadedMembers {
  readonly members: MemberRecord[];
  /** Set when something was stored but could not be read (the table starts empty then). */
  readonly problem?: string;
}

export async function loadMembers(store: MetaStore): Promise<LoadedMembers> {
  const raw = await store.getMeta(MEMBERS_META_KEY);
  if (raw === undefined) return { members: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch {
    return { members: [], problem: 'the stored member table is not valid JSON' };
  }
  const body = doc as { format?: unknown; members?: unknown } | null;
  if (typeof body !== 'object' || body === null || (body.format !== FORMAT && body.format !== 1) || !Array.isArray(body.members)) {
    return { members: [], problem: 'the stored member table has an unknown format' };
  }
  const members: MemberRecord[] = [];
  for (const item of body.members as unknown[]) {
    const info = parseMember(item);
    if (!info) continue;
    const status = (item as { status?: unknown }).status;
    members.push({ info, status: typeof status === 'string' && STATUSES.has(status) ? (status as MemberStatusName) : 'alive' });
  }
  return { members };
}

export function encodeMembers(members: readonly MemberRecord[]): Buffer {
  return Buffer.from(JSON.stringify({ format: FORMAT, members: members.map((r) => ({ ...encodeMember(r.info), status: r.status })) }));
}

/** Waits this long before writing, so the changes of a busy moment make one write. */
export interface SaveDelay {
  readonly clock: Clock;
  readonly ms: number;
}

/**
 * Writes the latest table, one write at a time: saves asked for while a
 * write runs (or, with a delay, while it waits) collapse into one write of
 * the newest table. At a thousand members a join storm changes the table
 * thousands of times a second; encoding it each time would cost O(n) per
 * change. Nothing is lost by waiting: a restart takes a higher incarnation
 * than anything stored, and the rest is relearned from peers.
 */
export class MemberSaver {
  private pending: (() => readonly MemberRecord[]) | null = null;
  private running: Promise<void> | null = null;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly store: MetaStore,
    private readonly onError: (err: unknown) => void,
    private readonly delay?: SaveDelay,
  ) {}

  /** Schedules a write; `snapshot` is read when the write starts, so it is always the newest table. */
  save(snapshot: () => readonly MemberRecord[]): void {
    this.pending = snapshot;
    if (this.running || this.timer) return;
    if (!this.delay) {
      this.running = this.drain();
      return;
    }
    this.timer = this.delay.clock.setTimeout(() => {
      this.timer = null;
      this.running ??= this.drain();
    }, this.delay.ms);
  }

  /** Writes what waits now, and resolves once every scheduled write is done (or failed and was reported). */
  async flush(): Promise<void> {
    if (this.timer) {
      this.timer.cancel();
      this.timer = null;
      this.running ??= this.drain();
    }
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const snapshot = this.pending;
      this.pending = null;
      try {
        await this.store.putMeta(MEMBERS_META_KEY, encodeMembers(snapshot()));
      } catch (err) {
        this.onError(err);
      }
    }
    this.running = null;
  }
}
