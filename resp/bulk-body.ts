/**
 * The bytes of one bulk argument that arrives over several chunks. Each byte
 * is copied once into the finished argument: a small value goes straight into
 * a buffer of its final size; a large one keeps references to the chunks it
 * came in and is joined when complete, so memory follows what has arrived,
 * never what the length header promised. Slivers are gathered into a staging
 * buffer first, so a client that trickles bytes costs no more than a
 * Buffer per 16 KB.
 */
const PREALLOC_MAX = 64 * 1024;
const REFERENCE_MIN = 16 * 1024;
const STAGE_SIZE = 64 * 1024;

export class BulkBody {
  private length = 0;
  private whole: Buffer | null = null;
  private pieces: Buffer[] = [];
  private stage: Buffer | null = null;
  private stageStart = 0;
  private stageEnd = 0;

  /** Starts a value of `length` bytes. */
  begin(length: number): void {
    this.length = length;
  }

  /** Adds src[start, end), which lands at byte `offset` of the value. */
  add(src: Buffer, start: number, end: number, offset: number): void {
    const n = end - start;
    if (this.length <= PREALLOC_MAX) {
      this.whole ??= Buffer.allocUnsafe(this.length);
      src.copy(this.whole, offset, start, end);
      return;
    }
    if (n >= REFERENCE_MIN) {
      this.flushStage();
      // The chunk is the caller's and is never written again: a view is safe.
      this.pieces.push(src.subarray(start, end));
      return;
    }
    if (this.stage === null || this.stageEnd + n > this.stage.length) {
      this.flushStage();
      this.stage = Buffer.allocUnsafeSlow(Math.min(STAGE_SIZE, this.length - offset));
      this.stageStart = this.stageEnd = 0;
    }
    src.copy(this.stage, this.stageEnd, start, end);
    this.stageEnd += n;
  }

  /** The finished value; the body is ready for the next one. */
  finish(): Buffer {
    let out: Buffer;
    if (this.whole !== null) out = this.whole;
    else if (this.length === 0) out = Buffer.alloc(0);
    else {
      this.flushStage();
      out = Buffer.concat(this.pieces, this.length);
    }
    this.reset();
    return out;
  }

  reset(): void {
    this.whole = null;
    this.pieces = [];
    this.stage = null;
    this.stageStart = this.stageEnd = 0;
    this.length = 0;
  }

  private flushStage(): void {
    if (this.stage !== null && this.stageEnd > this.stageStart) {
      this.pieces.push(this.stage.subarray(this.stageStart, this.stageEnd));
      this.stageStart = this.stageEnd;
    }
  }
}
