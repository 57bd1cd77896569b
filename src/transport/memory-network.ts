import type { Clock } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { MemoryDatagramTransport, MemoryRpcTransport, type MemoryFabric } from './memory-endpoint.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_QUEUED,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MAX_DATAGRAM_BYTES,
  formatAddress,
  type PeerAddress,
  type TransportObserver,
} from './types.js';

/**
 * Many nodes in one process on a simulated network: every request, reply and
 * datagram is delayed by a seeded random amount (so messages reorder), may be
 * lost or duplicated, and is dropped across partitions and to or from isolated
 * nodes. All of it comes from the injected Clock and Rng, so with a
 * ManualClock the same seed gives the same history, message for message.
 *
 * A request lost on the way (or its reply) shows as a TIMEOUT, as a silently
 * dead TCP connection would; a request to an address where nothing listens
 * fails with UNAVAILABLE after one delay, as a refused TCP connect would.
 */
export interface LinkFaults {
  /** One-way delay of each message, uniform in [minDelayMs, maxDelayMs] (whole ms). */
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability that a message is lost. */
  lossRate: number;
  /** Probability that a message is delivered twice (each copy with its own delay). */
  duplicateRate: number;
}

export type MessageKind = 'request' | 'reply' | 'datagram';
export type DropReason = 'loss' | 'partition' | 'isolated' | 'closed' | 'no-route' | 'too-large';

/** One step in a message's life; `seq` identifies the message, copies share it. */
export interface NetworkEvent {
  seq: number;
  at: number;
  kind: MessageKind;
  from: string;
  to: string;
  event: 'send' | 'deliver' | 'drop';
  reason?: DropReason;
}

export interface MemoryNetworkOptions extends Partial<LinkFaults> {
  clock: Clock;
  rng: Rng;
  /** Sees every send, delivery and drop, in order (for tests and replay checks). */
  onEvent?: (e: NetworkEvent) => void;
}

export interface MemoryEndpointOptions {
  /** Defaults to the address this node had before, or a fresh 10.x.y.z:7000. */
  address?: PeerAddress;
  requestTimeoutMs?: number;
  maxInFlightPerPeer?: number;
  maxQueuedPerPeer?: number;
  maxFrameBytes?: number;
  observer?: TransportObserver;
}

/** A node attached to the network: its RPC and datagram transports, at one address. */
export interface MemoryEndpoint {
  readonly nodeId: string;
  readonly address: PeerAddress;
  readonly rpc: MemoryRpcTransport;
  readonly datagram: MemoryDatagramTransport;
  /** Closes both transports (a node stopping); the node may attach again later. */
  close(): Promise<void>;
}

interface Cut {
  a: Set<string>;
  b: Set<string>;
  oneWay: boolean;
}

export class MemoryNetwork implements MemoryFabric {
  readonly clock: Clock;
  private readonly rng: Rng;
  private readonly onEvent: ((e: NetworkEvent) => void) | undefined;
  private faults: LinkFaults;
  private readonly byAddress = new Map<string, MemoryEndpoint>();
  private readonly addressOf = new Map<string, PeerAddress>();
  private cuts: Cut[] = [];
  private readonly isolated = new Set<string>();
  private linkDelay: ((from: string, to: string) => number) | null = null;
  private seq = 0;
  private hosts = 0;

  constructor(opts: MemoryNetworkOptions) {
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.onEvent = opts.onEvent;
    this.faults = { minDelayMs: 1, maxDelayMs: 1, lossRate: 0, duplicateRate: 0 };
    this.setFaults(opts);
  }

  get linkFaults(): Readonly<LinkFaults> {
    return { ...this.faults };
  }

  setFaults(f: Partial<LinkFaults>): void {
    const next = { ...this.faults };
    if (f.minDelayMs !== undefined) next.minDelayMs = f.minDelayMs;
    if (f.maxDelayMs !== undefined) next.maxDelayMs = f.maxDelayMs;
    if (f.lossRate !== undefined) next.lossRate = f.lossRate;
    if (f.duplicateRate !== undefined) next.duplicateRate = f.duplicateRate;
    if (!(next.minDelayMs >= 0 && next.maxDelayMs >= next.minDelayMs)) throw new RangeError('need 0 <= minDelayMs <= maxDelayMs');
    if (!(next.lossRate >= 0 && next.lossRate <= 1 && next.duplicateRate >= 0 && next.duplicateRate <= 1)) {
      throw new RangeError('rates must be within [0, 1]');
    }
    this.faults = next;
  }

