/**
 * An incremental parser for client requests: RESP multibulk
 * (`*<n>\r\n$<len>\r\n<bytes>\r\n...`) and inline commands (`PING\r\n`),
 * behaving as Redis 7's processMultibulkBuffer and processInlineBuffer do,
 * down to the error texts and their quirks:
 *  - a request starting with '*' is multibulk, anything else inline;
 *  - `*0`, `*-1` and other counts below one are empty requests, skipped, as
 *    are empty inline lines;
 *  - a header line ends at its first CR, and the byte after it is skipped
 *    unseen; so are the two bytes after a bulk value;
 *  - a header or inline line holding a NUL byte never completes (Redis looks
 *    for its terminator with strchr) and becomes "too big" once past the
 *    line limit.
 * Each chunk is scanned once: state carries over between chunks, so a value
 * arriving in many pieces is never rescanned nor copied more than once.
 * Limits are checked on byte counts that do not depend on how the input was
 * chunked, so a stream fails, or not, the same way however it arrives.
 */
import { BulkBody } from './bulk-body.js';
import { splitInlineArgs } from './inline-args.js';
import { LineBuffer } from './line-buffer.js';
import { resolveLimits, type ParserLimits } from './limits.js';
import {
  ProtocolError,
  PROTO_INVALID_BULK,
  PROTO_INVALID_MULTIBULK,
  PROTO_TOO_BIG_BULK,
  PROTO_TOO_BIG_INLINE,
  PROTO_TOO_BIG_MBULK,
  PROTO_UNAUTH_BULK,
  PROTO_UNAUTH_MULTIBULK,
  PROTO_UNBALANCED_QUOTES,
  QUERY_BUFFER_LIMIT,
  protoExpectedDollar,
} from './protocol-error.js';
import { parseRedisInt } from './redis-int.js';

// Local names for the texts passed around on every header: reading an
// imported binding costs a property lookup each time once transpiled.
const TOO_BIG_MBULK = PROTO_TOO_BIG_MBULK;
const TOO_BIG_BULK = PROTO_TOO_BIG_BULK;
const TOO_BIG_INLINE = PROTO_TOO_BIG_INLINE;

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;
const EMPTY = Buffer.alloc(0);

// What the parser is reading now.
const START = 0; // the first byte of a request
const COUNT = 1; // the `*<n>` line
const BULK_HEADER = 2; // a `$<len>` line
const BODY = 3; // a bulk value and the two bytes after it
const INLINE = 4; // an inline line
const STUCK = 5; // a line with a NUL byte: counted until it is too big

export class RequestParser {
  /**
   * Whether the client has authenticated. The small unauthenticated limits
   * apply while false; a server with no password should set it true at once (Redis
   * applies them only while authentication is required).
   */
  authenticated = false;

  private readonly limits: ParserLimits;
  private readonly maxQueryBuffer: number;
  private readonly maxLine: number;
  private failure: ProtocolError | null = null;

  // Input: the chunk being read, and chunks pushed after it.
  private chunk: Buffer = EMPTY;
  private pos = 0;
  private queue: Buffer[] = [];
  private queueHead = 0;
  private queueBytes = 0;

  // The request being read.
  private state = START;
  private args: Buffer[] = [];
  private argsLeft = 0;
  private bulkLen = 0;
  /** Bytes of this request consumed so far, and where the current token began. */
  private requestBytes = 0;
  private tokenStart = 0;
  /** What this request's arguments cost beyond their wire bytes (argumentOverheadBytes each), counted against the query buffer bound. */
  private argumentCharge = 0;
  private readonly body = new BulkBody();

  // A header or inline line split across chunks.
  private readonly line = new LineBuffer();
  /** The header line's CR has been read; the byte after it has not. */
  private crSeen = false;
  private lineFirst = 0;
  private lineValue: number | null = null;
  private stuckText = '';

  constructor(limits: Partial<ParserLimits> = {}) {
    this.limits = resolveLimits(limits);
    this.maxQueryBuffer = this.limits.maxQueryBufferBytes;
    this.maxLine = this.limits.maxInlineLength;
  }

