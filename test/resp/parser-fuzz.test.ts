/**
 * Seeded fuzzing of the request parser: valid request streams, mutated ones
 * and plain garbage, each fed whole and in random chunks. Whatever comes in,
 * the parser throws nothing but ProtocolError, returns only well-formed
 * requests, holds no more than the limits allow, and ends the same way
 * however the input was cut.
 */
import t, { type Test } from 'tap';
import { ProtocolError, RequestParser, type ParserLimits } from '../../resp/index.js';
import { SeededRng } from '../../src/core/rng.js';
import { bytewise, randomChunks } from './feed-ways.js';

const LIMITS: ParserLimits = {
  maxMultibulkLength: 40,
  maxBulkLength: 3000,
  maxInlineLength: 400,
  maxQueryBufferBytes: 6000,
  argumentOverheadBytes: 0,
  unauthMaxMultibulkLength: 10,
  unauthMaxBulkLength: 200,
};

/** Bytes that matter to the grammar, more often than chance would pick them. */
const INTERESTING = Buffer.from('\r\n\0*$"\' \\\t\x0bx-0123456789abcAZ\xff', 'latin1');

interface Result {
  commands: Buffer[][];
  error: string | null;
  maxBuffered: number;
}

function run(chunks: readonly Buffer[], authenticated: boolean): Result {
  const parser = new RequestParser(LIMITS);
  parser.authenticated = authenticated;
  const res: Result = { commands: [], error: null, maxBuffered: 0 };
  for (const chunk of chunks) {
    try {
      res.commands.push(...parser.feed(Buffer.from(chunk)));
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      res.commands.push(...e.commands);
      res.error = e.message;
      return res;
    }
    res.maxBuffered = Math.max(res.maxBuffered, parser.bufferedBytes());
  }
  return res;
}

const fingerprint = (r: Result): string =>
  JSON.stringify([r.error, r.commands.map((argv) => argv.map((a) => a.toString('hex')))]);

function randomBytes(rng: SeededRng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(3) === 0 ? INTERESTING[rng.int(INTERESTING.length)]! : rng.int(256);
  return b;
}

function randomArg(rng: SeededRng): Buffer {
  const r = rng.int(20);
  const n = r === 0 ? 0 : r < 16 ? rng.int(12) : r < 19 ? rng.int(300) : rng.int(2500);
  return randomBytes(rng, n);
}

