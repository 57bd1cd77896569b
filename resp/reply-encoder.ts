/**
 * Encodes replies for one connection, RESP2 or RESP3 per reply (HELLO can
 * switch mid-pipeline). The replies of one event-loop turn accumulate and
 * `take()` hands them over as the chunks of one socket write: small replies
 * are copied into a slab, large bulk values (16 KB and up) are passed by
 * reference, so a big GET costs no copy here. A slab is append-only: bytes
 * handed out are never written again, so they stay valid until the socket
 * is done with them.
 *
 * RESP2 degradations, as Redis makes them: map -> flat array, set and push ->
 * array, double -> bulk string, bool -> integer 1/0, null -> $-1, null array
 * -> *-1, verbatim -> bulk string of its text.
 */
import { formatDouble } from './format-double.js';
import type { Reply } from './reply.js';

/** Values at least this large are written by reference, not copied. */
export const BY_REFERENCE_MIN = 16 * 1024;
const SLAB_MIN = 4 * 1024;
const SLAB_MAX = 64 * 1024;
/** Room for a prefix, a 64-bit integer and CRLF. */
const HEADER_ROOM = 24;
const EMPTY = Buffer.alloc(0);
const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

const NULL_BULK2 = Buffer.from('$-1\r\n');
const NULL_ARRAY2 = Buffer.from('*-1\r\n');
const NULL3 = Buffer.from('_\r\n');
const TRUE3 = Buffer.from('#t\r\n');
const FALSE3 = Buffer.from('#f\r\n');
const ONE2 = Buffer.from(':1\r\n');
const ZERO2 = Buffer.from(':0\r\n');

export class ReplyEncoder {
  private slab: Buffer = EMPTY;
  private start = 0;
  private pos = 0;
  private nextSlabSize = SLAB_MIN;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;