  attach(nodeId: string, opts: MemoryEndpointOptions = {}): MemoryEndpoint {
    const address = { ...(opts.address ?? this.addressOf.get(nodeId) ?? this.freshAddress()) };
    const key = formatAddress(address);
    const held = this.byAddress.get(key);
    if (held && (held.rpc.isOpen || held.datagram.isOpen)) throw new Error(`${key} is in use by ${held.nodeId}`);
    for (const e of this.byAddress.values()) {
      if (e.nodeId === nodeId && (e.rpc.isOpen || e.datagram.isOpen)) throw new Error(`${nodeId} is already attached`);
    }
    const rpc = new MemoryRpcTransport(nodeId, address, this, {
      requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      maxInFlight: opts.maxInFlightPerPeer ?? DEFAULT_MAX_IN_FLIGHT,
      maxQueued: opts.maxQueuedPerPeer ?? DEFAULT_MAX_QUEUED,
      maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      observer: opts.observer,
    });
    const datagram = new MemoryDatagramTransport(nodeId, address, this);
    const endpoint: MemoryEndpoint = {
      nodeId,
      address,
      rpc,
      datagram,
      close: async () => {
        await rpc.close();
        await datagram.close();
      },
    };
    this.byAddress.set(key, endpoint);
    this.addressOf.set(nodeId, address);
    return endpoint;
  }

  /** Tells every attached node every other node's address (what membership does in a real cluster). */
  introduceAll(): void {
    const open = [...this.byAddress.values()].filter((e) => e.rpc.isOpen);
    for (const e of open) for (const f of open) if (e !== f) e.rpc.setPeerAddress(f.nodeId, f.address);
  }

  /** Cuts traffic between two groups of nodes; with oneWay, only from groupA to groupB. */
  partition(groupA: readonly string[], groupB: readonly string[], oneWay = false): void {
    this.cuts.push({ a: new Set(groupA), b: new Set(groupB), oneWay });
  }

  /** Crashes a node as far as the network can tell: everything to or from it is dropped. */
  isolate(nodeId: string): void {
    this.isolated.add(nodeId);
  }

  restore(nodeId: string): void {
    this.isolated.delete(nodeId);
  }

  /** Removes every partition and isolation. */
  heal(): void {
    this.cuts = [];
    this.isolated.clear();
  }

  /** Whether a message from one node to another would currently get through (faults aside). */
  canReach(from: string, to: string): boolean {
    return this.blockReason(from, to) === null;
  }

  reachable(src: string, peer: string, addr: PeerAddress): boolean {
    const target = this.byAddress.get(formatAddress(addr));
    return target !== undefined && target.nodeId === peer && target.rpc.isOpen && this.canReach(src, peer);
  }

  /**
   * A handshake with whatever listens at addr: the target's id after a round
   * trip; refused (UNAVAILABLE) after a round trip when nothing listens there
   * or the target is src itself; never answered across a partition, so it
   * fails when timeoutMs runs out, as a TCP connect would.
   */
  identify(src: MemoryRpcTransport, addr: PeerAddress, timeoutMs: number): Promise<string> {
    const key = formatAddress(addr);
    const target = this.byAddress.get(key);
    const to = target?.nodeId ?? key;
    return new Promise<string>((resolve, reject) => {
      const fail = (why: string): void => reject(new QkvError('UNAVAILABLE', `cannot identify the node at ${key}: ${why}`));
      if (!this.canReach(src.nodeId, to) || !this.canReach(to, src.nodeId)) {
        this.clock.setTimeout(() => fail(`no handshake within ${timeoutMs} ms`), timeoutMs);
        return;
      }
      this.clock.setTimeout(() => {
        if (!target || !target.rpc.isOpen) fail('ECONNREFUSED');
        else if (target.nodeId === src.nodeId) fail('refused: peer claims this node id');
        else resolve(target.nodeId);
      }, this.delay() + this.delay());
    });
  }