function multibulk(args: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** An inline line that splits back into `args`: double-quoted with \xHH escapes. */
function inline(args: readonly Buffer[]): Buffer {
  const words = args.map((a) => {
    let plain = a.length > 0;
    // A line starting with '*' would be read as multibulk.
    for (const c of a) if (c <= 0x20 || c === 0x22 || c === 0x27 || c === 0x5c || c === 0x2a || c >= 0x7f) plain = false;
    if (plain) return a.toString('latin1');
    return `"${[...a].map((c) => `\\x${c.toString(16).padStart(2, '0')}`).join('')}"`;
  });
  return Buffer.from(`${words.join(' ')}\r\n`, 'latin1');
}

/** A stream of requests within the limits, and the requests it holds. */
function validStream(rng: SeededRng): { input: Buffer; commands: Buffer[][] } {
  const parts: Buffer[] = [];
  const commands: Buffer[][] = [];
  const count = 1 + rng.int(12);
  for (let i = 0; i < count; i++) {
    const kind = rng.int(10);
    if (kind === 0) {
      parts.push(Buffer.from(rng.int(2) === 0 ? '*0\r\n' : '\r\n'));
      continue;
    }
    const args = Array.from({ length: 1 + rng.int(6) }, () => randomArg(rng));
    while (args.length > 1 && multibulk(args).length > LIMITS.maxQueryBufferBytes) args.pop();
    const line = inline(args);
    parts.push(kind <= 3 && line.length - 2 <= LIMITS.maxInlineLength ? line : multibulk(args));
    commands.push(args);
  }
  return { input: Buffer.concat(parts), commands };
}

function mutate(rng: SeededRng, input: Buffer): Buffer {
  let b = input;
  for (let m = 1 + rng.int(3); m > 0; m--) {
    const at = rng.int(b.length + 1);
    switch (rng.int(5)) {
      case 0: // change a byte
        b = Buffer.concat([b.subarray(0, at), randomBytes(rng, 1), b.subarray(at + 1)]);
        break;
      case 1: // drop a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rng.int(8))]);
        break;
      case 2: // insert junk
        b = Buffer.concat([b.subarray(0, at), randomBytes(rng, 1 + rng.int(6)), b.subarray(at)]);
        break;
      case 3: // insert a header
        b = Buffer.concat([b.subarray(0, at), Buffer.from(rng.int(2) ? `*${rng.int(60) - 5}\r\n` : `$${rng.int(4000) - 5}\r\n`), b.subarray(at)]);
        break;
      default: // cut short
        b = b.subarray(0, at);
    }
  }
  return b;
}

function check(t: Test, input: Buffer, rng: SeededRng, withBytewise: boolean, authenticated: boolean): Result | null {
  const whole = run([input], authenticated);
  const ways = [randomChunks(input, rng, 7), randomChunks(input, rng, 600)];
  if (withBytewise) ways.push(bytewise(input));
  const fp = fingerprint(whole);
  for (const chunks of ways) {
    const other = run(chunks, authenticated);
    if (fingerprint(other) !== fp) {
      t.fail(`chunking changed the outcome of ${input.toString('hex').slice(0, 200)}`);
      return null;
    }
    if (other.maxBuffered > LIMITS.maxQueryBufferBytes) {
      t.fail(`held ${other.maxBuffered} bytes`);
      return null;
    }
  }
  for (const argv of whole.commands) {
    const ok =
      argv.length > 0 &&
      argv.length <= Math.max(LIMITS.maxMultibulkLength, LIMITS.maxInlineLength) &&
      argv.every((a) => Buffer.isBuffer(a) && a.length <= Math.max(LIMITS.maxBulkLength, LIMITS.maxInlineLength));
    if (!ok) {
      t.fail('a malformed request came out');
      return null;
    }
  }
  return whole;
}

t.test('valid streams parse to what they hold', async (t) => {
  const rng = new SeededRng(20240601);
  let cases = 0;
  for (let i = 0; i < 400; i++) {
    const { input, commands } = validStream(rng);
    const res = check(t, input, rng, i % 20 === 0, true);
    if (res === null) return;
    if (res.error !== null || fingerprint(res) !== fingerprint({ commands, error: null, maxBuffered: 0 })) {
      t.fail(`valid stream misread: ${res.error} ${input.toString('hex').slice(0, 200)}`);
      return;
    }
    cases++;
  }
  t.equal(cases, 400);
});

t.test('mutated streams and garbage never break the parser', async (t) => {
  const rng = new SeededRng(77);
  const errors = new Map<string, number>();
  let clean = 0;
  for (let i = 0; i < 1000; i++) {
    const base = validStream(rng).input;
    const input =
      i % 6 === 5
        ? randomBytes(rng, 1 + rng.int(3000))
        : i % 6 === 4
          ? mutate(rng, multibulk(Array.from({ length: 3 + rng.int(30) }, () => randomBytes(rng, rng.int(LIMITS.maxBulkLength)))))
          : mutate(rng, base);
    const res = check(t, input, rng, i % 25 === 0, i % 4 !== 0);
    if (res === null) return;
    if (res.error === null) clean++;
    else errors.set(res.error, (errors.get(res.error) ?? 0) + 1);
  }
  // The mutations reach most of the error paths.
  const kinds = [...errors.keys()].map((e) => e.replace(/got '.*'$/s, "got '?'"));
  t.ok(new Set(kinds).size >= 9, `error kinds seen: ${[...new Set(kinds)].join(' | ')}`);
  t.ok(clean > 0, 'some mutated streams still parse');
});
