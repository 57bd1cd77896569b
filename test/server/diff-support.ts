import { createHash } from 'node:crypto';
import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { startRedisServer } from '../support/node-process.js';
import type { ServerProcess } from '../support/node-process.js';
import { startTestNode } from './node-harness.js';
import type { TestNode } from './node-harness.js';
import { RawClient, replyEnd } from './raw-client.js';

/**
 * Differential sessions: scripted command sequences run in lockstep against
 * a QuorumKV node and, when one is installed, a real redis-server 7, over
 * raw sockets in RESP2 and in RESP3, comparing the reply bytes step by step.
 * Every step also carries the reply Redis 7.0 gave when it was recorded, so
 * the same sessions still check QuorumKV on a machine without redis-server.
 *
 * Expectations are written in RESP2 (helpers below); the RESP3 form is
 * derived (a null bulk or null array becomes `_`), and the derivation itself
 * is checked against Redis whenever Redis runs.
 */

export type Arg = string | Buffer;

/** How a step's reply is compared. Bytes unless the step says otherwise. */
export interface StepOptions {
  /** Integer replies may differ by this much (TTL/PTTL a few ms after an expiry was set); twice this from the recording. */
  readonly near?: number;
  /** The recorded integer is an offset from the current time in this unit (EXPIRETIME of a relative expiry). */
  readonly fromNow?: 's' | 'ms';
  /** An array reply compared as a set (KEYS); with `resp3: 'map' | 'pairs'`, as a set of field/value pairs (HGETALL). */
  readonly unordered?: boolean;
  /**
   * How the RESP3 reply differs from the RESP2 one beyond nulls: `map`, a flat
   * field/value array becomes a map (HGETALL); `set`, an array becomes a set
   * (SMEMBERS, SINTER); `pairs`, a flat field/value array becomes an array of
   * two-element arrays (HRANDFIELD ... WITHVALUES).
   */
  readonly resp3?: Resp3Shape;
  /** QuorumKV is known to answer differently here: its checks are todo, naming the bug. */
  readonly bug?: string;
}

/** One of several replies is right (RANDOMKEY). */
export interface OneOf {
  readonly oneOf: readonly string[];
}

/**
 * A random pick (HRANDFIELD, SRANDMEMBER, SPOP): checked for its shape, its
 * size and membership, on each server by itself, never against the other's.
 */
export interface Sample {
  readonly sample: {
    /** The members a pick may come from. */
    readonly from: readonly string[];
    /** Without a count, one bulk reply (nil when `from` is empty); with one, an array of exactly that many. */
    readonly count?: number;
    /** No member twice. */
    readonly distinct?: boolean;
    /** Each member comes with its value (WITHVALUES): flat pairs in RESP2, two-element arrays in RESP3. */
    readonly values?: Readonly<Record<string, string>>;
    /** The array is a set in RESP3 (SPOP with a count). */
    readonly set?: boolean;
  };
}

export type Expect = string | OneOf | Sample;

export type Resp3Shape = 'map' | 'set' | 'pairs';

export type CallStep = readonly [cmd: readonly Arg[], expect: Expect, opts?: StepOptions];

export type Step =
  | CallStep
  | { readonly sleep: number }
  /**
   * A whole SCAN iteration with these options, to cursor 0; the union of keys, compared as a set.
   * With `over`, the iteration is HSCAN/SSCAN of that key: `keys` lists the members, or for HSCAN
   * field, value, field, value... (compared as a set of pairs).
   */
  | { readonly scan: readonly Arg[]; readonly keys: readonly string[]; readonly over?: readonly ['HSCAN' | 'SSCAN', Arg]; readonly bug?: string };

export interface Session {
  readonly name: string;
  readonly steps: readonly Step[];
  /** Runs alone after the others (it sees or changes the whole keyspace: DBSIZE, FLUSHALL, RANDOMKEY). */
  readonly alone?: boolean;
}

/**
 * QuorumKV's known differences from Redis on this path: steps that hit them
 * carry `{ bug }` and their checks are todo, so the difference stays visible.
 */
