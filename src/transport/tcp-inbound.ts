import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import { ProtocolViolation, REQUEST, errorEnvelope, parseEnvelope, replyEnvelope } from './envelope.js';
import {
  HANDSHAKE_MAX_FRAME_BYTES,
  HELLO,
  HandshakeRefused,
  NONCE_BYTES,
  admissionProblem,
  parseAuth,
  parseHello,
  readyFrame,
  refusedFrame,
  verifyProof,
  welcomeFrame,
  type LocalIdentity,
} from './handshake.js';
import { FramedSocket } from './tcp-connection.js';
import type { Message, RequestHandler, TransportObserver } from './types.js';

/**
 * A connection a peer opened to this node: the acceptor's half of the
 * handshake, then serving that peer's requests with the registered handler.
 * Replies go back on the same connection in whatever order handlers finish.
 */
export interface InboundOptions {
  readonly identity: LocalIdentity;
  readonly clock: Clock;
  readonly maxFrameBytes: number;
  readonly handshakeTimeoutMs: number;
  /** Requests from this connection being handled at once; more get UNAVAILABLE. */
  readonly maxInFlight: number;
  readonly observer?: TransportObserver;
  readonly handler: () => RequestHandler | null;
}

type Phase = 'hello' | 'auth' | 'serving';

export class InboundConnection {
  private phase: Phase = 'hello';
  private peer = '';
  private readonly nonce = randomBytes(NONCE_BYTES);
  private readonly conn: FramedSocket;
  private handshakeTimer: TimerHandle | null;
  private serving = 0;

  constructor(
    socket: Socket,
    private readonly opts: InboundOptions,
    onClosed: (conn: InboundConnection) => void,
  ) {
    this.conn = new FramedSocket(socket, HANDSHAKE_MAX_FRAME_BYTES, {
      onFrame: (value) => this.onFrame(value),
      onClose: (err) => {
        this.handshakeTimer?.cancel();
        if (err instanceof ProtocolViolation) opts.observer?.protocolError?.(this.conn.remote, err.message);
        onClosed(this);
      },
    });
    this.handshakeTimer = opts.clock.setTimeout(() => {
      this.handshakeTimer = null;
      this.conn.close(new ProtocolViolation('handshake timed out'));
    }, opts.handshakeTimeoutMs);
  }

  close(): void {
    this.conn.close();
  }

  private onFrame(value: unknown): void {
    switch (this.phase) {
      case 'hello':
        return this.onHello(value);
      case 'auth':
        return this.onAuth(value);
      case 'serving':
        return this.onRequest(value);
    }
  }

  private onHello(value: unknown): void {
    const hello = parseHandshake(() => parseHello(value, HELLO));
    if (!hello) return this.conn.close();
    const problem = admissionProblem(this.opts.identity, hello);
    if (problem) return this.refuse(problem);
    this.peer = hello.node;
    this.conn.send(welcomeFrame(this.opts.identity, this.nonce, hello.nonce));
    this.phase = 'auth';
  }

  private onAuth(value: unknown): void {
    const proof = parseHandshake(() => parseAuth(value));
    if (proof === undefined) return this.conn.close();
    const secret = this.opts.identity.secret;
    if (secret && !verifyProof(secret, 'dialer', this.nonce, this.peer, proof)) {
      return this.refuse(proof ? 'authentication failed' : 'authentication required');
    }
    this.handshakeTimer?.cancel();
    this.handshakeTimer = null;
    this.conn.setMaxFrameBytes(this.opts.maxFrameBytes);
    this.conn.send(readyFrame());
    this.phase = 'serving';
  }

  private onRequest(value: unknown): void {
    const env = parseEnvelope(value);
    if (env.kind !== REQUEST) throw new ProtocolViolation('a reply on an inbound connection');
    const { id, msg } = env;
    if (this.serving >= this.opts.maxInFlight) {
      this.sendError(id, new QkvError('UNAVAILABLE', `too many requests in flight from ${this.peer}`));
      return;
    }
    const handler = this.opts.handler();
    this.serving++;
    new Promise<Message>((resolve) => {
      if (!handler) throw new QkvError('UNAVAILABLE', `${this.opts.identity.nodeId} is not serving requests yet`);
      resolve(handler(this.peer, msg));
    }).then(
      (reply) => {
        this.serving--;
        this.sendReply(id, reply);
      },
      (err: unknown) => {
        this.serving--;
        this.sendError(id, err);
      },
    );
  }

  private sendReply(id: number, reply: Message): void {
    if (!this.conn.isOpen) return;
    try {
      this.conn.send(replyEnvelope(id, reply));
    } catch (err) {
      // The reply could not be encoded or is too large: the caller gets that error instead.
      this.sendError(id, err);
    }
  }

  private sendError(id: number, err: unknown): void {
    if (!this.conn.isOpen) return;
    this.conn.send(errorEnvelope(id, err));
  }

  private refuse(reason: string): void {
    this.opts.observer?.authFailure?.(this.conn.remote, reason);
    this.conn.send(refusedFrame(reason));
    this.conn.close(null, true);
  }
}

/** Runs a handshake parser; undefined when the dialer refused us (it is closing anyway). */
function parseHandshake<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (err instanceof HandshakeRefused) return undefined;
    throw err;
  }
}
