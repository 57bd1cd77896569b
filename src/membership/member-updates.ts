import type { Clock } from '../core/clock.js';
import type { MemberState } from '../ring/types.js';
import { formatAddress, sameAddress, type RpcTransport } from '../transport/types.js';
import type { Awareness } from './awareness.js';
import { BroadcastQueue, retransmitLimit } from './broadcast-queue.js';
import { changeEvents } from './member-events.js';
import type { MemberList } from './member-list.js';
import { applyUpdate, judge, updateId, updateIncarnation, updateOf, type GossipUpdate, type MemberRecord } from './member-state.js';
import type { MemberSaver } from './member-store.js';
import { minSuspicionMs, Suspicion } from './suspicion.js';
import { encodeUpdate } from './swim-codec.js';
import type { GossipObserver, LogFn, MemberEvent, SwimTuning } from './swim-options.js';

export interface MemberUpdatesOptions {
  readonly list: MemberList;
  readonly clock: Clock;
  readonly tuning: SwimTuning;
  readonly awareness: Awareness;
  readonly saver: MemberSaver;
  /** Told where a member listens, so peer RPC follows the table. */
  readonly rpc: Pick<RpcTransport, 'setPeerAddress'>;
  readonly observer: GossipObserver;
  readonly log: LogFn;
}

/**
 * Applies what this node learns about members to its table: gossip updates
 * and push-pull records judged by incarnation (member-state.ts), refutation
 * of news about this node, Lifeguard suspicion timers, and the queue that
 * spreads whatever was news to the rest of the cluster. Each change is saved
 * and announced to listeners. The datagrams that carry it are the caller's.
 */
export class MemberUpdates {
  /** Gossip waiting to be piggybacked on outgoing datagrams. */
  readonly queue: BroadcastQueue;
  private readonly list: MemberList;
  private readonly suspicions = new Map<string, Suspicion>();
  private readonly listeners = new Set<(ev: MemberEvent) => void>();
  private stopped = false;
  /** Members first heard of in gossip (not in a pulled table) since the owner last reset it. */
  learnedByGossip = 0;

  constructor(private readonly opts: MemberUpdatesOptions) {
    this.list = opts.list;
    this.queue = new BroadcastQueue(() => retransmitLimit(opts.tuning.retransmitMult, opts.list.liveCount()));
  }

