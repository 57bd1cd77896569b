import type { Clock } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { ERROR, ProtocolViolation, REPLY, parseEnvelope, requestEnvelope } from './envelope.js';
import type { LocalIdentity } from './handshake.js';
import { OutboundCalls, type CallLimits } from './outbound-calls.js';
import type { FramedSocket } from './tcp-connection.js';
import { dial } from './tcp-dialer.js';
import type { PeerTls } from './peer-tls.js';
import { formatAddress, sameAddress, type Message, type PeerAddress, type TransportObserver } from './types.js';

/**
 * This node's outbound connection to one peer and the requests on it. The
 * connection is opened on demand and kept; when it drops, the requests sent on
 * it fail and the next request dials again at once. When a dial fails, further
 * dials wait an exponentially growing, jittered delay, and requests made in
 * that window fail fast with UNAVAILABLE rather than queueing for a peer that
 * is probably down.
 */
export interface PeerLinkOptions {
  readonly identity: LocalIdentity;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly maxFrameBytes: number;
  readonly connectTimeoutMs: number;
  readonly backoff: BackoffOptions;
  readonly limits: CallLimits;
  readonly observer?: TransportObserver;
  readonly tls: PeerTls | null;
}

export class PeerLink {
  private readonly calls: OutboundCalls;
  private conn: FramedSocket | null = null;
  private connecting: Promise<FramedSocket> | null = null;
  private failures = 0;
  private retryAt = 0;
  private lastFailure = '';
  private closed = false;

  constructor(
    readonly peer: string,
    private address: PeerAddress,
    private readonly opts: PeerLinkOptions,
  ) {
    this.calls = new OutboundCalls(peer, opts.clock, opts.limits, opts.observer);
  }

  get isConnected(): boolean {
    return this.conn !== null;
  }

  /** True while the last attempt to connect failed and the next is not due yet: requests would fail at once. */
  get isFailing(): boolean {
    return this.conn === null && this.failures > 0 && this.opts.clock.monotonic() < this.retryAt;
  }

  /** Forgets past connect failures (the peer is known to be back), without touching a live connection. */
  clearBackoff(): void {
    if (this.conn !== null) return;
    this.failures = 0;
    this.retryAt = 0;
  }

  get inFlight(): number {
    return this.calls.inFlight;
  }

  request(msg: Message, timeoutMs: number): Promise<Message> {
    return this.calls.call(msg, timeoutMs, (id, m) => this.dispatch(id, m));
  }

  /** A new address drops the connection to the old one and forgets past failures. */
  setAddress(addr: PeerAddress): void {
    if (sameAddress(addr, this.address)) return;
    this.address = { ...addr };
    this.failures = 0;
    this.retryAt = 0;
    this.conn?.close(new Error(`${this.peer} moved`));
  }

  close(reason: string): void {
    this.closed = true;
    this.calls.failAll(new QkvError('UNAVAILABLE', reason));
    this.conn?.close();
  }

  private dispatch(id: number, msg: Message): void | Promise<void> {
    if (this.conn) return this.conn.send(requestEnvelope(id, msg));
    return this.connect().then((conn) => {
      if (this.calls.isPending(id)) conn.send(requestEnvelope(id, msg));
    });
  }

  private connect(): Promise<FramedSocket> {
    const addr = this.address;
    if (this.connecting) return this.connecting;
    const wait = this.retryAt - this.opts.clock.monotonic();
    if (wait > 0) {
      return Promise.reject(
        new QkvError('UNAVAILABLE', `${this.peer} is unreachable (${this.lastFailure}); next attempt in ${Math.ceil(wait)} ms`, 'not-sent'),
      );
    }
    let opened: FramedSocket | null = null;
    const attempt = dial(addr, this.peer, { ...this.opts, timeoutMs: this.opts.connectTimeoutMs }, {
      onFrame: (value) => this.onFrame(value),
      onClose: (err) => this.onClose(opened, err),
    }).then(
      (conn) => {
        this.connecting = null;
        // The address changed or the transport closed while dialling: this connection is stale.
        if (this.closed || !sameAddress(addr, this.address)) {
          conn.close();
          throw new QkvError('UNAVAILABLE', `connection to ${this.peer} abandoned`);
        }
        opened = conn;
        this.conn = conn;
        this.failures = 0;
        return conn;
      },
      (err: Error) => {
        this.connecting = null;
        this.failures++;
        this.lastFailure = err.message;
        this.retryAt = this.opts.clock.monotonic() + backoffDelay(this.failures, this.opts.backoff, this.opts.rng);
        throw new QkvError('UNAVAILABLE', `cannot connect to ${this.peer} at ${formatAddress(addr)}: ${err.message}`, 'not-sent');
      },
    );
    this.connecting = attempt;
    return attempt;
  }

  private onFrame(value: unknown): void {
    const env = parseEnvelope(value);
    if (env.kind === REPLY) this.calls.reply(env.id, env.msg);
    else if (env.kind === ERROR) this.calls.remoteError(env.id, env.code, env.message);
    else throw new ProtocolViolation('a request on an outbound connection');
  }

  private onClose(conn: FramedSocket | null, err: Error | null): void {
    if (err instanceof ProtocolViolation) this.opts.observer?.protocolError?.(this.peer, err.message);
    // Only the current connection's loss concerns the requests; an abandoned one carried none.
    if (conn === null || conn !== this.conn) return;
    this.conn = null;
    this.calls.failSent(new QkvError('UNAVAILABLE', `connection to ${this.peer} lost${err ? `: ${err.message}` : ''}`));
  }
}
