import { QkvError } from '../core/errors.js';

/**
 * The byte writer and reader of the versioning codecs (records, contexts,
 * counter states): hand-rolled varints, because they run on every read and
 * write and a generic codec would store field names per record.
 */
export class Writer {
  private buf: Buffer;
  pos = 0;

  /** sizeHint: the expected size, so a record is encoded without growing (and copying) the buffer. */
  constructor(sizeHint = 64) {
    this.buf = Buffer.allocUnsafe(Math.max(16, sizeHint));
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  bytes(b: Buffer): void {
    this.varint(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** b as it is, with no length before it (a piece encoded earlier). */
  raw(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw corrupt('truncated');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw corrupt('number too large');
        return result;
      }
      mul *= 0x80;
    }
    throw corrupt('varint too long');
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  bytes(): Buffer {
    const n = this.varint();
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  atEnd(): boolean {
    return this.pos === this.buf.length;
  }
}

export function corrupt(why: string): QkvError {
  return new QkvError('ERR', `corrupt version data: ${why}`);
}

