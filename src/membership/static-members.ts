import type { Clock, TimerHandle } from '../core/clock.js';
import { QkvError, isQkvError } from '../core/errors.js';
import type { Ring } from '../ring/ring.js';
import { formatAddress, sameAddress, type Message, type PeerAddress, type PeerIdentifier, type RpcTransport } from '../transport/types.js';
import { encodeMember, parseMembers, type MemberInfo } from './member.js';
import { MemberSaver, loadMembers, type MetaStore } from './member-store.js';
import { MemberTable } from './member-table.js';

/**
 * Static membership: every node learns every member by exchanging member
 * tables over peer RPC, with the seeds and with every member it knows, once
 * per interval (so seed lists need not be complete: members are learned
 * transitively). A member is reachable while it answered, or sent its own
 * table, within the last few seconds; a refused or lost connection makes it
 * unreachable at once. Members are never removed. The table is kept in the
 * node's store, so a restarted node has its ring before the seeds answer.
 *
 * This stands in for SWIM gossip: the coordinator sees only MemberView.
 */
export interface MemberView {
  ring(): Ring;
  isReachable(nodeId: string): boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFn = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

/** One member as the admin commands show it. */
export interface MemberStatus {
  readonly member: MemberInfo;
  readonly reachable: boolean;
}

export interface StaticMembershipOptions {
  /** This node; its generation is chosen at start. */
  readonly self: Omit<MemberInfo, 'generation'>;
  /** Peer addresses to contact; this node's own address may be among them. */
  readonly seeds: readonly PeerAddress[];
  readonly transport: RpcTransport & PeerIdentifier;
  readonly store: MetaStore;
  readonly clock: Clock;
  /** Between two rounds of table exchange. Default 1000. */
  readonly intervalMs?: number;
  /** A member not heard from for longer is unreachable. Default 3 intervals. */
  readonly reachableForMs?: number;
  readonly log?: LogFn;
}

/** Request types of this module all start with 'm.'; the node routes them here. */
export const MEMBERSHIP_PREFIX = 'm.';
export const HELLO = 'm.hello';

export function isMembershipMessage(msg: Message): boolean {
  if (typeof msg !== 'object' || msg === null) return false;
  const type = (msg as { type?: unknown }).type;
  return typeof type === 'string' && type.startsWith(MEMBERSHIP_PREFIX);
}

export class StaticMembership implements MemberView {
  private readonly table: MemberTable;
  private readonly transport: RpcTransport & PeerIdentifier;
  private readonly clock: Clock;
  private readonly log: LogFn;
  private readonly intervalMs: number;
  private readonly reachableForMs: number;
  private readonly seeds: readonly PeerAddress[];
  private readonly saver: MemberSaver;
  /** Monotonic time each member was last heard from; absent: not since it last failed. */
  private readonly heardAt = new Map<string, number>();
  /** Members whose reachability was last logged as up. */
  private readonly shownUp = new Set<string>();
  private readonly seedIds = new Map<string, string>();
  private readonly identifying = new Set<string>();
  private readonly helloInFlight = new Set<string>();
  private timer: TimerHandle | null = null;
  private closed = false;

  /** Loads the stored table, then starts exchanging tables at once and every interval. */
  static async start(opts: StaticMembershipOptions): Promise<StaticMembership> {
    const loaded = await loadMembers(opts.store);
    const storedSelf = loaded.members.find((m) => m.id === opts.self.id);
    // A restart must outrank every record of this node that peers still hold.
    const generation = Math.max(Math.floor(opts.clock.now()), (storedSelf?.generation ?? -1) + 1);
    const membership = new StaticMembership(opts, { ...opts.self, generation }, loaded.members);
    if (loaded.problem) membership.log('warn', 'ignoring the stored member table', { problem: loaded.problem });
    membership.begin();
    return membership;
  }

  private constructor(opts: StaticMembershipOptions, self: MemberInfo, stored: readonly MemberInfo[]) {
    this.transport = opts.transport;
    this.clock = opts.clock;
    this.log = opts.log ?? (() => undefined);
    this.intervalMs = opts.intervalMs ?? 1000;
    this.reachableForMs = opts.reachableForMs ?? 3 * this.intervalMs;
    this.seeds = opts.seeds.filter((s) => !sameAddress(s, self.peer));
    this.saver = new MemberSaver(opts.store, (err) => this.log('warn', 'could not save the member table', { error: String(err) }));
    this.table = new MemberTable(self);
    for (const m of stored) {
      if (this.table.merge(m).kind === 'added') this.transport.setPeerAddress(m.id, m.peer);
    }
  }

  get self(): MemberInfo {
    return this.table.self;
  }

  ring(): Ring {
    return this.table.ring();
  }

  isReachable(nodeId: string): boolean {
    if (nodeId === this.table.self.id) return true;
    const at = this.heardAt.get(nodeId);
    return at !== undefined && this.clock.monotonic() - at <= this.reachableForMs;
  }