  /**
   * Parses what `chunk` completes: every whole request so far, each an array
   * of arguments (name first). Takes ownership of `chunk`: the caller must
   * not change it afterwards (socket chunks never are). Throws ProtocolError
   * on bad input, carrying the requests that preceded it in `commands`; the
   * parser refuses everything after that.
   */
  feed(chunk: Buffer): Buffer[][] {
    this.push(chunk);
    const out: Buffer[][] = [];
    for (;;) {
      let argv: Buffer[] | null;
      try {
        argv = this.next();
      } catch (e) {
        if (e instanceof ProtocolError) e.commands = out;
        throw e;
      }
      if (argv === null) return out;
      out.push(argv);
    }
  }

  /**
   * Queues input for `next()`, without parsing it. With push/next a server
   * can act on each request before the next is parsed, as Redis does (AUTH
   * lifts the unauthenticated limits for the requests pipelined after it).
   */
  push(chunk: Buffer): void {
    if (this.failure !== null) throw this.refusal();
    if (chunk.length === 0) return;
    if (this.pos >= this.chunk.length && this.queueHead === this.queue.length) {
      this.chunk = chunk;
      this.pos = 0;
    } else {
      this.queue.push(chunk);
      this.queueBytes += chunk.length;
    }
  }

  /** The next whole request from the pushed input, or null until more arrives. */
  next(): Buffer[] | null {
    if (this.failure !== null) throw this.refusal();
    try {
      return this.parse();
    } catch (e) {
      if (e instanceof ProtocolError) this.fail(e);
      throw e;
    }
  }

  /**
   * Bytes held for requests not yet returned: the part of an incomplete
   * request already read plus input pushed and not yet parsed. Redis's qbuf.
   */
  bufferedBytes(): number {
    return this.requestBytes + (this.chunk.length - this.pos) + this.queueBytes;
  }

  /** What this parser holds against the query buffer bound: bufferedBytes() plus the arguments' overhead. */
  heldBytes(): number {
    return this.bufferedBytes() + this.argumentCharge;
  }

  private parse(): Buffer[] | null {
    for (;;) {
      if (this.pos >= this.chunk.length && !this.nextChunk()) return null;
      switch (this.state) {
        case START:
          this.tokenStart = this.requestBytes;
          this.state = this.chunk[this.pos] === STAR ? COUNT : INLINE;
          break;
        case COUNT:
          if (this.plainHeader(STAR, TOO_BIG_MBULK) || this.readHeaderLine(STAR, TOO_BIG_MBULK)) this.startArgs();
          break;
        case BULK_HEADER:
          if (this.plainHeader(DOLLAR, TOO_BIG_BULK) || this.readHeaderLine(DOLLAR, TOO_BIG_BULK)) this.startBody();
          break;
        case BODY:
          if (this.readBody() && --this.argsLeft === 0) return this.finishRequest(this.args);
          break;
        case INLINE: {
          const argv = this.readInline();
          if (argv !== null && argv.length > 0) return argv;
          break;
        }
        default: // STUCK
          this.readStuck();
      }
    }
  }

  private startArgs(): void {
    const n = this.lineValue;
    if (n === null || n > this.limits.maxMultibulkLength) throw new ProtocolError(PROTO_INVALID_MULTIBULK);
    if (n > this.limits.unauthMaxMultibulkLength && !this.authenticated) {
      throw new ProtocolError(PROTO_UNAUTH_MULTIBULK);
    }
    if (n <= 0) {
      this.finishRequest(this.args);
      return;
    }
    this.argsLeft = n;
    this.state = BULK_HEADER;
    this.tokenStart = this.requestBytes;
  }

  private startBody(): void {
    if (this.lineFirst !== DOLLAR) throw new ProtocolError(protoExpectedDollar(this.lineFirst));
    const len = this.lineValue;
    if (len === null || len < 0 || len > this.limits.maxBulkLength) throw new ProtocolError(PROTO_INVALID_BULK);
    if (len > this.limits.unauthMaxBulkLength && !this.authenticated) throw new ProtocolError(PROTO_UNAUTH_BULK);
    this.bulkLen = len;
    this.state = BODY;
    this.chargeArgument();
    this.tokenStart = this.requestBytes;
  }

