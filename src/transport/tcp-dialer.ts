import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { ProtocolViolation } from './envelope.js';
import {
  HANDSHAKE_MAX_FRAME_BYTES,
  HandshakeRefused,
  NONCE_BYTES,
  WELCOME,
  admissionProblem,
  authFrame,
  helloFrame,
  parseHello,
  parseReady,
  refusedFrame,
  verifyProof,
  type LocalIdentity,
} from './handshake.js';
import { dialPeer, type PeerTls } from './peer-tls.js';
import { FramedSocket, type FramedSocketEvents } from './tcp-connection.js';
import { formatAddress, type PeerAddress, type TransportObserver } from './types.js';

/**
 * Opens a connection to a peer and runs the dialer's half of the handshake.
 * Resolves once the peer said READY; from then on frames and the close go to
 * `open`. Rejects with the reason if the socket, the handshake or the timer fails.
 */
export interface DialOptions {
  readonly identity: LocalIdentity;
  readonly clock: Clock;
  readonly maxFrameBytes: number;
  /** Covers the TCP connect and the whole handshake. */
  readonly timeoutMs: number;
  readonly observer?: TransportObserver;
  /** Mutual TLS with peers (--tls-cluster), or null for plain TCP. */
  readonly tls: PeerTls | null;
  /** Told the peer's node id once its WELCOME is admitted (before the handshake completes). */
  readonly onPeerId?: (nodeId: string) => void;
}

/** peer null: accept whichever node answers (finding out a seed's id). */
export function dial(addr: PeerAddress, peer: string | null, opts: DialOptions, open: FramedSocketEvents): Promise<FramedSocket> {
  return new Promise<FramedSocket>((resolve, reject) => {
    const nonce = randomBytes(NONCE_BYTES);
    const remote = formatAddress(addr);
    let phase: 'welcome' | 'ready' | 'open' = 'welcome';
    let failure: string | null = null;

    const refuse = (reason: string, countAsAuth: boolean): void => {
      failure = reason;
      if (countAsAuth) opts.observer?.authFailure?.(remote, reason);
      conn.send(refusedFrame(reason));
      conn.close(null, true);
    };

    const onHandshakeFrame = (value: unknown): void => {
      if (phase === 'welcome') {
        const welcome = parseHello(value, WELCOME);
        const problem = admissionProblem(opts.identity, welcome);
        if (problem) return refuse(problem, true);
        if (peer !== null && welcome.node !== peer) return refuse(`expected node ${peer} but ${welcome.node} answered`, false);
        const secret = opts.identity.secret;
        if (secret && !verifyProof(secret, 'acceptor', nonce, welcome.node, welcome.proof)) {
          return refuse(welcome.proof ? 'authentication failed' : 'peer did not authenticate', true);
        }
        opts.onPeerId?.(welcome.node);
        conn.send(authFrame(opts.identity, welcome.nonce));
        phase = 'ready';
        return;
      }
      parseReady(value);
      phase = 'open';
      timer.cancel();
      conn.setMaxFrameBytes(opts.maxFrameBytes);
      resolve(conn);
    };

    const socket = dialPeer(addr, opts.tls);
    const conn = new FramedSocket(
      socket,
      HANDSHAKE_MAX_FRAME_BYTES,
      {
        onFrame: (value) => (phase === 'open' ? open.onFrame(value) : onHandshakeFrame(value)),
        onClose: (err) => {
          if (phase === 'open') return open.onClose(err);
          timer.cancel();
          if (err instanceof ProtocolViolation) opts.observer?.protocolError?.(remote, err.message);
          if (err instanceof HandshakeRefused) failure = `refused: ${err.reason}`;
          reject(new Error(failure ?? describe(err)));
        },
      },
      remote,
    );
    const timer = opts.clock.setTimeout(() => {
      failure = `no handshake within ${opts.timeoutMs} ms`;
      conn.close();
    }, opts.timeoutMs);
    conn.send(helloFrame(opts.identity, nonce));
  });
}

function describe(err: Error | null): string {
  if (!err) return 'connection closed during handshake';
  const code = (err as NodeJS.ErrnoException).code;
  return code ?? err.message;
}

/**
 * Runs the whole handshake (authentication included) with whatever node
 * listens at addr, closes the connection and resolves with that node's id.
 */
export async function identifyPeer(addr: PeerAddress, opts: DialOptions): Promise<string> {
  let id = '';
  const conn = await dial(addr, null, { ...opts, onPeerId: (node) => (id = node) }, { onFrame: () => undefined, onClose: () => undefined });
  conn.close();
  return id;
}