export const BUGS = {
  expiryPrecision:
    'documented difference (README): expiry times are kept as float64 milliseconds, so absolute times above 2^53 ms (year 287,396) come back rounded',
} as const;

// ---- RESP2 expectation helpers ----

export const OK = '+OK\r\n';
export const NIL = '$-1\r\n';
export const NIL_ARRAY = '*-1\r\n';
export const int = (n: number | bigint | string): string => `:${n}\r\n`;
export const simple = (s: string): string => `+${s}\r\n`;
export const err = (s: string): string => `-${s}\r\n`;
export const bulk = (v: Arg): string => {
  const b = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
  return `$${b.length}\r\n${b.toString('latin1')}\r\n`;
};
export const arr = (...items: string[]): string => `*${items.length}\r\n${items.join('')}`;
export const oneOf = (...replies: string[]): OneOf => ({ oneOf: replies });
/** A random pick from `from`: one bulk without `count`, else an array of `count` (see Sample). */
export const sample = (from: readonly string[], count?: number, opts: Omit<Sample['sample'], 'from' | 'count'> = {}): Sample => ({
  sample: { from, ...(count === undefined ? {} : { count }), ...opts },
});
export const arity = (cmd: string): string => err(`ERR wrong number of arguments for '${cmd}' command`);
export const SYNTAX = err('ERR syntax error');
export const NOT_INT = err('ERR value is not an integer or out of range');
export const NOT_FLOAT = err('ERR value is not a valid float');
export const WRONGTYPE = err('WRONGTYPE Operation against a key holding the wrong kind of value');
export const invalidExpire = (cmd: string): string => err(`ERR invalid expire time in '${cmd}' command`);
/** A placeholder for a reply not recorded yet: fails, and the Redis run prints the literal to paste. */
export const REC = '\u0000not recorded';

// ---- RESP structure ----

/** The top-level elements of an array reply (raw), or null when reply is not an array. */
export function elements(reply: string): string[] | null {
  if (reply[0] !== '*' && reply[0] !== '~' && reply[0] !== '%') return null;
  const buf = Buffer.from(reply, 'latin1');
  const head = buf.indexOf('\r\n');
  const n = Number(reply.slice(1, head));
  if (n < 0) return null;
  const out: string[] = [];
  let pos = head + 2;
  // A map's elements are its keys and values, in turn.
  for (let i = 0; i < (reply[0] === '%' ? 2 * n : n); i++) {
    const end = replyEnd(buf, pos);
    if (end < 0) throw new Error(`truncated array reply ${show(reply)}`);
    out.push(buf.toString('latin1', pos, end));
    pos = end;
  }
  return out;
}

/** The RESP3 bytes of a RESP2 reply, for the replies data commands give: nulls become `_`. */
export function toResp3(reply: string): string {
  if (reply === NIL || reply === NIL_ARRAY) return '_\r\n';
  const items = elements(reply);
  if (items === null) return reply;
  return `*${items.length}\r\n${items.map(toResp3).join('')}`;
}

/** The RESP3 bytes of a RESP2 reply whose RESP3 form has this shape (errors and nulls stay as toResp3 makes them). */
export function toResp3Shape(reply: string, shape: Resp3Shape | undefined): string {
  const items = elements(reply);
  if (shape === undefined || items === null) return toResp3(reply);
  const converted = items.map(toResp3);
  if (shape === 'set') return `~${items.length}\r\n${converted.join('')}`;
  if (items.length % 2 !== 0) throw new Error(`a ${shape} reply needs an even number of elements: ${show(reply)}`);
  if (shape === 'map') return `%${items.length / 2}\r\n${converted.join('')}`;
  return arr(...pairsOf(converted).map(([f, v]) => arr(f, v)));
}

function pairsOf<T>(items: readonly T[]): Array<[T, T]> {
  const out: Array<[T, T]> = [];
  for (let i = 0; i + 1 < items.length; i += 2) out.push([items[i]!, items[i + 1]!]);
  return out;
}

