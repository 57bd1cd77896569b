import type { Clock, TimerHandle } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import type { DebugApi } from '../commands/types.js';
import type {
  DatagramHandler,
  DatagramTransport,
  Message,
  PeerAddress,
  PeerIdentifier,
  RequestHandler,
  RequestOptions,
  RpcTransport,
} from '../transport/types.js';
import { formatAddress } from '../transport/types.js';
import type { FaultyEngine } from './disk-faults.js';

/**
 * Fault injection for fault-tolerance tests, enabled only with --debug: a
 * node drops its peer traffic to and from chosen nodes (a network
 * partition, both ways or one way) and shifts its wall clock. The node's
 * real transports and clock are wrapped here, so nothing else in the node
 * knows about faults.
 *
 * A dropped request behaves as a lost packet would: an outgoing one is never
 * sent and fails with TIMEOUT after its timeout; an incoming one is never
 * handed to the node and is never answered (the sender times out). Peers are
 * named by node id or by peer address (host:port); the transports learn which
 * address belongs to which id from setPeerAddress, so datagrams, which carry
 * only an address, are dropped by id as well.
 *
 * A delay (QKV.DEBUG DELAY) holds every request this node sends to a peer
 * for the delay (plus up to the jitter) before it leaves, and its reply as
 * long again once it is back, and holds the gossip datagrams it sends to the
 * peer once: a link with that one-way latency, for what this node sends. Set
 * on the nodes of both sides, it emulates a WAN between them on loopback.
 */
export interface FaultInjectorOptions {
  /** The node's real clock: timers and monotonic time; its wall time is shifted by the offset. */
  readonly clock: Clock;
  /** Default request timeout, read when a dropped request is timed out. */
  readonly requestTimeoutMs: () => number;
  /** Told about every change, for the node's log. */
  readonly onChange?: (status: FaultStatus) => void;
}

export interface FaultStatus {
  /** Peers this node exchanges nothing with. */
  readonly partitioned: string[];
  /** Peers this node sends nothing to but still hears from. */
  readonly outgoingOnly: string[];
  readonly clockOffsetMs: number;
  /** Peers whose traffic from this node is delayed: one-way ms and jitter ms. */
  readonly delays: Record<string, { readonly ms: number; readonly jitterMs: number }>;
  /** The disk fault in effect (QKV.DEBUG DISK-FAIL): off, on (writes fail) or stall (writes hang). */
  readonly disk: 'off' | 'on' | 'stall';
  readonly dropped: { readonly requestsOut: number; readonly requestsIn: number; readonly datagramsOut: number; readonly datagramsIn: number };
}

const addressKey = (addr: PeerAddress): string => formatAddress(addr);

export class FaultInjector implements DebugApi {
  private readonly both = new Set<string>();
  private readonly outOnly = new Set<string>();
  private readonly idByAddress = new Map<string, string>();
  private offsetMs = 0;
  private readonly delays = new Map<string, { ms: number; jitterMs: number }>();
  private disk: FaultyEngine | null = null;
  private readonly counts = { requestsOut: 0, requestsIn: 0, datagramsOut: 0, datagramsIn: 0 };
  /** The node's clock with the offset applied to now(); pass it to everything that reads wall time. */
  readonly clock: Clock;

  constructor(private readonly opts: FaultInjectorOptions) {
    const inner = opts.clock;
    this.clock = {
      now: () => inner.now() + this.offsetMs,
      monotonic: () => inner.monotonic(),
      setTimeout: (fn: () => void, ms: number): TimerHandle => inner.setTimeout(fn, ms),
      setInterval: (fn: () => void, ms: number): TimerHandle => inner.setInterval(fn, ms),
    };
  }

  partition(peers: readonly string[], oneWay: boolean): void {
    for (const p of peers) {
      if (oneWay) {
        if (!this.both.has(p)) this.outOnly.add(p);
      } else {
        this.outOnly.delete(p);
        this.both.add(p);
      }
    }
    this.changed();
  }

  heal(peers?: readonly string[]): void {
    if (peers === undefined || peers.length === 0) {
      this.both.clear();
      this.outOnly.clear();
    } else {
      for (const p of peers) {
        this.both.delete(p);
        this.outOnly.delete(p);
      }
    }
    this.changed();
  }

  /** Delays what this node sends to peer by ms plus up to jitterMs (0 ms: no delay). */
  setDelay(peer: string, ms: number, jitterMs: number): void {
    if (ms <= 0 && jitterMs <= 0) this.delays.delete(peer);
    else this.delays.set(peer, { ms, jitterMs });
    this.changed();
  }

  /** The delay of one message to peer (a node id or host:port), 0 when none is set. */
  delayTo(peer: string): number {
    const d = this.delays.get(peer);
    return d ? d.ms + Math.floor(Math.random() * (d.jitterMs + 1)) : 0;
  }

  delayToAddress(addr: PeerAddress): number {
    const key = addressKey(addr);
    const id = this.idByAddress.get(key);
    return Math.max(this.delayTo(key), id !== undefined ? this.delayTo(id) : 0);
  }

  /** Resolves after ms on the node's clock (at once for 0). */
  wait(ms: number): Promise<void> {
    return ms <= 0 ? Promise.resolve() : new Promise((resolve) => this.opts.clock.setTimeout(resolve, ms));
  }

  setClockOffset(ms: number): void {
    this.offsetMs = ms;
    this.changed();
  }

  /** The node's engine, wrapped so DISK-FAIL can fail or stall its writes. */
  attachDisk(engine: FaultyEngine): void {
    this.disk = engine;
  }

