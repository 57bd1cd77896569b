import type { Server, Socket } from 'node:net';
import type { Clock } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { LocalIdentity } from './handshake.js';
import { localCall } from './local-call.js';
import { InboundConnection, type InboundOptions } from './tcp-inbound.js';
import { identifyPeer } from './tcp-dialer.js';
import { PeerLink, type PeerLinkOptions } from './tcp-peer-link.js';
import { peerListener, refreshPeerListener, type PeerTls } from './peer-tls.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_QUEUED,
  DEFAULT_REQUEST_TIMEOUT_MS,
  formatAddress,
  type Message,
  type PeerAddress,
  type PeerIdentifier,
  type RequestHandler,
  type RequestOptions,
  type RpcTransport,
  type TransportObserver,
} from './types.js';

/**
 * Peer RPC over TCP. Each node dials its own long-lived connection to every
 * peer it sends requests to and serves the requests peers send on the
 * connections they dialled, so a pair of nodes talking both ways uses two
 * connections, one per direction. That avoids deciding which of two
 * simultaneous dials survives, and a request and its reply always share a
 * connection. Many requests share one connection, matched to replies by id.
 */
export interface TcpRpcOptions {
  nodeId: string;
  /** Interface and port to listen on; port 0 picks a free one (see `address`). */
  host: string;
  port: number;
  clock: Clock;
  /** Jitter for reconnect backoff. Handshake nonces come from node:crypto, as they must be unpredictable. */
  rng: Rng;
  /** Nodes of different clusters refuse each other. Default 'quorumkv'. */
  clusterName?: string;
  /** The replica placement every peer must share (handshake.ts); absent: none. */
  placement?: string;
  /** The replication factor every peer must share (handshake.ts); absent: not checked. */
  replicas?: number;
  /** When set, peers must prove they hold it (HMAC-SHA256 challenge-response both ways). */
  secret?: string | Buffer | null;
  observer?: TransportObserver;
  /** Mutual TLS with the CA (--tls-cluster); absent or null: plain TCP. */
  tls?: PeerTls | null;
  /** Largest frame sent or accepted; a peer announcing more is dropped. Default 64 MiB. */
  maxFrameBytes?: number;
  /** Default 5000. */
  requestTimeoutMs?: number;
  /** TCP connect plus handshake, both as dialer and as acceptor. Default 3000. */
  connectTimeoutMs?: number;
  /** Requests awaiting replies per peer (also the bound on requests served at once per inbound connection). Default 256. */
  maxInFlightPerPeer?: number;
  /** Requests waiting for an in-flight slot per peer; beyond it requests fail at once. Default 4096. */
  maxQueuedPerPeer?: number;
  backoff?: BackoffOptions;
}

export class TcpRpcTransport implements RpcTransport, PeerIdentifier {
  readonly nodeId: string;
  private readonly links = new Map<string, PeerLink>();
  private readonly inbound = new Set<InboundConnection>();
  private readonly linkOptions: PeerLinkOptions;
  private readonly inboundOptions: InboundOptions;
  private readonly requestTimeoutMs: number;
  private handler: RequestHandler | null = null;
  private closed = false;
  private sent = 0;