function intOf(reply: string): number | null {
  const m = /^:(-?\d+)\r\n$/.exec(reply);
  return m ? Number(m[1]) : null;
}

/** A reply for a failure message: escaped, long ones cut with their length and digest. */
export function show(reply: string): string {
  if (reply.length <= 300) return JSON.stringify(reply);
  const digest = createHash('sha256').update(reply, 'latin1').digest('hex').slice(0, 12);
  return `${JSON.stringify(reply.slice(0, 120))}... (${reply.length} bytes, sha256 ${digest})`;
}

function escapeLatin1(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === "'" || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (ch === '\r') out += '\\r';
    else if (ch === '\n') out += '\\n';
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `'${out}'`;
}

/** A RESP2 reply as the helper expression that writes it (for recording expectations). */
export function literal(reply: string): string {
  if (reply === OK) return 'OK';
  if (reply === NIL) return 'NIL';
  if (reply === NIL_ARRAY) return 'NIL_ARRAY';
  const items = elements(reply);
  if (items !== null) return `arr(${items.map(literal).join(', ')})`;
  const body = reply.slice(1, -2);
  switch (reply[0]) {
    case ':':
      return `int(${body})`;
    case '+':
      return `simple(${escapeLatin1(body)})`;
    case '-':
      return `err(${escapeLatin1(body)})`;
    case '$': {
      const text = reply.slice(reply.indexOf('\r\n') + 2, -2);
      return text.length > 1000 ? `/* bulk of ${text.length} bytes */ ${show(reply)}` : `bulk(${escapeLatin1(text)})`;
    }
    default:
      return JSON.stringify(reply);
  }
}

// ---- redis-server ----

export type RedisAvailability = { readonly present: true; readonly binary: string } | { readonly present: false; readonly why: string };

/** The redis-server to compare with: $REDIS_SERVER or redis-server on PATH, version 7. */
export function findRedis(): RedisAvailability {
  const binary = process.env.REDIS_SERVER ?? 'redis-server';
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return { present: false, why: `${binary} is not installed` };
  const version = /v=(\d+)\.(\d+)\.(\d+)/.exec(probe.stdout);
  if (!version || version[1] !== '7') return { present: false, why: `${binary} is not Redis 7 (${probe.stdout.trim()})` };
  return { present: true, binary };
}

// ---- running ----

export interface DiffTargets {
  readonly qkv: TestNode;
  readonly redis: ServerProcess | null;
}

/**
 * Starts a QuorumKV node (cluster of one, extra flags appended) and, when
 * installed, a redis-server; both stop at teardown. Without redis-server,
 * CI (env CI set) fails; elsewhere the comparison is skipped with a message
 * and only the recorded replies are checked.
 */
export async function startTargets(t: Test, nodeArgs: readonly string[] = []): Promise<DiffTargets> {
  const found = findRedis();
  const [qkv, redis] = await Promise.all([
    startTestNode(t, nodeArgs),
    found.present ? startRedisServer({ t, binary: found.binary }) : Promise.resolve(null),
  ]);
  if (!found.present) {
    if (process.env.CI) t.fail(`${found.why}: CI must run the comparison against redis-server 7`);
    else await t.test(`comparison with redis-server (${found.why})`, { skip: `${found.why}; recorded Redis 7.0 replies are still checked` }, () => undefined);
  }
  return { qkv, redis };
}

export type Proto = 2 | 3;

async function openClient(port: number, proto: Proto): Promise<RawClient> {
  const c = await RawClient.connect(port);
  if (proto === 3) {
    const hello = await c.call('HELLO', '3');
    if (hello[0] !== '%') throw new Error(`HELLO 3 answered ${show(hello)}`);
  }
  return c;
}