  /**
   * The common case of a header line, read without copying or searching: it
   * is all in this chunk, the byte after its CR included, and is the prefix
   * then one to nine digits without a leading zero. False, having read
   * nothing, for anything else (readHeaderLine then takes it, errors too).
   */
  private plainHeader(prefix: number, tooBig: string): boolean {
    const chunk = this.chunk;
    const start = this.pos;
    if (this.crSeen || this.line.length > 0 || chunk[start] !== prefix) return false;
    const end = Math.min(chunk.length - 1, start + 11);
    let p = start + 1;
    let v = 0;
    for (; p < end; p++) {
      const c = chunk[p]!;
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
    }
    const digits = p - start - 1;
    if (p >= end || chunk[p] !== CR || digits === 0 || (digits > 1 && chunk[start + 1] === 48)) return false;
    this.account(digits + 3, digits + 1, tooBig);
    this.pos = p + 2;
    this.lineFirst = prefix;
    this.lineValue = v;
    return true;
  }

  /**
   * Reads a `*<n>` or `$<len>` line up to its CR and the byte after it.
   * True when complete, with the line's first byte and number (null when not
   * one) in lineFirst/lineValue; false when the chunk ran out first.
   */
  private readHeaderLine(prefix: number, tooBig: string): boolean {
    const chunk = this.chunk;
    if (!this.crSeen) {
      const pos = this.pos;
      const cr = chunk.indexOf(CR, pos);
      if (cr === -1) {
        this.keepLinePart(chunk, pos, chunk.length, tooBig);
        return false;
      }
      this.account(cr - pos + 1, this.line.length + cr - pos, tooBig);
      let line = chunk;
      let start = pos;
      let end = cr;
      if (this.line.length > 0) {
        line = this.line.finish(chunk, pos, cr);
        start = 0;
        end = line.length;
      }
      this.pos = cr + 1;
      // An empty line's first byte, as Redis sees it, is the CR itself.
      this.lineFirst = end > start ? line[start]! : CR;
      this.lineValue = parseRedisInt(line, start + 1, end);
      if ((this.lineFirst !== prefix || this.lineValue === null) && line.subarray(start, end).includes(0)) {
        this.becomeStuck(tooBig);
        return false;
      }
      this.crSeen = true;
      if (this.pos >= chunk.length) return false;
    }
    this.account(1, 0, tooBig);
    this.pos++;
    this.crSeen = false;
    return true;
  }

  /** Reads (part of) a bulk value and the two bytes after it; true when complete. */
  private readBody(): boolean {
    const chunk = this.chunk;
    const pos = this.pos;
    const len = this.bulkLen;
    const got = this.requestBytes - this.tokenStart;
    if (got === 0 && chunk.length - pos >= len + 2) {
      this.account(len + 2, 0, '');
      this.args.push(copyOut(chunk, pos, pos + len));
      this.pos = pos + len + 2;
    } else {
      if (got === 0) this.body.begin(len);
      const n = Math.min(chunk.length - pos, len + 2 - got);
      this.account(n, 0, '');
      const valueBytes = Math.min(got + n, len) - got;
      if (valueBytes > 0) this.body.add(chunk, pos, pos + valueBytes, got);
      this.pos = pos + n;
      if (got + n < len + 2) return false;
      this.args.push(this.body.finish());
    }
    this.state = BULK_HEADER;
    this.tokenStart = this.requestBytes;
    return true;
  }

  /** Reads an inline line; its arguments (maybe none) when complete, else null. */
  private readInline(): Buffer[] | null {
    const chunk = this.chunk;
    const pos = this.pos;
    const lf = chunk.indexOf(LF, pos);
    if (lf === -1) {
      this.keepLinePart(chunk, pos, chunk.length, TOO_BIG_INLINE);
      return null;
    }
    this.account(lf - pos + 1, this.line.length + lf - pos, TOO_BIG_INLINE);
    let line = chunk;
    let start = pos;
    let end = lf;
    if (this.line.length > 0) {
      line = this.line.finish(chunk, pos, lf);
      start = 0;
      end = line.length;
    }
    this.pos = lf + 1;
    if (line.subarray(start, end).includes(0)) {
      this.becomeStuck(TOO_BIG_INLINE);
      return null;
    }
    if (end > start && line[end - 1] === CR) end--;
    const argv = splitInlineArgs(line, start, end);
    if (argv === null) throw new ProtocolError(PROTO_UNBALANCED_QUOTES);
    return this.finishRequest(argv);
  }