  /** Every known member, sorted by id. */
  members(): MemberInfo[] {
    return this.table.all();
  }

  /** Every known member with its reachability, sorted by id. */
  status(): MemberStatus[] {
    return this.table.all().map((member) => ({ member, reachable: this.isReachable(member.id) }));
  }

  /** Serves a peer's membership request (the node routes every `m.*` request here). */
  handleRequest(from: string, msg: Message): Message {
    if (this.closed) throw new QkvError('UNAVAILABLE', 'membership is stopped');
    const type = (msg as { type?: unknown } | null)?.type;
    if (type !== HELLO) throw new QkvError('ERR', `unknown membership request '${String(type)}'`);
    this.mergeAll(parseMembers((msg as { members?: unknown }).members));
    this.heard(from);
    return { members: this.encodedTable() };
  }

  /** Stops the exchange and waits for the table to be saved. The transport is the caller's to close. */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    await this.saver.flush();
  }

  private begin(): void {
    // Persist this node's new generation along with whatever was loaded.
    this.saver.save(() => this.table.all());
    this.round();
    this.timer = this.clock.setInterval(() => this.round(), this.intervalMs);
  }

  /** One round: find out who the seeds are, and exchange tables with every member. */
  private round(): void {
    if (this.closed) return;
    for (const seed of this.seeds) this.contactSeed(seed);
    for (const m of this.table.others()) this.hello(m.id);
    for (const m of this.table.others()) this.noteReachability(m.id);
  }

  private contactSeed(addr: PeerAddress): void {
    const key = formatAddress(addr);
    const known = this.seedIds.get(key);
    if ((known !== undefined && this.isReachable(known)) || this.identifying.has(key)) return;
    this.identifying.add(key);
    // Asked again while the seed is unreachable: a seed wiped and restarted comes back with a new id.
    this.transport.identify(addr, { timeoutMs: this.intervalMs }).then(
      (id) => {
        this.identifying.delete(key);
        if (this.closed) return;
        this.seedIds.set(key, id);
        if (!this.table.has(id)) {
          this.transport.setPeerAddress(id, addr);
          this.hello(id);
        }
      },
      (err: unknown) => {
        this.identifying.delete(key);
        this.log('debug', 'seed did not answer', { seed: key, error: errorText(err) });
      },
    );
  }

  private hello(id: string): void {
    if (this.closed || this.helloInFlight.has(id)) return;
    this.helloInFlight.add(id);
    const sentAt = this.clock.monotonic();
    this.transport.request(id, { type: HELLO, members: this.encodedTable() }, { timeoutMs: this.intervalMs }).then(
      (reply) => {
        this.helloInFlight.delete(id);
        if (this.closed) return;
        this.mergeAll(parseMembers((reply as { members?: unknown } | null)?.members));
        this.heard(id);
      },
      (err: unknown) => {
        this.helloInFlight.delete(id);
        if (this.closed) return;
        // A refused or lost connection means the member is down now, unless it spoke to us since.
        const at = this.heardAt.get(id);
        if (isQkvError(err) && err.code === 'UNAVAILABLE' && (at === undefined || at < sentAt)) this.heardAt.delete(id);
        this.noteReachability(id, errorText(err));
      },
    );
  }

  private heard(id: string): void {
    if (!this.table.has(id)) return;
    this.heardAt.set(id, this.clock.monotonic());
    this.noteReachability(id);
  }

  private noteReachability(id: string, why?: string): void {
    const up = this.isReachable(id);
    if (up === this.shownUp.has(id)) return;
    if (up) {
      this.shownUp.add(id);
      this.log('info', 'member reachable', { member: id });
    } else {
      this.shownUp.delete(id);
      this.log('warn', 'member unreachable', why === undefined ? { member: id } : { member: id, error: why });
    }
  }

  private mergeAll(members: readonly MemberInfo[]): void {
    const changed: string[] = [];
    for (const m of members) {
      const result = this.table.merge(m);
      if (result.kind === 'unchanged') continue;
      changed.push(m.id);
      if (result.kind === 'added') {
        this.transport.setPeerAddress(m.id, m.peer);
        this.log('info', 'member added', { member: m.id, address: formatAddress(m.address), peer: formatAddress(m.peer), rack: m.rack, dc: m.dc });
      } else {
        // A new generation is a new process: forget the old connection and its reconnect backoff.
        this.transport.setPeerAddress(m.id, null);
        this.transport.setPeerAddress(m.id, m.peer);
        this.log('info', 'member restarted', { member: m.id, address: formatAddress(m.address), peer: formatAddress(m.peer) });
      }
    }
    if (changed.length === 0) return;
    this.saver.save(() => this.table.all());
    // Say hello to newcomers now rather than next round: a cluster forms in one round trip per hop.
    for (const id of changed) this.hello(id);
  }

  private encodedTable(): Array<Record<string, unknown>> {
    return this.table.all().map(encodeMember);
  }
}

function errorText(err: unknown): string {
  return isQkvError(err) ? err.toReplyText() : String(err);
}
