/**
 * A header or inline line that arrived split across chunks, gathered until
 * its terminator comes. Its size is bounded by the caller (the line limit is
 * checked before bytes are added); a buffer grown large for one long line is
 * let go once that line is done, so an idle connection keeps little.
 */
const KEEP_MAX = 4096;

export class LineBuffer {
  /** Bytes gathered so far. */
  length = 0;
  private buf: Buffer | null = null;

  append(src: Buffer, start: number, end: number): void {
    const need = this.length + end - start;
    let buf = this.buf;
    if (buf === null || need > buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(256, need * 2));
      if (buf !== null) buf.copy(grown, 0, 0, this.length);
      this.buf = buf = grown;
    }
    src.copy(buf, this.length, start, end);
    this.length = need;
  }

  /**
   * Adds the line's last part and returns the whole line, which stays valid
   * until the next append; the buffer is then empty.
   */
  finish(src: Buffer, start: number, end: number): Buffer {
    this.append(src, start, end);
    const line = this.buf!.subarray(0, this.length);
    this.length = 0;
    if (this.buf!.length > KEEP_MAX) this.buf = null;
    return line;
  }

  clear(): void {
    this.length = 0;
    this.buf = null;
  }
}