  /** A line that can never complete: count what arrives until it is too big. */
  private readStuck(): void {
    const n = this.chunk.length - this.pos;
    this.account(n, this.requestBytes + n - this.tokenStart, this.stuckText);
    this.pos = this.chunk.length;
  }

  private becomeStuck(tooBig: string): void {
    this.state = STUCK;
    this.stuckText = tooBig;
    this.account(0, this.requestBytes - this.tokenStart, tooBig);
  }

  private finishRequest(argv: Buffer[]): Buffer[] {
    this.args = [];
    this.argsLeft = 0;
    this.requestBytes = 0;
    this.argumentCharge = 0;
    this.tokenStart = 0;
    this.state = START;
    return argv;
  }

  /**
   * Counts n more bytes of the current token against the limits, before they
   * are kept. `lineBytes` is how much of the token is a line still bound by
   * maxInlineLength (0 for none). When both limits are passed, the one that
   * a byte-by-byte feed would have hit first wins, so the outcome does not
   * depend on chunking.
   */
  private account(n: number, lineBytes: number, tooBig: string): void {
    const after = this.requestBytes + n;
    if (after + this.argumentCharge <= this.maxQueryBuffer && lineBytes <= this.maxLine) this.requestBytes = after;
    else this.overLimit(after + this.argumentCharge, lineBytes, tooBig);
  }

  /** One more argument is about to be held: its overhead counts against the query buffer bound at once. */
  private chargeArgument(): void {
    this.argumentCharge += this.limits.argumentOverheadBytes;
    if (this.requestBytes + this.argumentCharge > this.maxQueryBuffer) throw new ProtocolError(QUERY_BUFFER_LIMIT, true);
  }

  private overLimit(after: number, lineBytes: number, tooBig: string): never {
    const { maxQueryBuffer, maxLine } = this;
    const bufferFirst = maxQueryBuffer - this.argumentCharge - this.tokenStart <= maxLine;
    if (after > maxQueryBuffer && (lineBytes <= maxLine || bufferFirst)) {
      throw new ProtocolError(QUERY_BUFFER_LIMIT, true);
    }
    throw new ProtocolError(tooBig);
  }

  private keepLinePart(chunk: Buffer, start: number, end: number, tooBig: string): void {
    this.account(end - start, this.line.length + end - start, tooBig);
    this.line.append(chunk, start, end);
    this.pos = end;
  }

  private nextChunk(): boolean {
    if (this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = EMPTY;
      this.queueBytes -= next.length;
      this.chunk = next;
      this.pos = 0;
      return true;
    }
    if (this.queue.length > 0) {
      this.queue = [];
      this.queueHead = 0;
    }
    // Let go of the spent chunk: an idle connection keeps nothing.
    this.chunk = EMPTY;
    this.pos = 0;
    return false;
  }

  private fail(e: ProtocolError): void {
    this.failure = e;
    this.chunk = EMPTY;
    this.pos = 0;
    this.queue = [];
    this.queueHead = 0;
    this.queueBytes = 0;
    this.args = [];
    this.requestBytes = 0;
    this.argumentCharge = 0;
    this.line.clear();
    this.body.reset();
  }

  private refusal(): ProtocolError {
    const f = this.failure!;
    return new ProtocolError(f.message, f.silent);
  }
}

/**
 * A copy of src[start, end) that shares memory with nothing the parser reuses.
 * Short arguments (most keys and small values) are copied byte by byte:
 * below about 32 bytes that beats Buffer#copy's fixed cost.
 */
function copyOut(src: Buffer, start: number, end: number): Buffer {
  const n = end - start;
  const out = Buffer.allocUnsafe(n);
  if (n < 32) for (let i = 0; i < n; i++) out[i] = src[start + i]!;
  else src.copy(out, 0, start, end);
  return out;
}
