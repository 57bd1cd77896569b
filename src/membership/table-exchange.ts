import type { Clock } from '../core/clock.js';
import { QkvError, isQkvError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { encodeMessage } from '../transport/codec.js';
import type { Message, RpcTransport } from '../transport/types.js';
import type { MemberList } from './member-list.js';
import type { MemberUpdates } from './member-updates.js';
import { encodeRecords, parseRecords, pushPullRequest } from './push-pull.js';
import { PUSH_PULL, type GossipObserver, type LogFn, type SwimTuning } from './swim-options.js';
import { SYNC_DIFF, SYNC_HASH, answerDiff, answerHash, diffRequest, differences, hashRequest } from './table-sync.js';

/** New members heard of in gossip (since the last pull) that make a node pull a peer's table at once. */
const PROMPT_PULL_NEW_MEMBERS = 2;

export interface TableExchangeOptions {
  readonly list: MemberList;
  readonly updates: MemberUpdates;
  readonly rpc: RpcTransport;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly tuning: SwimTuning;
  readonly observer: GossipObserver;
  readonly log: LogFn;
}

/**
 * Member tables exchanged over peer RPC, both ways: the full push-pull (a
 * joiner with its seeds, a restarted node, a peer of the previous version),
 * the sync by hash and digest (table-sync.ts) every push-pull interval, and
 * the prompt pull of a node that hears of several new members at once.
 * One exchange with a member at a time.
 */
export class TableExchange {
  private readonly inFlight = new Set<string>();
  private lastPromptPull = -Infinity;
  private pullAgain = false;
  private closed = false;

  constructor(private readonly opts: TableExchangeOptions) {}

  close(): void {
    this.closed = true;
  }

  /** Serves a peer's `m.push-pull`, `m.sync-hash` or `m.sync-diff`. */
  answer(from: string, msg: Message): Message {
    const { list, updates, observer } = this.opts;
    const type = (msg as { type?: unknown } | null)?.type;
    if (type !== PUSH_PULL && type !== SYNC_HASH && type !== SYNC_DIFF) throw new QkvError('ERR', `unknown membership request '${String(type)}'`);
    observer.received?.(type, 0);
    // Records pushed to this node are news it spreads (a joiner's own record among them).
    if (type !== SYNC_HASH) for (const rec of parseRecords(msg)) updates.mergeRecord(rec, from);
    const reply = type === PUSH_PULL ? { members: encodeRecords(list.all()) } : type === SYNC_HASH ? answerHash(list, msg) : answerDiff(list, msg);
    observer.sent?.(type, encodeMessage(reply).length);
    return reply;
  }

  /** Full push-pull with a random member (after a restart, to tell it the new incarnation at once). */
  pushPullRandom(): void {
    const [id] = this.opts.list.sample(1, this.opts.rng, ['alive', 'suspect']);
    if (id !== undefined) void this.pushPull(id);
  }

  /** The periodic sync may pick a dead member, so split views merge again. */
  syncRandom(): void {
    const [id] = this.opts.list.sample(1, this.opts.rng, ['alive', 'suspect', 'dead']);
    if (id !== undefined) void this.sync(id);
  }

  /**
   * A node that hears of several new members at once is in a join storm (or
   * a healed partition): it pulls a peer's table now, at most once a period,
   * rather than wait for the periodic sync. Pulls spread news in O(log n)
   * rounds however many members changed, where gossip alone must carry an
   * update per member and leaves a tail of pairs that never hear. A pull
   * that brought members new to this node is followed by another, until one
   * brings none: that closes the tail of the storm.
   */
  promptPull(): void {
    const { clock, tuning, updates, list, rng } = this.opts;
    const now = clock.monotonic();
    if (now - this.lastPromptPull < tuning.protocolPeriodMs) return;
    if (!this.pullAgain && updates.learnedByGossip < PROMPT_PULL_NEW_MEMBERS) return;
    this.lastPromptPull = now;
    updates.learnedByGossip = 0;
    this.pullAgain = false;
    const [id] = list.sample(1, rng, ['alive']);
    if (id !== undefined) void this.sync(id);
  }

  /** The whole table each way: what a joiner needs, and what a peer that does not know sync gets. */
  async pushPull(id: string): Promise<boolean> {
    return this.exchange(id, async () => {
      const reply = await this.request(id, pushPullRequest(this.opts.list.all()));
      this.mergePulled(reply, id);
    });
  }

  /** Push-pull by table hash, then digest, then only the records that differ (table-sync.ts). */
  async sync(id: string): Promise<boolean> {
    const { list } = this.opts;
    return this.exchange(id, async () => {
      let reply: Message;
      try {
        reply = await this.request(id, hashRequest(list));
      } catch (err) {
        if (!errorText(err).includes('unknown membership request')) throw err;
        this.mergePulled(await this.request(id, pushPullRequest(list.all())), id);
        return;
      }
      const diff = this.closed ? null : differences(list, reply);
      if (!diff || (diff.push.length === 0 && diff.want.length === 0)) return;
      this.mergePulled(await this.request(id, diffRequest(diff)), id);
    });
  }

  /** Merges the records of a reply; members new to this node mean the cluster is changing, so pull again soon. */
  private mergePulled(reply: Message, from: string): void {
    if (this.closed) return;
    const { list, updates } = this.opts;
    const before = list.size;
    for (const rec of parseRecords(reply)) updates.mergeRecord(rec, from, true);
    if (list.size > before) this.pullAgain = true;
  }

  /** Runs one exchange with a member at a time per member; false when it failed. */
  private async exchange(id: string, run: () => Promise<void>): Promise<boolean> {
    if (this.closed || this.inFlight.has(id)) return false;
    this.inFlight.add(id);
    try {
      await run();
      return !this.closed;
    } catch (err) {
      this.opts.log('debug', 'push-pull failed', { member: id, error: errorText(err) });
      return false;
    } finally {
      this.inFlight.delete(id);
    }
  }

  private async request(id: string, msg: Record<string, unknown>): Promise<Message> {
    this.opts.observer.sent?.(String(msg.type), encodeMessage(msg).length);
    return this.opts.rpc.request(id, msg, { timeoutMs: 2 * this.opts.tuning.protocolPeriodMs });
  }
}

export function errorText(err: unknown): string {
  return isQkvError(err) ? err.toReplyText() : String(err);
}
