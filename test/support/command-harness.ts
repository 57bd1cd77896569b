import { ManualClock } from '../../src/core/clock.js';
import { isQkvError } from '../../src/core/errors.js';
import { SeededRng } from '../../src/core/rng.js';
import { dynamoCommands } from '../../src/commands/dynamo.js';
import { ERR_WRONG_ARITY } from '../../src/commands/errors.js';
import { expiryCommands } from '../../src/commands/expiry.js';
import { hashCommands } from '../../src/commands/hashes.js';
import { keyCommands } from '../../src/commands/keys.js';
import { setCommands } from '../../src/commands/sets.js';
import { stringMathCommands } from '../../src/commands/string-math.js';
import { stringRangeCommands } from '../../src/commands/string-ranges.js';
import { stringCommands } from '../../src/commands/strings.js';
import type { CommandContext, CommandSpec, CommandTable, ServerApi, Session } from '../../src/commands/types.js';
import type { Reply } from '../../resp/reply.js';
import { MemoryKv } from './memory-kv.js';

/**
 * A CommandContext over a MemoryKv, a ManualClock and a SeededRng, and a
 * `run` that dispatches like the real table (lower-cased lookup, Redis's
 * wrong-arity text, handler gets the arguments after the name), so command
 * tests read like redis-cli sessions.
 */
export const dataCommands: readonly CommandSpec[] = [
  ...stringCommands,
  ...stringMathCommands,
  ...stringRangeCommands,
  ...keyCommands,
  ...expiryCommands,
  ...dynamoCommands,
];

/** Hashes and sets: in the harness's table too, but not in dataCommands (checked against Redis's COMMAND INFO for strings and keys). */
export const collectionCommands: readonly CommandSpec[] = [...hashCommands, ...setCommands];

export interface Harness {
  readonly ctx: CommandContext;
  readonly kv: MemoryKv;
  readonly clock: ManualClock;
  readonly rng: SeededRng;
  readonly limits: { maxKeyBytes: number; maxValueBytes: number; maxCollectionMembers: number };
  /** Runs a command and returns its reply as plain values (see plain()). */
  (name: string, ...args: Array<string | Buffer>): Promise<Plain>;
}

export type Plain = string | number | bigint | null | { error: string } | Plain[];

function table(specs: readonly CommandSpec[]): CommandTable {
  const byName = new Map(specs.map((s) => [s.name, s]));
  return { lookup: (name) => byName.get(name), all: () => specs };
}

export function makeHarness(opts: { n?: number; r?: number; w?: number; seed?: number; maxKeyBytes?: number; maxValueBytes?: number; maxCollectionMembers?: number } = {}): Harness {
  const clock = new ManualClock();
  const rng = new SeededRng(opts.seed ?? 1);
  const kv = new MemoryKv(clock, opts);
  const limits = { maxKeyBytes: opts.maxKeyBytes ?? 256, maxValueBytes: opts.maxValueBytes ?? 1048576, maxCollectionMembers: opts.maxCollectionMembers ?? 10000 };
  const session: Session = {
    id: 1,
    protocol: 2,
    authenticated: true,
    name: '',
    libName: '',
    libVersion: '',
    remoteAddress: '127.0.0.1:50000',
    localAddress: '127.0.0.1:6379',
    createdAt: clock.now(),
    lastCommand: '',
    closeAfterReply: false,
  };
  const server: ServerApi = {
    nodeId: 'test-node',
    version: '0.1.0',
    startedAt: clock.now(),
    tcpPort: 6379,
    requirePass: () => null,
    clients: () => [],
    killClient: () => false,
    config: () => [],
    configSet: () => undefined,
    info: () => [],
  };
  const ctx: CommandContext = { kv, session, server, clock, rng, table: table([...dataCommands, ...collectionCommands]), limits };
  const h = (async (name: string, ...args: Array<string | Buffer>) => plain(await run(ctx, name, ...args))) as Harness;
  return Object.assign(h, { ctx, kv, clock, rng, limits });
}

/** Dispatches one command: its Reply, or the error text a client would see after '-'. */
export async function run(ctx: CommandContext, name: string, ...args: Array<string | Buffer>): Promise<Reply | string> {
  const lower = name.toLowerCase();
  const spec = ctx.table.lookup(lower);
  if (!spec) throw new Error(`no such command in the data tables: ${name}`);
  const argc = args.length + 1;
  if (spec.arity >= 0 ? argc !== spec.arity : argc < -spec.arity) return ERR_WRONG_ARITY(lower);
  try {
    return await spec.handler(ctx, args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)));
  } catch (e) {
    if (isQkvError(e)) return e.toReplyText();
    throw e;
  }
}

/** A reply as plain JS: bulk/simple -> string, int -> number, nil -> null, arrays and sets -> arrays, maps -> flat arrays (as RESP2 sends them), errors -> {error}. */
export function plain(r: Reply | string): Plain {
  if (typeof r === 'string') return { error: r };
  switch (r.t) {
    case 'raw': {
      const text = r.v.toString('latin1');
      if (text.startsWith('+')) return text.slice(1, -2);
      if (text.startsWith(':')) return Number(text.slice(1, -2));
      throw new Error(`unexpected raw reply ${JSON.stringify(text)}`);
    }
    case 'simple':
      return r.v;
    case 'bulk':
      return typeof r.v === 'string' ? r.v : r.v.toString('utf8');
    case 'int':
      return typeof r.v === 'bigint' && r.v >= BigInt(Number.MIN_SAFE_INTEGER) && r.v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(r.v) : r.v;
    case 'null':
    case 'nullarray':
      return null;
    case 'array':
    case 'set':
      return r.v.map((x) => plain(x));
    case 'map':
      return r.v.flatMap(([k, v]) => [plain(k), plain(v)]);
    case 'error':
      return { error: r.v };
    default:
      throw new Error(`unexpected reply type ${r.t}`);
  }
}
