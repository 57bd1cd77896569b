import type { Clock } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import { decodeMessage, encodeBounded, encodeMessage } from './codec.js';
import { ERROR, errorEnvelope, parseEnvelope, replyEnvelope } from './envelope.js';
import { localCall } from './local-call.js';
import { OutboundCalls, type CallLimits } from './outbound-calls.js';
import type {
  DatagramHandler,
  DatagramTransport,
  Message,
  PeerAddress,
  PeerIdentifier,
  RequestHandler,
  RequestOptions,
  RpcTransport,
  TransportObserver,
} from './types.js';

/**
 * One node's view of the in-memory network: the same RpcTransport and
 * DatagramTransport contracts as TCP and UDP, with every message encoded at
 * send and decoded at delivery by the same codec, so nodes share no objects
 * and anything TCP would refuse (unencodable, too large) is refused here too.
 */
export interface MemoryFabric {
  readonly clock: Clock;
  /** Carries an encoded request; a promise it returns rejects if the peer refuses the connection. */
  routeRequest(src: MemoryRpcTransport, peer: string, addr: PeerAddress, id: number, body: Buffer): void | Promise<void>;
  routeReply(src: MemoryRpcTransport, dst: MemoryRpcTransport, body: Buffer): void;
  routeDatagram(src: MemoryDatagramTransport, addr: PeerAddress, payload: Buffer): void;
  reachable(src: string, peer: string, addr: PeerAddress): boolean;
  /** The id of the node at addr, after a handshake's round trip. */
  identify(src: MemoryRpcTransport, addr: PeerAddress, timeoutMs: number): Promise<string>;
}

export interface MemoryRpcOptions extends CallLimits {
  readonly requestTimeoutMs: number;
  readonly maxFrameBytes: number;
  readonly observer?: TransportObserver;
}

export class MemoryRpcTransport implements RpcTransport, PeerIdentifier {
  private handler: RequestHandler | null = null;
  private readonly peers = new Map<string, PeerAddress>();
  private readonly calls = new Map<string, OutboundCalls>();
  private closed = false;

  constructor(
    readonly nodeId: string,
    readonly address: PeerAddress,
    private readonly fabric: MemoryFabric,
    private readonly opts: MemoryRpcOptions,
  ) {}

  get isOpen(): boolean {
    return !this.closed;
  }

  request(peer: string, msg: Message, opts?: RequestOptions): Promise<Message> {
    if (this.closed) return Promise.reject(new QkvError('UNAVAILABLE', 'transport closed'));
    if (peer === this.nodeId) return localCall(this.nodeId, this.handler, msg);
    const addr = this.peers.get(peer);
    if (!addr) {
      this.opts.observer?.rpcError?.(peer, 'unavailable');
      return Promise.reject(new QkvError('UNAVAILABLE', `no address for ${peer}`));
    }
    return this.callsTo(peer).call(msg, opts?.timeoutMs ?? this.opts.requestTimeoutMs, (id, m) =>
      this.fabric.routeRequest(this, peer, addr, id, encodeBounded(m, this.opts.maxFrameBytes)),
    );
  }

  identify(addr: PeerAddress, opts?: RequestOptions): Promise<string> {
    if (this.closed) return Promise.reject(new QkvError('UNAVAILABLE', 'transport closed'));
    return this.fabric.identify(this, addr, opts?.timeoutMs ?? this.opts.requestTimeoutMs);
  }

  onRequest(handler: RequestHandler): void {
    this.handler = handler;
  }

  setPeerAddress(peer: string, addr: PeerAddress | null): void {
    if (addr) this.peers.set(peer, { ...addr });
    else {
      this.peers.delete(peer);
      this.calls.get(peer)?.failAll(new QkvError('UNAVAILABLE', `${peer} is no longer a peer`));
      this.calls.delete(peer);
    }
  }

  isConnected(peer: string): boolean {
    const addr = this.peers.get(peer);
    return !this.closed && addr !== undefined && this.fabric.reachable(this.nodeId, peer, addr);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const calls of this.calls.values()) calls.failAll(new QkvError('UNAVAILABLE', 'transport closed'));
    this.calls.clear();
  }

  /** Delivery of a request from src: run the handler, send its reply or error back. */
  receiveRequest(src: MemoryRpcTransport, id: number, body: Buffer): void {
    const handler = this.handler;
    const from = src.nodeId;
    new Promise<Message>((resolve) => {
      if (!handler) throw new QkvError('UNAVAILABLE', `${this.nodeId} is not serving requests yet`);
      resolve(handler(from, decodeMessage(body)));
    }).then(
      (reply) => {
        let bytes: Buffer;
        try {
          bytes = encodeBounded(replyEnvelope(id, reply), this.opts.maxFrameBytes);
        } catch (err) {
          bytes = encodeMessage(errorEnvelope(id, err));
        }
        this.sendBack(src, bytes);
      },
      (err: unknown) => this.sendBack(src, encodeMessage(errorEnvelope(id, err))),
    );
  }

  /** Delivery of a reply from peer. */
  receiveReply(peer: string, body: Buffer): void {
    const calls = this.calls.get(peer);
    if (!calls) return;
    const env = parseEnvelope(decodeMessage(body));
    // Only this module writes replies, so an envelope here is a REPLY or an ERROR.
    if (env.kind === ERROR) calls.remoteError(env.id, env.code, env.message);
    else calls.reply(env.id, env.msg);
  }

  private sendBack(dst: MemoryRpcTransport, bytes: Buffer): void {
    if (!this.closed) this.fabric.routeReply(this, dst, bytes);
  }

  private callsTo(peer: string): OutboundCalls {
    let calls = this.calls.get(peer);
    if (!calls) {
      calls = new OutboundCalls(peer, this.fabric.clock, this.opts, this.opts.observer);
      this.calls.set(peer, calls);
    }
    return calls;
  }
}

export class MemoryDatagramTransport implements DatagramTransport {
  private handler: DatagramHandler | null = null;
  private closed = false;

  constructor(
    readonly nodeId: string,
    readonly address: PeerAddress,
    private readonly fabric: MemoryFabric,
  ) {}

  get isOpen(): boolean {
    return !this.closed;
  }

  send(addr: PeerAddress, payload: Buffer): void {
    // Copied now: the caller may reuse its buffer, as it may with a real socket.
    if (!this.closed) this.fabric.routeDatagram(this, addr, Buffer.from(payload));
  }

  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  receive(from: PeerAddress, payload: Buffer): void {
    if (!this.closed) this.handler?.({ ...from }, payload);
  }
}
