/**
 * Feeds one input to fresh parsers in several ways (whole, byte by byte, and
 * in seeded random chunks) and checks that every way ends the same.
 */
import { ProtocolError, RequestParser, type ParserLimits } from '../../resp/index.js';
import { SeededRng } from '../../src/core/rng.js';

export interface Outcome {
  /** Each request's arguments as latin1 strings. */
  commands: string[][];
  /** The error's message, or null when the input ran out without one. */
  error: string | null;
  silent: boolean;
  /** Bytes held after the last feed that did not throw. */
  buffered: number;
  /** The most bytes held after any feed. */
  maxBuffered: number;
}

export interface FeedOptions {
  limits?: Partial<ParserLimits>;
  /** Defaults to true: most cases are about the full limits. */
  authenticated?: boolean;
}

export const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

export function feedChunks(chunks: readonly Buffer[], opts: FeedOptions = {}): Outcome {
  const parser = new RequestParser(opts.limits);
  parser.authenticated = opts.authenticated ?? true;
  const out: Outcome = { commands: [], error: null, silent: false, buffered: 0, maxBuffered: 0 };
  for (const chunk of chunks) {
    try {
      for (const argv of parser.feed(chunk)) out.commands.push(argv.map((a) => a.toString('latin1')));
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      for (const argv of e.commands) out.commands.push(argv.map((a) => a.toString('latin1')));
      out.error = e.message;
      out.silent = e.silent;
      return out;
    }
    out.buffered = parser.bufferedBytes();
    out.maxBuffered = Math.max(out.maxBuffered, out.buffered);
  }
  return out;
}

export function randomChunks(input: Buffer, rng: SeededRng, maxSize: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < input.length; ) {
    const n = 1 + rng.int(maxSize);
    chunks.push(input.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

export function bytewise(input: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i++) chunks.push(input.subarray(i, i + 1));
  return chunks;
}

/**
 * The outcome of feeding `input` whole, plus a list of the ways whose outcome
 * differs from it (empty when all agree). Chunks are copies, so no parser can
 * lean on memory shared between them.
 */
export function feedEveryWay(
  input: Buffer | string,
  opts: FeedOptions = {},
  seed = 1,
): { whole: Outcome; disagreements: string[] } {
  const bytes = typeof input === 'string' ? latin1(input) : input;
  const copy = (chunks: Buffer[]): Buffer[] => chunks.map((c) => Buffer.from(c));
  const whole = feedChunks([Buffer.from(bytes)], opts);
  const rng = new SeededRng(seed);
  const ways: [string, Buffer[]][] = [
    ['bytewise', bytewise(bytes)],
    ['chunks<=3', randomChunks(bytes, rng, 3)],
    ['chunks<=17', randomChunks(bytes, rng, 17)],
    ['chunks<=4096', randomChunks(bytes, rng, 4096)],
  ];
  const disagreements: string[] = [];
  for (const [name, chunks] of ways) {
    const o = feedChunks(copy(chunks), opts);
    const same =
      o.error === whole.error &&
      o.silent === whole.silent &&
      JSON.stringify(o.commands) === JSON.stringify(whole.commands) &&
      (whole.error !== null || o.buffered === whole.buffered);
    if (!same) disagreements.push(`${name}: ${JSON.stringify({ error: o.error, commands: o.commands.slice(0, 5), buffered: o.buffered })}`);
  }
  return { whole, disagreements };
}