  onChange(listener: (ev: MemberEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts a suspicion timer for each member the table holds as suspect (after a restart). */
  resumeSuspicions(): void {
    for (const rec of this.list.all()) if (rec.status === 'suspect' && rec.info.id !== this.list.selfId) this.startSuspicion(rec.info.id, rec.info.incarnation, this.list.selfId);
  }

  /** Cancels every suspicion timer; nothing is declared dead after this. */
  stop(): void {
    this.stopped = true;
    for (const s of this.suspicions.values()) s.cancel();
    this.suspicions.clear();
  }

  /** Moves this node through the ring life cycle (joining -> normal -> leaving); gossiped at once. */
  setSelfState(state: MemberState): void {
    const cur = this.list.self;
    if (cur.info.state === state) return;
    this.setSelf({ info: { ...cur.info, state, incarnation: cur.info.incarnation + 1 }, status: cur.status });
    this.emit({ kind: 'state', id: cur.info.id });
    this.opts.log('info', 'ring state changed', { state });
  }

  /** This node's own probe of target failed: suspect it. */
  suspect(target: string): void {
    const rec = this.list.get(target);
    if (!rec || (rec.status !== 'alive' && rec.status !== 'suspect')) return;
    if (rec.status === 'alive') {
      this.opts.observer.suspected?.(target);
      this.opts.log('info', 'member suspected', { member: target, incarnation: rec.info.incarnation });
    }
    // A suspect this node also fails to reach: its own failed probe confirms the suspicion.
    this.receive({ kind: 'suspect', id: target, incarnation: rec.info.incarnation, by: this.list.selfId });
  }

  /** Takes one update (from a datagram, a push-pull, or this node itself) and re-gossips what was news. */
  receive(u: GossipUpdate): void {
    const id = updateId(u);
    if (id === this.list.selfId) return this.aboutSelf(u);
    const cur = this.list.get(id);
    const verdict = judge(cur, u);
    if (verdict === 'ignore') return;
    if (verdict === 'confirm') {
      if (u.kind === 'suspect' && this.suspicions.get(id)?.confirm(u.by)) this.broadcast(u);
      return;
    }
    if (!cur) this.learnedByGossip++;
    this.install(cur, applyUpdate(cur, u), u.kind === 'alive' ? id : u.by);
    this.broadcast(u);
  }

  /**
   * Merges one record of a peer's table (a member unknown here is taken
   * whatever its status). `pulled`: the record came in a reply, so the peer
   * that sent it already spreads it; a member new to this node is then
   * not re-gossiped (a joiner pulling a thousand records would otherwise
   * queue a thousand updates that everyone but it knows).
   */
  mergeRecord(rec: MemberRecord, from: string, pulled = false): void {
    const id = rec.info.id;
    const u = updateOf(rec, from);
    if (id === this.list.selfId) return this.aboutSelf(u);
    const cur = this.list.get(id);
    if (!cur) {
      this.install(undefined, rec, from);
      if (!pulled) this.broadcast(u);
      return;
    }
    // A whole record beats a bare status: a newer record's fields are taken whatever its status.
    const verdict = judge(cur, u);
    if (verdict === 'apply') {
      this.install(cur, rec, from);
      this.broadcast(u);
    } else if (verdict === 'confirm' && u.kind === 'suspect' && this.suspicions.get(id)?.confirm(from)) {
      this.broadcast(u);
    }
  }

  /** Replaces this node's own record, gossips and saves it. */
  setSelf(rec: MemberRecord): void {
    this.list.set(rec);
    this.broadcast(updateOf(rec, this.list.selfId));
    this.save();
  }

  broadcast(u: GossipUpdate): void {
    this.queue.add(updateId(u), encodeUpdate(u));
  }

  emit(ev: MemberEvent): void {
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch (err) {
        this.opts.log('error', 'membership listener failed', { error: String(err) });
      }
    }
  }

  save(): void {
    this.opts.saver.save(() => this.list.all());
  }

  /** Gossip about this node: refute suspicion and death; accept removal by an operator. */
  private aboutSelf(u: GossipUpdate): void {
    const me = this.list.self;
    const inc = updateIncarnation(u);
    if (me.status === 'left') return;
    if (inc < me.info.incarnation) {
      // Removed in an earlier life: the way back into the ring is as a joining member.
      if (u.kind === 'left' && me.info.state !== 'joining') {
        this.opts.log('warn', 'this node was removed from the cluster earlier; rejoining', { by: u.by });
        this.setSelfState('joining');
      }
      return;
    }
    if (u.kind === 'left') {
      if (u.by === this.list.selfId) return;
      this.opts.log('error', 'this node was removed from the cluster', { by: u.by });
      this.setSelf({ info: me.info, status: 'left' });
      this.emit({ kind: 'left', id: me.info.id });
      return;
    }
    if (u.kind === 'alive' && inc === me.info.incarnation) return;
    // Suspected, declared dead, or an older life of this node still spreads: outrank it.
    if (u.kind !== 'alive') {
      this.opts.awareness.apply(1);
      this.opts.observer.refuted?.();
      this.opts.log('info', 'refuting', { kind: u.kind, by: u.by, incarnation: inc });
    }
    this.setSelf({ info: { ...me.info, incarnation: inc + 1 }, status: 'alive' });
  }

  /** Puts a new record in the table with everything that follows from it. */
  private install(cur: MemberRecord | undefined, next: MemberRecord, by: string): void {
    const id = next.info.id;
    const { rpc } = this.opts;
    this.list.set(next);
    if (!cur) {
      rpc.setPeerAddress(id, next.info.peer);
    } else if (!sameAddress(cur.info.peer, next.info.peer) || (next.status === 'alive' && (cur.status === 'dead' || cur.status === 'left'))) {
      // A member back from the dead is a new process: forget the old connection and its reconnect backoff.
      rpc.setPeerAddress(id, null);
      rpc.setPeerAddress(id, next.info.peer);
    }
    const sameSuspicion = cur?.status === 'suspect' && next.status === 'suspect' && cur.info.incarnation === next.info.incarnation;
    if (!sameSuspicion) {
      this.endSuspicion(id);
      if (next.status === 'suspect') this.startSuspicion(id, next.info.incarnation, by);
    }
    this.announce(cur, next);
    if (worthSaving(cur, next)) this.save();
  }

  private startSuspicion(id: string, incarnation: number, by: string): void {
    const { tuning, clock } = this.opts;
    const n = this.list.liveCount();
    const expected = tuning.suspicionMult - 2;
    const k = n - 2 < expected ? 0 : expected;
    const min = minSuspicionMs(tuning.suspicionMult, n, tuning.protocolPeriodMs);
    const max = tuning.suspicionMaxMult * min;
    const s = new Suspicion(clock, by, k, min, max, () => {
      this.suspicions.delete(id);
      const rec = this.list.get(id);
      if (this.stopped || !rec || rec.status !== 'suspect' || rec.info.incarnation !== incarnation) return;
      this.opts.observer.died?.(id);
      this.opts.log('warn', 'member declared dead', { member: id, incarnation });
      this.receive({ kind: 'dead', id, incarnation, by: this.list.selfId });
    });
    this.suspicions.set(id, s);
  }

  private endSuspicion(id: string): void {
    this.suspicions.get(id)?.cancel();
    this.suspicions.delete(id);
  }

  private announce(cur: MemberRecord | undefined, next: MemberRecord): void {
    const id = next.info.id;
    if (!cur) this.opts.log('info', 'member added', { member: id, status: next.status, address: formatAddress(next.info.address), peer: formatAddress(next.info.peer) });
    else if (cur.status !== next.status && next.status !== 'suspect') this.opts.log(next.status === 'alive' ? 'info' : 'warn', `member ${next.status}`, { member: id, incarnation: next.info.incarnation });
    for (const ev of changeEvents(cur, next)) this.emit(ev);
    this.opts.observer.memberCount?.(this.list.counts());
  }
}

/**
 * Whether a change matters to a restart: the stored table gives the ring
 * and who is dead or gone before any peer answers. A suspicion, its
 * refutation and the incarnation bumps they bring are relearned from the
 * first peer that answers; saving the whole table for each (at 5% loss, some
 * member somewhere every period) would cost O(n) per member per period.
 */
function worthSaving(cur: MemberRecord | undefined, next: MemberRecord): boolean {
  if (!cur) return true;
  const settled = (r: MemberRecord): string => (r.status === 'suspect' ? 'alive' : r.status);
  if (settled(cur) !== settled(next)) return true;
  const a = cur.info;
  const b = next.info;
  return a.state !== b.state || a.vnodes !== b.vnodes || a.rack !== b.rack || a.dc !== b.dc || a.unhealthy !== b.unhealthy || !sameAddress(a.peer, b.peer) || !sameAddress(a.address, b.address);
}
