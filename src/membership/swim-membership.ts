import type { Clock, TimerHandle } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { MemberState } from '../ring/types.js';
import type { Ring } from '../ring/ring.js';
import { formatAddress, sameAddress, type DatagramTransport, type Message, type PeerAddress, type PeerIdentifier, type RpcTransport } from '../transport/types.js';
import { Awareness } from './awareness.js';
import { MAX_UNHEALTHY_CHARS, type MemberInfo } from './member.js';
import { MemberList } from './member-list.js';
import { updateOf, type MemberRecord } from './member-state.js';
import { MemberSaver, loadMembers } from './member-store.js';
import { MemberUpdates } from './member-updates.js';
import { PHI_MAX, PhiTable } from './phi-accrual.js';
import { Prober, type ProbeHost } from './prober.js';
import { ReplayGuard } from './replay-guard.js';
import { SwimCodec, encodeUpdate, type SwimMessage } from './swim-codec.js';
import { TableExchange, errorText } from './table-exchange.js';
import { DEFAULT_TUNING, type GossipObserver, type LogFn, type MemberEvent, type MemberSnapshot, type MemberView, type SwimOptions, type SwimTuning } from './swim-options.js';

/** Minimum phi deviation: probes of one peer are a whole period apart, so jitter below this is noise. */
const PHI_MIN_STDDEV_MS = 200;

/**
 * Membership by SWIM gossip (with Lifeguard's refinements) over datagrams,
 * plus member tables exchanged over peer RPC (table-exchange.ts: push-pull
 * with seeds, periodic and prompt syncs). See prober.ts for the
 * failure detector, member-updates.ts for how what is learned about members
 * is applied and spread (with member-state.ts's rules), suspicion.ts and
 * awareness.ts for Lifeguard. The table (statuses and this node's
 * incarnation included) is kept in the node's store.
 */
export class SwimMembership implements MemberView {
  private readonly list: MemberList;
  private readonly tuning: SwimTuning;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly datagrams: DatagramTransport;
  private readonly rpc: RpcTransport & PeerIdentifier;
  private readonly codec: SwimCodec;
  private readonly updates: MemberUpdates;
  private readonly awareness: Awareness;
  private readonly phis: PhiTable;
  private readonly prober: Prober;
  private readonly saver: MemberSaver;
  private readonly observer: GossipObserver;
  private readonly log: LogFn;
  private readonly seeds: readonly PeerAddress[];
  /** Probes waiting for an ack, by nonce, with the members whose ack counts: the target, and the relays asked. */
  private readonly acks = new Map<number, { readonly fn: () => void; readonly at: number; readonly from: Set<string> }>();
  private readonly replays = new ReplayGuard();
  private readonly tables: TableExchange;
  private seedAnswered = false;
  private seedsInFlight = 0;
  private refusalLogged = false;
  private pushPullTimer: TimerHandle | null = null;
  private gossipTimer: TimerHandle | null = null;
  private seedTimer: TimerHandle | null = null;
  private closed = false;

  /** Loads the stored table, picks this node's incarnation, and starts gossiping. */
  static async start(opts: SwimOptions): Promise<SwimMembership> {
    const loaded = await loadMembers(opts.store);
    const stored = loaded.members.find((r) => r.info.id === opts.self.id);
    // A restart outranks every record of this node that peers still hold.
    const incarnation = Math.max(Math.floor(opts.clock.now()), (stored?.info.incarnation ?? -1) + 1);
    // The stored ring state wins; a node that left (or was removed) may only come back joining.
    const state: MemberState = !stored ? opts.self.state : stored.status === 'left' ? 'joining' : stored.info.state;
    const membership = new SwimMembership(opts, { ...opts.self, state, incarnation }, loaded.members);
    if (loaded.problem) membership.log('warn', 'ignoring the stored member table', { problem: loaded.problem });
    membership.begin(loaded.members.length > 0);
    return membership;
  }