  /** Starts listening; resolves once bound. */
  static async listen(opts: TcpRpcOptions): Promise<TcpRpcTransport> {
    let accept = (_socket: Socket): void => undefined;
    const server = peerListener(opts.tls ?? null, opts.observer, (socket) => accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const transport = new TcpRpcTransport(server, opts);
    accept = (socket) => transport.accept(socket);
    return transport;
  }

  private constructor(
    private readonly server: Server,
    opts: TcpRpcOptions,
  ) {
    this.nodeId = opts.nodeId;
    const secret = opts.secret === undefined || opts.secret === null || opts.secret === '' ? null : Buffer.from(opts.secret);
    const identity: LocalIdentity = { nodeId: opts.nodeId, cluster: opts.clusterName ?? 'quorumkv', secret, ...(opts.placement ? { placement: opts.placement } : {}), ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}) };
    const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    const connectTimeoutMs = opts.connectTimeoutMs ?? 3_000;
    const maxInFlight = opts.maxInFlightPerPeer ?? DEFAULT_MAX_IN_FLIGHT;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.linkOptions = {
      identity,
      clock: opts.clock,
      rng: opts.rng,
      maxFrameBytes,
      connectTimeoutMs,
      backoff: opts.backoff ?? DEFAULT_BACKOFF,
      limits: { maxInFlight, maxQueued: opts.maxQueuedPerPeer ?? DEFAULT_MAX_QUEUED },
      observer: opts.observer,
      tls: opts.tls ?? null,
    };
    this.inboundOptions = {
      identity,
      clock: opts.clock,
      maxFrameBytes,
      handshakeTimeoutMs: connectTimeoutMs,
      maxInFlight,
      observer: opts.observer,
      handler: () => this.handler,
    };
    // Accept errors (e.g. out of file descriptors) must not take the node down.
    server.on('error', () => {});
  }

  private accept(socket: Socket): void {
    if (this.closed) return void socket.destroy();
    const conn = new InboundConnection(socket, this.inboundOptions, (c) => this.inbound.delete(c));
    this.inbound.add(conn);
  }

  /** New certificates (CONFIG SET tls-*-file) for connections opened from now on, both ways. */
  refreshTls(): void {
    refreshPeerListener(this.server, this.linkOptions.tls);
  }

  /** Where this node listens (the bound port when 0 was asked for). */
  get address(): PeerAddress {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new QkvError('ERR', 'transport is not listening');
    return { host: a.address, port: a.port };
  }

  request(peer: string, msg: Message, opts?: RequestOptions): Promise<Message> {
    if (this.closed) return Promise.reject(new QkvError('UNAVAILABLE', 'transport closed'));
    if (peer === this.nodeId) return localCall(this.nodeId, this.handler, msg);
    const link = this.links.get(peer);
    if (!link) {
      this.linkOptions.observer?.rpcError?.(peer, 'unavailable');
      return Promise.reject(new QkvError('UNAVAILABLE', `no address for ${peer}`, 'not-sent'));
    }
    this.sent++;
    return link.request(msg, opts?.timeoutMs ?? this.requestTimeoutMs);
  }

  /** Requests handed to peer links so far (each one frame). */
  get requestsSent(): number {
    return this.sent;
  }

  async identify(addr: PeerAddress, opts?: RequestOptions): Promise<string> {
    if (this.closed) throw new QkvError('UNAVAILABLE', 'transport closed');
    const timeoutMs = opts?.timeoutMs ?? this.linkOptions.connectTimeoutMs;
    try {
      return await identifyPeer(addr, { ...this.linkOptions, timeoutMs });
    } catch (err) {
      throw new QkvError('UNAVAILABLE', `cannot identify the node at ${formatAddress(addr)}: ${(err as Error).message}`);
    }
  }

  onRequest(handler: RequestHandler): void {
    this.handler = handler;
  }

  setPeerAddress(peer: string, addr: PeerAddress | null): void {
    if (this.closed || peer === this.nodeId) return;
    const link = this.links.get(peer);
    if (addr === null) {
      link?.close(`${peer} is no longer a peer`);
      this.links.delete(peer);
    } else if (link) {
      link.setAddress(addr);
    } else {
      this.links.set(peer, new PeerLink(peer, { ...addr }, this.linkOptions));
    }
  }

  /** The peer is known to be up again (gossip heard it): the next request connects at once. */
  clearBackoff(peer: string): void {
    this.links.get(peer)?.clearBackoff();
  }

  isFailing(peer: string): boolean {
    return this.links.get(peer)?.isFailing ?? false;
  }

  isConnected(peer: string): boolean {
    return this.links.get(peer)?.isConnected ?? false;
  }

  /** Requests to peer awaiting replies (for tests and introspection). */
  inFlight(peer: string): number {
    return this.links.get(peer)?.inFlight ?? 0;
  }

  /** Connections peers have opened to this node (for tests and introspection). */
  get inboundConnections(): number {
    return this.inbound.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links.values()) link.close('transport closed');
    this.links.clear();
    for (const conn of this.inbound) conn.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
