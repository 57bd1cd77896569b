/**
 * What the rest of the node sees of the network: request/reply RPC between
 * nodes (replica reads and writes, forwarded commands, hints, Merkle exchange,
 * range streaming) and fire-and-forget datagrams for SWIM gossip. Two
 * implementations of each: real sockets (tcp-rpc.ts, udp.ts), built only by
 * the server and by tests, and an in-memory network (memory-network.ts) for
 * deterministic simulations.
 */

export interface PeerAddress {
  host: string;
  port: number;
}

/**
 * Any msgpack-encodable value: plain objects, arrays, strings, numbers,
 * 64-bit bigints, booleans, null, undefined and Buffers. Maps and Sets arrive
 * as plain objects and arrays. Requests carry a `type` field the receiver
 * dispatches on. Every message is copied on the way, so sender and receiver
 * never share an object.
 */
export type Message = unknown;

export type RequestHandler = (from: string, msg: Message) => Promise<Message> | Message;

export interface RequestOptions {
  /** Overrides the transport's default request timeout. */
  timeoutMs?: number;
}

export interface RpcTransport {
  /** This node's id, as peers learn it from the handshake. */
  readonly nodeId: string;
  /**
   * Sends a request to a peer and resolves with its reply. Rejects with
   * QkvError TIMEOUT (no reply in time) or UNAVAILABLE (no address, cannot
   * connect, connection lost, too many requests in flight, closed), or with
   * the code and message of the QkvError the remote handler threw.
   */
  request(peer: string, msg: Message, opts?: RequestOptions): Promise<Message>;
  /** Registers the handler for incoming requests; its return value (or thrown QkvError) is the reply. */
  onRequest(handler: RequestHandler): void;
  /** Where a peer is; the membership layer calls it as members come and go (null: forget the peer). */
  setPeerAddress(peer: string, addr: PeerAddress | null): void;
  /** Whether a request to peer would go out now without first (re)connecting. */
  isConnected(peer: string): boolean;
  /**
   * True while connecting to peer is failing (refused, unreachable) and the
   * next attempt is not due: a request now would fail at once. Lets callers
   * route around a stopped peer before failure detection declares it dead.
   */
  isFailing?(peer: string): boolean;
  /** Stops serving and rejects every pending request with UNAVAILABLE. */
  close(): Promise<void>;
}

/**
 * Finds out who listens at an address: used to contact a seed given only as
 * host:port. Resolves with the node id the peer proved in the handshake
 * (with its cluster secret, when one is set); rejects with QkvError
 * UNAVAILABLE when nothing answers, the handshake is refused or it does not
 * finish within the timeout (default: the transport's connect timeout).
 */
export interface PeerIdentifier {
  identify(addr: PeerAddress, opts?: RequestOptions): Promise<string>;
}

export type DatagramHandler = (from: PeerAddress, payload: Buffer) => void;

/** Unreliable, unordered datagrams; payloads are opaque (the membership layer authenticates and sizes them). */
export interface DatagramTransport {
  readonly address: PeerAddress;
  send(addr: PeerAddress, payload: Buffer): void;
  onMessage(handler: DatagramHandler): void;
  close(): Promise<void>;
}

/** Why a request failed, for metrics. */
export type RpcErrorKind = 'timeout' | 'unavailable' | 'overloaded' | 'remote';

/**
 * Hooks the server wires to metrics; every method is optional. `remote` is a
 * peer's socket address ("host:port") when its node id is not yet known.
 */
export interface TransportObserver {
  /** A reply (success or remote error) arrived after ms. */
  rpcLatency?(peer: string, ms: number): void;
  rpcError?(peer: string, kind: RpcErrorKind): void;
  /** Requests to peer now waiting for a reply. */
  inflight?(peer: string, n: number): void;
  /** A peer failed the cluster handshake (wrong secret, cluster or version) and was dropped. */
  authFailure?(remote: string, reason: string): void;
  /** A peer sent bytes that are not the protocol (bad framing, oversized frame, bad msgpack) and was dropped. */
  protocolError?(remote: string, reason: string): void;
}

/** Largest frame (message) accepted by default: 64 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Default per-request timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** Default bound on requests awaiting a reply from one peer. */
export const DEFAULT_MAX_IN_FLIGHT = 256;
/** Default bound on requests waiting for an in-flight slot for one peer. */
export const DEFAULT_MAX_QUEUED = 4_096;

/** The largest payload one UDP datagram can carry over IPv4; larger ones are never sent. */
export const MAX_DATAGRAM_BYTES = 65_507;

export function formatAddress(addr: PeerAddress): string {
  return addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

export function sameAddress(a: PeerAddress | null | undefined, b: PeerAddress | null | undefined): boolean {
  if (!a || !b) return a === b;
  return a.host === b.host && a.port === b.port;
}