  private constructor(opts: SwimOptions, self: MemberInfo, stored: readonly MemberRecord[]) {
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.datagrams = opts.datagrams;
    this.rpc = opts.rpc;
    this.observer = opts.observer ?? {};
    this.log = opts.log ?? (() => undefined);
    // The incarnation taken at start is the boot id: it grows with every restart, so a datagram from an earlier life is stale.
    this.codec = new SwimCodec(opts.secret, this.tuning.maxDatagramBytes, self.incarnation);
    this.list = new MemberList(self.id, opts.ringOptions);
    this.awareness = new Awareness(this.tuning.awarenessMax);
    this.phis = new PhiTable({ window: this.tuning.phiWindow, minStdDevMs: PHI_MIN_STDDEV_MS });
    const saveDelay = { clock: this.clock, ms: this.tuning.protocolPeriodMs };
    this.saver = new MemberSaver(opts.store, (err) => this.log('warn', 'could not save the member table', { error: String(err) }), saveDelay);
    const { list, clock, tuning, awareness, saver, rpc, observer, log } = this;
    this.updates = new MemberUpdates({ list, clock, tuning, awareness, saver, rpc, observer, log });
    this.seeds = opts.seeds.filter((s) => !sameAddress(s, self.peer));
    this.list.set({ info: self, status: 'alive' });
    for (const rec of stored) {
      if (rec.info.id === self.id) continue;
      // What was alive before the restart is unconfirmed now: suspected until it answers (it refutes at the first probe).
      this.list.set(rec.status === 'alive' ? { info: rec.info, status: 'suspect' } : rec);
      this.rpc.setPeerAddress(rec.info.id, rec.info.peer);
    }
    this.prober = new Prober(this.probeHost(), this.clock, this.rng, this.tuning, this.awareness);
    this.updates.onChange((ev) => ev.kind === 'added' && this.prober.added(ev.id));
    this.updates.resumeSuspicions();
    this.tables = new TableExchange({ list: this.list, updates: this.updates, rpc: this.rpc, clock: this.clock, rng: this.rng, tuning: this.tuning, observer: this.observer, log: this.log });
    this.datagrams.onMessage((from, payload) => this.onDatagram(from, payload));
  }

  get self(): MemberInfo {
    return this.list.self.info;
  }

  ring(): Ring {
    return this.list.ring();
  }

  isReachable(id: string): boolean {
    if (id === this.list.selfId) return true;
    const status = this.list.get(id)?.status;
    return status === 'alive' || status === 'suspect';
  }

  /** Suspicion level of a peer: 0 without data (and for this node), PHI_MAX once dead. */
  phi(id: string): number {
    const rec = this.list.get(id);
    if (!rec || id === this.list.selfId) return 0;
    if (rec.status === 'dead') return PHI_MAX;
    return this.phis.get(id)?.phi(this.clock.monotonic()) ?? 0;
  }

  /** Every member, this node included, sorted by id. */
  members(): MemberSnapshot[] {
    return this.list.all().map((r) => ({ info: r.info, status: r.status, incarnation: r.info.incarnation, phi: this.phi(r.info.id) }));
  }

  /** Moves this node through the ring life cycle (joining -> normal -> leaving); gossiped at once. */
  setSelfState(state: MemberState): void {
    this.updates.setSelfState(state);
  }

  /** Says in this node's record why it steps aside (its disk fails), or that it no longer does (null); gossiped at once. */
  setSelfHealth(problem: string | null): void {
    const { info, status } = this.list.self;
    const unhealthy = problem?.slice(0, MAX_UNHEALTHY_CHARS) || undefined;
    if (info.unhealthy === unhealthy) return;
    const { unhealthy: _old, ...rest } = info;
    this.updates.setSelf({ info: { ...rest, ...(unhealthy ? { unhealthy } : {}), incarnation: info.incarnation + 1 }, status });
  }

  /** Why a member steps aside as a coordinator and replica (its own record says), or undefined. */
  unhealthy(id: string): string | undefined {
    return this.list.get(id)?.info.unhealthy;
  }

  /** Marks a member removed by an operator (status left, out of the ring); gossiped. */
  remove(id: string): void {
    if (id === this.list.selfId) throw new QkvError('ERR', 'a node cannot remove itself; use leave');
    const cur = this.list.get(id);
    if (!cur) throw new QkvError('ERR', `unknown member '${id}'`);
    this.updates.receive({ kind: 'left', id, incarnation: cur.info.incarnation, by: this.list.selfId });
  }

