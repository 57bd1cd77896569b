import type { Socket } from 'node:net';
import { QkvError } from '../core/errors.js';
import { decodeMessage, encodeBounded } from './codec.js';
import { ProtocolViolation } from './envelope.js';
import { FrameDecoder, FrameTooLargeError, frameHeader } from './framing.js';

/**
 * A TCP socket carrying msgpack frames. Writes made during one event-loop
 * turn go out together (one write, or one writev for large batches), which
 * matters when fifty callers each send a small request in the same turn.
 * Bytes that are not the protocol close the socket with a ProtocolViolation;
 * nothing a peer sends can throw past this class.
 *
 * Writes are not paced by the socket's buffer: callers are bounded by the
 * in-flight limits above this layer.
 */
export interface FramedSocketEvents {
  /** A decoded frame; throwing closes the socket with that error. */
  onFrame(value: unknown): void;
  /** Called once, when the socket is gone; err is why (null for a clean end). */
  onClose(err: Error | null): void;
}

/** Batches below this size are concatenated into one buffer; larger ones use writev. */
const CONCAT_LIMIT = 64 * 1024;

export class FramedSocket {
  readonly remote: string;
  private readonly decoder: FrameDecoder;
  private out: Buffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  private closed = false;
  private socketError: Error | null = null;

  constructor(
    private readonly socket: Socket,
    maxFrameBytes: number,
    private readonly events: FramedSocketEvents,
    remote?: string,
  ) {
    this.remote = remote ?? `${socket.remoteAddress}:${socket.remotePort}`;
    this.decoder = new FrameDecoder(maxFrameBytes);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => (this.socketError = err));
    socket.on('close', () => this.close(this.socketError));
    socket.on('end', () => this.close(this.socketError));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Raises the frame limit once a handshake is done (handshake frames are small). */
  setMaxFrameBytes(n: number): void {
    this.decoder.maxFrameBytes = n;
  }

  /**
   * Encodes value and queues it for this turn's write. Throws QkvError ERR if
   * it cannot be encoded or is larger than the maximum frame; the connection
   * is unaffected.
   */
  send(value: unknown): void {
    if (this.closed) throw new QkvError('UNAVAILABLE', 'connection closed');
    const body = encodeBounded(value, this.decoder.maxFrameBytes);
    this.out.push(frameHeader(body.length), body);
    this.outBytes += 4 + body.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes whatever is queued now. */
  flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.out.length === 0) return;
    const out = this.out;
    const bytes = this.outBytes;
    this.out = [];
    this.outBytes = 0;
    if (bytes <= CONCAT_LIMIT) {
      this.socket.write(Buffer.concat(out, bytes));
      return;
    }
    this.socket.cork();
    for (const b of out) this.socket.write(b);
    this.socket.uncork();
  }

  /**
   * Closes now. With `graceful`, queued frames are written first and the
   * socket ends after them (used to deliver REFUSED); otherwise it is destroyed.
   */
  close(err: Error | null = null, graceful = false): void {
    if (this.closed) return;
    if (graceful) {
      this.flush();
      this.socket.end(() => this.socket.destroy());
    } else {
      this.socket.destroy();
    }
    this.closed = true;
    this.out = [];
    this.events.onClose(err);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    let bodies: Buffer[];
    try {
      bodies = this.decoder.push(chunk);
    } catch (err) {
      // The decoder throws only FrameTooLargeError.
      this.close(new ProtocolViolation((err as FrameTooLargeError).message));
      return;
    }
    for (const body of bodies) {
      if (this.closed) return;
      let value: unknown;
      try {
        value = decodeMessage(body);
      } catch (err) {
        this.close(new ProtocolViolation(`bad msgpack: ${(err as Error).message}`));
        return;
      }
      try {
        this.events.onFrame(value);
      } catch (err) {
        // Frame handlers throw only Errors (ProtocolViolation, HandshakeRefused).
        this.close(err as Error);
        return;
      }
    }
  }
}
