import type { Clock, TimerHandle } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import { InFlightLimiter, type LimiterTicket } from './inflight-limiter.js';
import type { Message, RpcErrorKind, TransportObserver } from './types.js';

/**
 * The requests one node has outstanding with one peer: ids, the in-flight
 * bound and its queue, timeouts on the injected clock, and the observer
 * hooks. Shared by the TCP and in-memory transports so both fail the same way.
 */
export interface CallLimits {
  maxInFlight: number;
  maxQueued: number;
}

/** Puts the request with this id on the wire; throwing or rejecting fails the call. */
export type Dispatch = (id: number, msg: Message) => void | Promise<void>;

interface Call {
  readonly id: number;
  readonly msg: Message;
  readonly startedAt: number;
  readonly resolve: (value: Message) => void;
  readonly reject: (err: QkvError) => void;
  readonly ticket: LimiterTicket;
  timer: TimerHandle | null;
  state: 'queued' | 'active' | 'done';
  sent: boolean;
  dispatch: Dispatch;
}

export class OutboundCalls {
  private nextId = 1;
  private readonly active = new Map<number, Call>();
  private readonly queued = new Set<Call>();
  private readonly limiter: InFlightLimiter;

  constructor(
    readonly peer: string,
    private readonly clock: Clock,
    limits: CallLimits,
    private readonly observer?: TransportObserver,
  ) {
    this.limiter = new InFlightLimiter(limits.maxInFlight, limits.maxQueued);
  }

  /** Requests holding an in-flight slot. */
  get inFlight(): number {
    return this.active.size;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.queued.size;
  }

  call(msg: Message, timeoutMs: number, dispatch: Dispatch): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      const call: Call = {
        id: this.nextId++,
        msg,
        startedAt: this.clock.monotonic(),
        resolve,
        reject,
        ticket: { grant: () => this.start(call) },
        timer: null,
        state: 'queued',
        sent: false,
        dispatch,
      };
      const got = this.limiter.acquire(call.ticket);
      if (got === 'refused') {
        this.observer?.rpcError?.(this.peer, 'overloaded');
        reject(new QkvError('UNAVAILABLE', `too many requests in flight to ${this.peer}`));
        return;
      }
      call.timer = this.clock.setTimeout(() => {
        this.fail(call, new QkvError('TIMEOUT', `request to ${this.peer} timed out after ${timeoutMs} ms`), 'timeout');
      }, timeoutMs);
      if (got === 'granted') this.start(call);
      else this.queued.add(call);
    });
  }

  /** A reply arrived for id; unknown or settled ids (late replies, duplicates) are ignored. */
  reply(id: number, value: Message): void {
    const call = this.active.get(id);
    if (!call) return;
    this.observer?.rpcLatency?.(this.peer, this.clock.monotonic() - call.startedAt);
    this.finish(call);
    call.resolve(value);
  }

  /** The remote handler failed for id with this code and message. */
  remoteError(id: number, code: string, message: string): void {
    const call = this.active.get(id);
    if (!call) return;
    this.observer?.rpcLatency?.(this.peer, this.clock.monotonic() - call.startedAt);
    this.observer?.rpcError?.(this.peer, 'remote');
    this.finish(call);
    call.reject(new QkvError(code, message));
  }

  /** The connection the sent requests went out on is gone: their replies never come. */
  failSent(err: QkvError): void {
    for (const call of [...this.active.values()]) if (call.sent) this.fail(call, err, 'unavailable');
  }

  /** Fails every request, sent, unsent or queued. */
  failAll(err: QkvError): void {
    for (const call of [...this.queued]) this.fail(call, err, 'unavailable');
    for (const call of [...this.active.values()]) this.fail(call, err, 'unavailable');
  }

  /** Whether id still awaits its reply (a dispatch that waited for a connection checks before sending). */
  isPending(id: number): boolean {
    return this.active.has(id);
  }

  private start(call: Call): void {
    this.queued.delete(call);
    call.state = 'active';
    this.active.set(call.id, call);
    this.observer?.inflight?.(this.peer, this.active.size);
    let sent: void | Promise<void>;
    try {
      sent = call.dispatch(call.id, call.msg);
    } catch (err) {
      this.fail(call, asQkvError(err), 'unavailable');
      return;
    }
    if (sent instanceof Promise) {
      sent.then(
        () => (call.sent = true),
        (err: unknown) => this.fail(call, asQkvError(err), 'unavailable'),
      );
    } else {
      call.sent = true;
    }
  }

  private fail(call: Call, err: QkvError, kind: RpcErrorKind): void {
    if (call.state === 'done') return;
    this.observer?.rpcError?.(this.peer, kind);
    this.finish(call);
    call.reject(err);
  }

  private finish(call: Call): void {
    const wasActive = call.state === 'active';
    call.state = 'done';
    call.timer?.cancel();
    if (wasActive) {
      this.active.delete(call.id);
      this.limiter.release();
      this.observer?.inflight?.(this.peer, this.active.size);
    } else {
      this.queued.delete(call);
      this.limiter.cancel(call.ticket);
    }
  }
}

function asQkvError(err: unknown): QkvError {
  if (err instanceof QkvError) return err;
  return new QkvError('UNAVAILABLE', err instanceof Error ? err.message : String(err));
}