  /** Announces that this node leaves, keeps gossiping a few periods so the news spreads, then resolves. */
  async leave(): Promise<void> {
    const cur = this.list.self;
    if (cur.status !== 'left') {
      this.updates.setSelf({ info: { ...cur.info, incarnation: cur.info.incarnation + 1 }, status: 'left' });
      this.updates.emit({ kind: 'left', id: cur.info.id });
      this.log('info', 'leaving the cluster');
    }
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.tuning.leavePeriods * this.tuning.protocolPeriodMs));
  }

  onChange(listener: (ev: MemberEvent) => void): () => void {
    return this.updates.onChange(listener);
  }

  /** Serves a peer's membership request (the node routes every `m.*` request here). */
  handleRequest(from: string, msg: Message): Message {
    if (this.closed) throw new QkvError('UNAVAILABLE', 'membership is stopped');
    return this.tables.answer(from, msg);
  }

  /** Stops gossip and waits for the table to be saved. The transports are the caller's to close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.prober.stop();
    this.pushPullTimer?.cancel();
    this.tables.close();
    this.gossipTimer?.cancel();
    this.seedTimer?.cancel();
    this.updates.stop();
    await this.saver.flush();
  }

  // ---- start-up and push-pull ----

  private begin(hasStored: boolean): void {
    this.updates.broadcast({ kind: 'alive', member: this.self });
    this.updates.save();
    this.prober.start();
    this.pushPullTimer = this.clock.setInterval(() => this.tables.syncRandom(), this.tuning.pushPullIntervalMs);
    this.gossipTimer = this.clock.setInterval(() => this.gossipRound(), this.tuning.gossipIntervalMs);
    this.contactSeeds();
    // A restart tells a known member its new incarnation at once, seeds or not.
    if (hasStored) this.tables.pushPullRandom();
  }

  /** Push-pull with each seed until one answers; retried every period. */
  private contactSeeds(): void {
    if (this.closed || this.seedAnswered || this.seeds.length === 0) return;
    if (this.seedsInFlight === 0) {
      for (const addr of this.seeds) {
        this.seedsInFlight++;
        this.rpc
          .identify(addr, { timeoutMs: this.tuning.protocolPeriodMs })
          .then(async (id) => {
            if (this.closed || id === this.list.selfId) return;
            if (!this.list.get(id)) this.rpc.setPeerAddress(id, addr);
            if (await this.tables.pushPull(id)) this.seedAnswered = true;
          })
          .catch((err: unknown) => {
            const text = errorText(err);
            // A seed that refuses this node (another cluster, secret or replica placement) will not change its mind: said once, loudly.
            const refused = text.includes('refused: ') && !this.refusalLogged;
            if (refused) this.refusalLogged = true;
            this.log(refused ? 'error' : 'debug', refused ? 'a seed refused this node' : 'seed did not answer', { seed: formatAddress(addr), error: text });
          })
          .finally(() => this.seedsInFlight--);
      }
    }
    this.seedTimer = this.clock.setTimeout(() => this.contactSeeds(), this.tuning.protocolPeriodMs);
  }

  // ---- datagrams ----

  /** Sends pending news to a few random members (nothing when there is none). */
  private gossipRound(): void {
    this.tables.promptPull();
    if (this.updates.queue.size === 0) return;
    for (const id of this.list.sample(this.tuning.gossipFanout, this.rng, ['alive', 'suspect'])) {
      if (this.updates.queue.size === 0) return;
      this.send(this.list.get(id)!.info.peer, { t: 'gossip', from: this.list.selfId });
    }
  }

  private onDatagram(from: PeerAddress, payload: Buffer): void {
    if (this.closed) return;
    const opened = this.codec.open(payload);
    if (!opened.ok) return this.drop(from, opened.reason);
    const { msg, updates, fresh } = opened;
    // Freshness first: a replayed or stale datagram changes nothing, not even through its piggybacked updates.
    const verdict = this.replays.check(msg.from, fresh);
    if (verdict !== 'fresh') return this.drop(from, verdict);
    if (msg.t === 'ack') {
      const waiting = this.acks.get(msg.nonce);
      if (waiting && !waiting.from.has(msg.from)) return this.drop(from, 'wrong-sender');
    }
    this.observer.received?.(msg.t, payload.length);
    for (const u of updates) this.updates.receive(u);
    switch (msg.t) {
      case 'ping':
        if (msg.to !== this.list.selfId) {
          this.observer.dropped?.('wrong-target');
          return;
        }
        {
          // A pinger that still doubts this node gets its current record first, however old the doubt.
          const doubted = updates.some((u) => u.kind !== 'alive' && u.id === this.list.selfId);
          const first = doubted && this.list.self.status === 'alive' ? [encodeUpdate({ kind: 'alive', member: this.self })] : [];
          this.send(from, { t: 'ack', nonce: msg.nonce, from: this.list.selfId }, first);
        }
        return;
      case 'ack':
        this.acks.get(msg.nonce)?.fn();
        return;
      case 'gossip':
        return;
      case 'ping-req': {
        const relayNonce = this.nextNonce();
        const fn = (): void => this.send(from, { t: 'ack', nonce: msg.nonce, from: this.list.selfId });
        this.acks.set(relayNonce, { fn, at: this.clock.monotonic(), from: new Set([msg.to]) });
        this.send(msg.addr, { t: 'ping', nonce: relayNonce, from: this.list.selfId, to: msg.to });
        return;
      }
    }
  }

  private drop(from: PeerAddress, reason: string): void {
    this.observer.dropped?.(reason);
    this.log('debug', 'dropped a gossip datagram', { from: formatAddress(from), reason });
  }

  private send(addr: PeerAddress, msg: SwimMessage, first: readonly Buffer[] = []): void {
    const datagram = this.codec.seal(msg, first, (budget, overhead) => this.updates.queue.take(budget, overhead));
    this.observer.sent?.(msg.t, datagram.length);
    this.datagrams.send(addr, datagram);
  }

  /** A ping to a member that is suspected or dead leads with that news, so it can refute at once. */
  private pingTo(id: string, nonce: number): void {
    const rec = this.list.get(id);
    if (!rec) return;
    const first = rec.status === 'alive' ? [] : [encodeUpdate(updateOf(rec, this.list.selfId))];
    this.send(rec.info.peer, { t: 'ping', nonce, from: this.list.selfId, to: id }, first);
  }

  /** A probe's name: random, so an ack for an earlier probe (or an earlier life of this node) answers nothing now. */
  private nextNonce(): number {
    return this.rng.int(2 ** 21) * 2 ** 32 + this.rng.int(2 ** 32);
  }

  private probeHost(): ProbeHost {
    return {
      probeCandidates: () => this.list.others('alive', 'suspect'),
      isProbeCandidate: (id) => this.list.hasStatus(id, 'alive', 'suspect'),
      helpers: (target, k) => this.helpersFor(target, k),
      isRemote: (id) => {
        const dc = this.list.get(id)?.info.dc;
        return dc !== undefined && dc !== this.list.self.info.dc;
      },
      randomDead: () => this.list.sample(1, this.rng, ['dead'])[0],
      ping: (target, onAck) => {
        const nonce = this.nextNonce();
        this.acks.set(nonce, { fn: onAck, at: this.clock.monotonic(), from: new Set([target]) });
        this.pingTo(target, nonce);
        return nonce;
      },
      pingReq: (via, target, nonce) => {
        const helper = this.list.get(via);
        const rec = this.list.get(target);
        if (!helper || !rec) return;
        this.acks.get(nonce)?.from.add(via);
        this.send(helper.info.peer, { t: 'ping-req', nonce, from: this.list.selfId, to: target, addr: rec.info.peer });
      },
      nudge: (target) => this.pingTo(target, this.nextNonce()),
      forget: (nonce) => {
        this.acks.delete(nonce);
        this.expireRelays();
      },
      probeSucceeded: (target) => {
        this.phis.of(target).heartbeat(this.clock.monotonic());
      },
      probeFailed: (target) => this.updates.suspect(target),
    };
  }

  /**
   * Up to k alive members to probe target indirectly, those of target's DC
   * first: they share its network, so a link down between DCs (or a slow
   * one) cannot make a member of this node's own DC look dead.
   */
  private helpersFor(target: string, k: number): string[] {
    const dc = this.list.get(target)?.info.dc;
    const alive = this.list.sample(Number.MAX_SAFE_INTEGER, this.rng, ['alive'], new Set([target]));
    const near = alive.filter((id) => this.list.get(id)?.info.dc === dc);
    const far = alive.filter((id) => this.list.get(id)?.info.dc !== dc);
    return [...near, ...far].slice(0, k);
  }

  /** Drops relay handlers whose ack never came. */
  private expireRelays(): void {
    const horizon = this.clock.monotonic() - 4 * this.awareness.scale(this.tuning.protocolPeriodMs);
    for (const [nonce, a] of this.acks) if (a.at < horizon) this.acks.delete(nonce);
  }
}