  setDiskFault(mode: 'off' | 'on' | 'stall'): void {
    if (!this.disk) throw new QkvError('ERR', 'this node has no disk to fail');
    this.disk.setMode(mode);
    this.changed();
  }

  status(): FaultStatus {
    return {
      partitioned: [...this.both].sort(),
      outgoingOnly: [...this.outOnly].sort(),
      clockOffsetMs: this.offsetMs,
      delays: Object.fromEntries([...this.delays].sort(([a], [b]) => (a < b ? -1 : 1)).map(([peer, d]) => [peer, { ...d }])),
      disk: this.disk?.mode ?? 'off',
      dropped: { ...this.counts },
    };
  }

  /** Remembers which node listens at addr, so traffic by address is dropped by id too. */
  learnAddress(nodeId: string, addr: PeerAddress | null): void {
    for (const [key, id] of this.idByAddress) if (id === nodeId) this.idByAddress.delete(key);
    if (addr !== null) this.idByAddress.set(addressKey(addr), nodeId);
  }

  dropsOutgoing(peer: string): boolean {
    return this.both.has(peer) || this.outOnly.has(peer);
  }

  dropsIncoming(peer: string): boolean {
    return this.both.has(peer);
  }

  dropsOutgoingTo(addr: PeerAddress): boolean {
    const key = addressKey(addr);
    const id = this.idByAddress.get(key);
    return this.dropsOutgoing(key) || (id !== undefined && this.dropsOutgoing(id));
  }

  dropsIncomingFrom(addr: PeerAddress): boolean {
    const key = addressKey(addr);
    const id = this.idByAddress.get(key);
    return this.dropsIncoming(key) || (id !== undefined && this.dropsIncoming(id));
  }

  /** A promise that rejects as a request whose packets were lost does. */
  lost(what: string, timeoutMs: number | undefined, direction: 'requestsOut' | 'requestsIn'): Promise<never> {
    this.counts[direction]++;
    const ms = timeoutMs ?? this.opts.requestTimeoutMs();
    return new Promise((_resolve, reject) => {
      this.opts.clock.setTimeout(() => reject(new QkvError('TIMEOUT', `${what} timed out after ${ms} ms (dropped by fault injection)`)), ms);
    });
  }

  countDatagram(direction: 'datagramsOut' | 'datagramsIn'): void {
    this.counts[direction]++;
  }

  private changed(): void {
    this.opts.onChange?.(this.status());
  }
}

/**
 * The transport with the injector's drops applied; every other member
 * (address, close, inFlight, ...) is the real transport's. Without an
 * injector it is the transport itself.
 */
export function faultyRpcTransport<T extends RpcTransport & Partial<PeerIdentifier>>(inner: T, faults: FaultInjector | null | undefined): T {
  if (!faults) return inner;
  const overrides: Partial<RpcTransport & PeerIdentifier> = {
    request(peer: string, msg: Message, opts?: RequestOptions): Promise<Message> {
      if (peer !== inner.nodeId && faults.dropsOutgoing(peer)) return faults.lost(`request to ${peer}`, opts?.timeoutMs, 'requestsOut');
      const delay = peer === inner.nodeId ? 0 : faults.delayTo(peer);
      if (delay === 0) return inner.request(peer, msg, opts);
      // Out and back: the request leaves late and its answer (or failure) arrives late.
      const back = async <T>(settled: T): Promise<T> => (await faults.wait(delay), settled);
      return faults.wait(delay).then(() =>
        inner.request(peer, msg, opts).then(back, (err: unknown) =>
          back(null).then(() => {
            throw err;
          }),
        ),
      );
    },
    onRequest(handler: RequestHandler): void {
      inner.onRequest((from, msg) => (from !== inner.nodeId && faults.dropsIncoming(from) ? faults.lost(`request from ${from}`, undefined, 'requestsIn') : handler(from, msg)));
    },
    setPeerAddress(peer: string, addr: PeerAddress | null): void {
      faults.learnAddress(peer, addr);
      inner.setPeerAddress(peer, addr);
    },
  };
  if (typeof inner.identify === 'function') {
    const identify = inner.identify.bind(inner);
    overrides.identify = async (addr: PeerAddress, opts?: RequestOptions): Promise<string> => {
      if (faults.dropsOutgoingTo(addr)) {
        await faults.lost(`identifying ${formatAddress(addr)}`, opts?.timeoutMs, 'requestsOut').catch((e: QkvError) => {
          throw new QkvError('UNAVAILABLE', e.message);
        });
      }
      return identify(addr, opts);
    };
  }
  return delegate(inner, overrides);
}

/** The datagram transport with the injector's drops applied (for SWIM gossip over UDP). */
export function faultyDatagramTransport<T extends DatagramTransport>(inner: T, faults: FaultInjector | null | undefined): T {
  if (!faults) return inner;
  return delegate(inner, {
    send(addr: PeerAddress, payload: Buffer): void {
      if (faults.dropsOutgoingTo(addr)) return faults.countDatagram('datagramsOut');
      const delay = faults.delayToAddress(addr);
      if (delay === 0) return inner.send(addr, payload);
      void faults.wait(delay).then(() => inner.send(addr, payload));
    },
    onMessage(handler: DatagramHandler): void {
      inner.onMessage((from, payload) => (faults.dropsIncomingFrom(from) ? faults.countDatagram('datagramsIn') : handler(from, payload)));
    },
  });
}

/** An object that answers with `overrides` first and otherwise with `inner` (methods bound to it, getters read on it). */
function delegate<T extends object>(inner: T, overrides: object): T {
  return new Proxy(inner, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return (overrides as Record<string | symbol, unknown>)[prop];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
