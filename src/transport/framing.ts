/**
 * Frames on a peer TCP stream: a u32 big-endian body length, then the body.
 * The decoder takes chunks as they arrive, whole or a byte at a time, and
 * copies a frame split across chunks into one buffer sized from its header,
 * so a large frame costs one copy rather than a concat per chunk.
 */
export const FRAME_HEADER_BYTES = 4;
/** The largest length a u32 header can carry. */
export const MAX_FRAME_LENGTH = 0xffff_ffff;

export class FrameTooLargeError extends Error {
  constructor(readonly length: number, readonly max: number) {
    super(`frame of ${length} bytes exceeds the maximum of ${max}`);
    this.name = 'FrameTooLargeError';
  }
}

export function frameHeader(bodyLength: number): Buffer {
  if (bodyLength > MAX_FRAME_LENGTH) throw new FrameTooLargeError(bodyLength, MAX_FRAME_LENGTH);
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(bodyLength, 0);
  return header;
}

/** Header and body as one buffer (tests and small writes). */
export function encodeFrame(body: Buffer): Buffer {
  return Buffer.concat([frameHeader(body.length), body]);
}

export class FrameDecoder {
  private header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private body: Buffer | null = null;
  private bodyFill = 0;

  /** maxFrameBytes may be changed between pushes (a handshake allows less than a session). */
  constructor(public maxFrameBytes: number) {}

  /** Bytes of a frame not yet complete. */
  get buffered(): number {
    return this.headerFill + this.bodyFill;
  }

  /**
   * Feeds a chunk; returns the bodies it completes, in order. Throws
   * FrameTooLargeError as soon as a header announces more than the maximum.
   */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.body === null) {
        // Fast path: a whole header at hand.
        if (this.headerFill === 0 && chunk.length - pos >= FRAME_HEADER_BYTES) {
          const length = chunk.readUInt32BE(pos);
          pos += FRAME_HEADER_BYTES;
          this.checkLength(length);
          if (chunk.length - pos >= length) {
            out.push(chunk.subarray(pos, pos + length));
            pos += length;
            continue;
          }
          this.startBody(length);
        } else {
          const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.length - pos);
          chunk.copy(this.header, this.headerFill, pos, pos + take);
          this.headerFill += take;
          pos += take;
          if (this.headerFill < FRAME_HEADER_BYTES) break;
          this.headerFill = 0;
          const length = this.header.readUInt32BE(0);
          this.checkLength(length);
          this.startBody(length);
        }
      }
      const body = this.body!;
      const take = Math.min(body.length - this.bodyFill, chunk.length - pos);
      chunk.copy(body, this.bodyFill, pos, pos + take);
      this.bodyFill += take;
      pos += take;
      if (this.bodyFill === body.length) {
        out.push(body);
        this.body = null;
        this.bodyFill = 0;
      }
    }
    return out;
  }

  private checkLength(length: number): void {
    if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
  }

  private startBody(length: number): void {
    this.body = Buffer.allocUnsafe(length);
    this.bodyFill = 0;
  }
}