  /**
   * Appends one reply. Bulk Buffers of BY_REFERENCE_MIN bytes or more are
   * kept by reference until written: the caller must not change them.
   */
  write(reply: Reply, protocol: 2 | 3): void {
    this.encode(reply, protocol === 3);
  }

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.chunkBytes + this.pos - this.start;
  }

  /** The encoded bytes since the last take, in order, for one socket write. */
  take(): Buffer[] {
    this.cut();
    const out = this.chunks;
    this.chunks = [];
    this.chunkBytes = 0;
    this.nextSlabSize = SLAB_MIN;
    return out;
  }

  private encode(r: Reply, resp3: boolean): void {
    switch (r.t) {
      case 'raw':
        this.bytes(r.v);
        break;
      case 'simple':
        this.line(0x2b, r.v);
        break;
      case 'error':
        this.line(0x2d, r.v);
        break;
      case 'int':
        this.room(HEADER_ROOM);
        this.slab[this.pos++] = 0x3a;
        this.integer(r.v);
        this.crlf();
        break;
      case 'bulk':
        if (typeof r.v === 'string') this.bulkString(r.v);
        else this.bulkBytes(r.v);
        break;
      case 'null':
        this.bytes(resp3 ? NULL3 : NULL_BULK2);
        break;
      case 'nullarray':
        this.bytes(resp3 ? NULL3 : NULL_ARRAY2);
        break;
      case 'array':
        this.aggregate(0x2a, r.v, resp3);
        break;
      case 'set':
        this.aggregate(resp3 ? 0x7e : 0x2a, r.v, resp3);
        break;
      case 'push':
        this.aggregate(resp3 ? 0x3e : 0x2a, r.v, resp3);
        break;
      case 'map':
        this.header(resp3 ? 0x25 : 0x2a, resp3 ? r.v.length : r.v.length * 2);
        for (const [k, v] of r.v) {
          this.encode(k, resp3);
          this.encode(v, resp3);
        }
        break;
      case 'double':
        if (resp3) this.line(0x2c, formatDouble(r.v));
        else this.bulkString(formatDouble(r.v));
        break;
      case 'bool':
        if (resp3) this.bytes(r.v ? TRUE3 : FALSE3);
        else this.bytes(r.v ? ONE2 : ZERO2);
        break;
      case 'verbatim':
        if (resp3) this.verbatim(r.format, r.v);
        else this.bulkString(r.v);
        break;
    }
  }

  private aggregate(prefix: number, items: readonly Reply[], resp3: boolean): void {
    this.header(prefix, items.length);
    for (const item of items) this.encode(item, resp3);
  }

  private header(prefix: number, n: number): void {
    this.room(HEADER_ROOM);
    this.slab[this.pos++] = prefix;
    this.integer(n);
    this.crlf();
  }

  /** Writes an integer's digits; room for them must be there. */
  private integer(n: number | bigint): void {
    if (typeof n === 'number' && Number.isSafeInteger(n)) {
      const slab = this.slab;
      let v = n;
      if (v < 0) {
        slab[this.pos++] = 0x2d;
        v = -v;
      }
      let digits = 1;
      for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
      let p = this.pos + digits;
      this.pos = p;
      do {
        const q = Math.floor(v / 10);
        slab[--p] = 0x30 + (v - q * 10);
        v = q;
      } while (v > 0);
      return;
    }
    if (typeof n === 'number' && !Number.isInteger(n)) throw new TypeError(`not an integer reply: ${n}`);
    const digits = BigInt(n).toString();
    // Past 64 bits the header room may not do; a new slab continues the reply.
    this.room(digits.length + 2);
    this.pos += this.slab.write(digits, this.pos, 'latin1');
  }

  private bulkString(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    if (len >= BY_REFERENCE_MIN) {
      this.bulkBytes(Buffer.from(s, 'utf8'));
      return;
    }
    this.room(HEADER_ROOM + len + 2);
    this.slab[this.pos++] = 0x24;
    this.integer(len);
    this.crlf();
    this.pos += this.slab.write(s, this.pos, 'utf8');
    this.crlf();
  }

  private bulkBytes(v: Buffer): void {
    // A small reply never straddles two slabs: one reply, one chunk, one socket write.
    if (v.length < BY_REFERENCE_MIN) this.room(HEADER_ROOM + v.length + 2);
    this.header(0x24, v.length);
    this.bytes(v);
    this.room(2);
    this.crlf();
  }

  private verbatim(format: string, text: string): void {
    const body = `${format}:${text}`;
    const len = Buffer.byteLength(body, 'utf8');
    this.header(0x3d, len);
    if (len >= BY_REFERENCE_MIN) this.bytes(Buffer.from(body, 'utf8'));
    else {
      this.room(len);
      this.pos += this.slab.write(body, this.pos, 'utf8');
    }
    this.room(2);
    this.crlf();
  }

  /**
   * A one-line reply (+, -, ,): CR and LF cannot appear in it, so they become
   * spaces. Its text is a byte string when every char is below U+0100 (how
   * error texts quote client bytes, read with toString('latin1')), so each
   * char is one byte, as Redis sends them; any other text goes as UTF-8.
   */
  private line(prefix: number, text: string): void {
    const s = oneLine(text);
    const latin1 = !BEYOND_LATIN1.test(s);
    this.room((latin1 ? s.length : Buffer.byteLength(s, 'utf8')) + 3);
    this.slab[this.pos++] = prefix;
    this.pos += this.slab.write(s, this.pos, latin1 ? 'latin1' : 'utf8');
    this.crlf();
  }

  private bytes(v: Buffer): void {
    if (v.length >= BY_REFERENCE_MIN) {
      this.cut();
      this.chunks.push(v);
      this.chunkBytes += v.length;
      return;
    }
    this.room(v.length);
    v.copy(this.slab, this.pos);
    this.pos += v.length;
  }

  private crlf(): void {
    this.slab[this.pos++] = 13;
    this.slab[this.pos++] = 10;
  }

  private room(n: number): void {
    if (this.pos + n <= this.slab.length) return;
    this.cut();
    this.slab = Buffer.allocUnsafeSlow(Math.max(n, this.nextSlabSize));
    this.nextSlabSize = Math.min(SLAB_MAX, this.nextSlabSize * 2);
    this.start = this.pos = 0;
  }

  /** Closes the slab's pending bytes into a chunk. */
  private cut(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.slab.subarray(this.start, this.pos));
      this.chunkBytes += this.pos - this.start;
      this.start = this.pos;
    }
  }
}

/**
 * Redis's treatment of error texts (addReplyErrorFormat): CR and LF at either
 * end are trimmed, any others become spaces.
 */
export function oneLine(text: string): string {
  if (!/[\r\n]/.test(text)) return text;
  return text.replace(/^[\r\n]+|[\r\n]+$/g, '').replace(/[\r\n]/g, ' ');
}

/** One reply as one Buffer: for tests and one-off writes. */
export function encodeReply(reply: Reply, protocol: 2 | 3): Buffer {
  const encoder = new ReplyEncoder();
  encoder.write(reply, protocol);
  const parts = encoder.take();
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