  routeRequest(src: MemoryRpcTransport, peer: string, addr: PeerAddress, id: number, body: Buffer): void | Promise<void> {
    const target = this.byAddress.get(formatAddress(addr));
    if (!target || !target.rpc.isOpen || target.nodeId !== peer) {
      const why = !target || !target.rpc.isOpen ? 'ECONNREFUSED' : `expected node ${peer} but ${target.nodeId} answered`;
      const to = target?.nodeId ?? formatAddress(addr);
      this.emit(++this.seq, 'request', src.nodeId, to, 'drop', 'no-route');
      // The refusal itself crosses the network: it takes a delay, and never comes through a partition.
      return new Promise<void>((_, reject) => {
        if (!this.canReach(src.nodeId, to) || !this.canReach(to, src.nodeId)) return;
        this.clock.setTimeout(() => {
          reject(new QkvError('UNAVAILABLE', `cannot connect to ${peer} at ${formatAddress(addr)}: ${why}`, 'not-sent'));
        }, this.delay());
      });
    }
    this.transmit('request', src.nodeId, target.nodeId, () => target.rpc.isOpen, () => target.rpc.receiveRequest(src, id, body));
  }

  routeReply(src: MemoryRpcTransport, dst: MemoryRpcTransport, body: Buffer): void {
    this.transmit('reply', src.nodeId, dst.nodeId, () => dst.isOpen, () => dst.receiveReply(src.nodeId, body));
  }

  routeDatagram(src: MemoryDatagramTransport, addr: PeerAddress, payload: Buffer): void {
    const target = this.byAddress.get(formatAddress(addr));
    const to = target?.nodeId ?? formatAddress(addr);
    if (payload.length > MAX_DATAGRAM_BYTES || !target) {
      this.emit(++this.seq, 'datagram', src.nodeId, to, 'drop', target ? 'too-large' : 'no-route');
      return;
    }
    const from = src.address;
    let copies = 0;
    this.transmit(
      'datagram',
      src.nodeId,
      to,
      () => target.datagram.isOpen,
      // Each duplicate gets its own buffer, as two datagrams off a wire would.
      () => target.datagram.receive(from, copies++ === 0 ? payload : Buffer.from(payload)),
    );
  }

  private transmit(kind: MessageKind, from: string, to: string, isOpen: () => boolean, deliver: () => void): void {
    const seq = ++this.seq;
    this.emit(seq, kind, from, to, 'send');
    const blocked = this.blockReason(from, to);
    if (blocked) return this.emit(seq, kind, from, to, 'drop', blocked);
    if (this.faults.lossRate > 0 && this.rng.next() < this.faults.lossRate) return this.emit(seq, kind, from, to, 'drop', 'loss');
    const copies = this.faults.duplicateRate > 0 && this.rng.next() < this.faults.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.clock.setTimeout(() => {
        // A partition that formed while the message was on its way drops it too.
        const late = this.blockReason(from, to) ?? (isOpen() ? null : 'closed');
        if (late) return this.emit(seq, kind, from, to, 'drop', late);
        this.emit(seq, kind, from, to, 'deliver');
        deliver();
      }, this.delay() + (this.linkDelay?.(from, to) ?? 0));
    }
  }

  private blockReason(from: string, to: string): DropReason | null {
    if (this.isolated.has(from) || this.isolated.has(to)) return 'isolated';
    for (const c of this.cuts) {
      if ((c.a.has(from) && c.b.has(to)) || (!c.oneWay && c.b.has(from) && c.a.has(to))) return 'partition';
    }
    return null;
  }

  /** An extra one-way delay per link, on top of the faults' (a WAN between groups of nodes); null: none. */
  setLinkDelay(fn: ((from: string, to: string) => number) | null): void {
    this.linkDelay = fn;
  }

  private delay(): number {
    const { minDelayMs, maxDelayMs } = this.faults;
    return maxDelayMs === minDelayMs ? minDelayMs : minDelayMs + this.rng.int(maxDelayMs - minDelayMs + 1);
  }

  private freshAddress(): PeerAddress {
    const n = ++this.hosts;
    return { host: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, port: 7000 };
  }

  private emit(seq: number, kind: MessageKind, from: string, to: string, event: NetworkEvent['event'], reason?: DropReason): void {
    if (!this.onEvent) return;
    const e: NetworkEvent = { seq, at: this.clock.now(), kind, from, to, event };
    if (reason) e.reason = reason;
    this.onEvent(e);
  }
}