/** What one step produced: raw replies, and the time (ms) the reply arrived. */
interface StepOutcome {
  readonly qkv: string;
  readonly redis: string | null;
  readonly at: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type ScanStep = Extract<Step, { readonly scan: readonly Arg[] }>;

/**
 * A whole SCAN (or HSCAN/SSCAN) iteration on one connection: the sorted union
 * of the keys (members; for HSCAN, two-element arrays of field and value), as
 * an array reply.
 */
async function scanAll(c: RawClient, step: ScanStep): Promise<string> {
  const seen = new Set<string>();
  let cursor = '0';
  const hscan = step.over?.[0] === 'HSCAN';
  for (let calls = 0; ; calls++) {
    if (calls > 100_000) throw new Error('SCAN did not come back to cursor 0');
    const reply = step.over ? await c.call(step.over[0], step.over[1], cursor, ...step.scan) : await c.call('SCAN', cursor, ...step.scan);
    const page = elements(reply);
    const keys = page?.[1] === undefined ? null : elements(page[1]);
    if (page?.length !== 2 || keys === null || page[0]![0] !== '$') return reply; // an error, compared as such
    if (hscan && keys.length % 2 !== 0) return reply;
    cursor = page[0]!.slice(page[0]!.indexOf('\r\n') + 2, -2);
    for (const k of hscan ? pairsOf(keys).map(([f, v]) => arr(f, v)) : keys) seen.add(k);
    if (cursor === '0') return arr(...[...seen].sort());
  }
}

/** What a whole scan step should find, as scanAll writes it. */
function scanWanted(step: ScanStep): string {
  if (step.over?.[0] === 'HSCAN') return arr(...pairsOf(step.keys).map(([f, v]) => arr(bulk(f), bulk(v))));
  return arr(...step.keys.map(bulk));
}

async function runStep(c: RawClient, step: Step): Promise<string> {
  if ('scan' in step) return scanAll(c, step);
  if ('sleep' in step) return '';
  return c.call(...step[0]);
}

/** Runs one session in lockstep on fresh connections: each step goes to both servers before the next. */
async function runSession(targets: DiffTargets, session: Session, proto: Proto): Promise<StepOutcome[]> {
  const qc = await openClient(targets.qkv.node.port, proto);
  const rc = targets.redis ? await openClient(targets.redis.port, proto) : null;
  try {
    const out: StepOutcome[] = [];
    for (const step of session.steps) {
      if ('sleep' in step) await sleep(step.sleep);
      const [qkv, redis] = await Promise.all([runStep(qc, step), rc ? runStep(rc, step) : null]);
      out.push({ qkv, redis, at: Date.now() });
    }
    return out;
  } finally {
    qc.close();
    rc?.close();
  }
}

/** Runs every session (concurrently, then the `alone` ones one by one) after emptying both servers. */
async function runAll(targets: DiffTargets, sessions: readonly Session[], proto: Proto): Promise<StepOutcome[][]> {
  const flush = async (port: number): Promise<void> => {
    const c = await RawClient.connect(port);
    const reply = await c.call('FLUSHALL');
    c.close();
    if (reply !== OK) throw new Error(`FLUSHALL answered ${show(reply)}`);
  };
  await Promise.all([flush(targets.qkv.node.port), targets.redis ? flush(targets.redis.port) : null]);
  const results: StepOutcome[][] = new Array(sessions.length);
  const together = sessions.map((s, i) => [s, i] as const).filter(([s]) => !s.alone);
  await Promise.all(together.map(async ([s, i]) => (results[i] = await runSession(targets, s, proto))));
  for (const [i, s] of sessions.entries()) if (s.alone) results[i] = await runSession(targets, s, proto);
  return results;
}

function commandText(step: Step): string {
  if ('sleep' in step) return `(sleep ${step.sleep} ms)`;
  const args = 'scan' in step ? [...(step.over ? [step.over[0], step.over[1]] : ['SCAN']), '<all>', ...step.scan] : step[0];
  return args
    .map((a) => {
      const s = typeof a === 'string' ? a : a.toString('latin1');
      return s.length > 40 ? `<${s.length} bytes>` : JSON.stringify(s);
    })
    .join(' ');
}

export type Verdict = { ok: true } | { ok: false; found: string; wanted: string };

const verdict = (found: string, wanted: string, ok: boolean): Verdict => (ok ? { ok } : { ok, found, wanted });

/**
 * The members of a collection reply, for comparing as a set: its elements, or
 * for field/value replies (a map, or an array under `map`/`pairs`) each field
 * with its value. Null when the reply is no collection.
 */
function members(reply: string, shape?: Resp3Shape): string[] | null {
  const items = elements(reply);
  if (items === null) return null;
  const flatPairs = reply[0] === '%' || ((shape === 'map' || shape === 'pairs') && items.some((i) => i[0] !== '*'));
  return flatPairs && items.length % 2 === 0 ? pairsOf(items).map(([f, v]) => arr(f, v)) : items;
}

/** The same kind of collection (array, set or map) with the same members, in any order. */
function sameSet(a: string, b: string, shape?: Resp3Shape): boolean {
  const ea = members(a, shape);
  const eb = members(b, shape);
  if (ea === null || eb === null) return a === b;
  return a[0] === b[0] && JSON.stringify([...ea].sort()) === JSON.stringify([...eb].sort());
}

function describeSample(s: Sample['sample']): string {
  const what = s.count === undefined ? 'one' : `${s.count}${s.distinct ? ' distinct' : ''}`;
  const withValues = s.values ? ' with their values' : '';
  const shape = s.count === undefined ? 'a bulk string' : s.set ? 'an array (a set in RESP3)' : 'an array';
  return `${what} of ${JSON.stringify(s.from)}${withValues}, as ${shape}`;
}

/** Whether a reply is a pick the sample allows: shape, size, membership, values, distinctness. */
export function isSample(reply: string, s: Sample['sample'], proto: Proto): boolean {
  const allowed = new Map(s.from.map((m) => [bulk(m), m]));
  if (s.count === undefined) return s.from.length === 0 ? reply === (proto === 3 ? '_\r\n' : NIL) : allowed.has(reply);
  if (reply[0] !== (proto === 3 && s.set ? '~' : '*')) return false;
  const items = elements(reply);
  if (items === null) return false;
  let picks: Array<[string, string | undefined]>;
  if (s.values === undefined) picks = items.map((i) => [i, undefined]);
  else if (proto === 3) {
    const pairs = items.map(elements);
    if (pairs.some((p) => p === null || p.length !== 2)) return false;
    picks = pairs.map((p) => [p![0]!, p![1]!]);
  } else {
    if (items.length % 2 !== 0) return false;
    picks = pairsOf(items);
  }
  if (picks.length !== s.count) return false;
  for (const [pick, value] of picks) {
    const member = allowed.get(pick);
    if (member === undefined) return false;
    if (s.values !== undefined && value !== bulk(s.values[member] ?? '')) return false;
  }
  return !s.distinct || new Set(picks.map(([p]) => p)).size === picks.length;
}

function near(a: string, b: string, tolerance: number): boolean {
  const x = intOf(a);
  const y = intOf(b);
  // -1 and -2 (no expiry, no key) are exact answers.
  if (x === null || y === null || x < 0 || y < 0) return a === b;
  return Math.abs(x - y) <= tolerance;
}

/** A reply against another server's reply for the same step. */
export function againstReply(step: Step, found: string, wanted: string): Verdict {
  if ('scan' in step) return verdict(found, wanted, sameSet(found, wanted));
  if ('sleep' in step) return { ok: true };
  const [, expect, o] = step;
  // RANDOMKEY, random picks: each server's answer is checked against the allowed ones, not against the other's.
  if (typeof expect !== 'string') return { ok: true };
  if (o?.unordered) return verdict(found, wanted, sameSet(found, wanted, o.resp3));
  if (o?.near !== undefined) return verdict(found, wanted, near(found, wanted, o.near));
  return verdict(found, wanted, found === wanted);
}

/**
 * A reply against the recorded RESP2 expectation, converted for the
 * protocol. A recording cannot share the moment of the run, so `near`
 * tolerances are doubled here (a busy machine stretches a session).
 */
export function againstRecord(step: Step, found: string, proto: Proto, at: number): Verdict {
  if ('sleep' in step) return { ok: true };
  if ('scan' in step) {
    const wanted = scanWanted(step);
    return verdict(found, wanted, sameSet(found, wanted));
  }
  const [, expect, o] = step;
  const convert = (r: string): string => (proto === 3 ? toResp3Shape(r, o?.resp3) : r);
  if (typeof expect !== 'string' && 'sample' in expect) {
    return verdict(found, describeSample(expect.sample), isSample(found, expect.sample, proto));
  }
  if (typeof expect !== 'string') {
    const allowed = expect.oneOf.map(convert);
    return verdict(found, `one of ${allowed.join(' | ')}`, allowed.includes(found));
  }
  if (expect === REC) return verdict(found, 'nothing recorded', false);
  const wanted = convert(expect);
  if (o?.fromNow) {
    const now = o.fromNow === 's' ? Math.round(at / 1000) : at;
    const offset = intOf(found);
    const rel = offset === null || offset < 0 ? found : int(offset - now);
    return verdict(rel, wanted, near(rel, wanted, 2 * (o.near ?? 0)));
  }
  if (o?.unordered) return verdict(found, wanted, sameSet(found, wanted, o.resp3));
  if (o?.near !== undefined) return verdict(found, wanted, near(found, wanted, 2 * o.near));
  return verdict(found, wanted, found === wanted);
}

function bugOf(step: Step): string | undefined {
  if ('sleep' in step) return undefined;
  if ('scan' in step) return step.bug;
  return step[2]?.bug;
}

function report(t: Test, v: Verdict, message: string, todo?: string): void {
  const extra = todo === undefined ? {} : { todo };
  if (v.ok) t.pass(message, extra);
  else t.fail(`${message}: got ${show(v.found)}, want ${show(v.wanted)}`, extra);
}

/** Where QKV_DIFF_DUMP names a file, the Redis replies (as literals) are written there for re-recording. */
function dump(sessions: readonly Session[], results: StepOutcome[][], proto: Proto): void {
  const path = process.env.QKV_DIFF_DUMP;
  if (path === undefined || proto !== 2) return;
  const rows = sessions.flatMap((s, i) =>
    s.steps.map((step, j) => {
      const redis = results[i]![j]!.redis;
      const unrecorded = Array.isArray(step) && step[1] === REC;
      return { session: s.name, step: j, command: commandText(step), unrecorded, literal: redis === null ? null : literal(redis) };
    }),
  );
  writeFileSync(path, JSON.stringify(rows, null, 1));
}

/**
 * For each protocol, runs all sessions and checks, step by step: QuorumKV
 * against the recorded reply and, with Redis running, QuorumKV against
 * Redis and Redis against the recording (a stale recording fails too).
 */
export async function checkSessions(t: Test, targets: DiffTargets, sessions: readonly Session[]): Promise<void> {
  const names = new Set(sessions.map((s) => s.name));
  if (names.size !== sessions.length) throw new Error('session names must be distinct');
  for (const proto of [2, 3] as const) {
    await t.test(`RESP${proto}`, async (t) => {
      const results = await runAll(targets, sessions, proto);
      dump(sessions, results, proto);
      for (const [i, session] of sessions.entries()) {
        await t.test(session.name, async (t) => {
          for (const [j, step] of session.steps.entries()) {
            if ('sleep' in step) continue;
            const { qkv, redis, at } = results[i]![j]!;
            const what = `#${j} ${commandText(step)}`;
            const todo = bugOf(step);
            report(t, againstRecord(step, qkv, proto, at), `${what}: QuorumKV as recorded from Redis 7.0`, todo);
            if (redis === null) continue;
            report(t, againstReply(step, qkv, redis), `${what}: QuorumKV as redis-server`, todo);
            const stale = againstRecord(step, redis, proto, at);
            if (!stale.ok && proto === 2) t.comment(`record for ${session.name} ${what}: ${literal(redis)}`);
            report(t, stale, `${what}: redis-server as recorded`);
          }
        });
      }
    });
  }
}
