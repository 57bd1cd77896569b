import { SeededRng, type Rng } from '../../src/core/rng.js';
import { RespClient, RespReplyError, type RespValue } from '../../src/server/resp-client.js';

/**
 * Client workloads for fault runs. Every operation is recorded with its
 * outcome: ok (acknowledged), failed (the server said it did not happen, or
 * the request was never sent) or unknown (no reply in time, or the
 * connection dropped after the request went out: it may or may not have
 * happened). Three workloads:
 *
 *   set-add  a few keys hold sets of integers; a client reads the key (QGET),
 *            unions the siblings, adds a unique integer and writes the set back
 *            with the read's CONTEXT. No acknowledged integer may vanish.
 *   unique   each key written once with plain SET; every acknowledged one must
 *            be readable at the end.
 *   register a few keys overwritten with plain SET (and read with GET); the
 *            final value must not be older than the last acknowledged write.
 *   overwrite many keys overwritten now and then with plain SET, so most
 *            writes are seldom followed by another of their key: every
 *            acknowledged write must be among the final siblings unless a
 *            later write of its key could have seen it (one that completed
 *            after it began). A write taken by the replicas for one they had
 *            seen (a dot issued twice) vanishes with nothing to supersede it.
 *   counter  a few keys incremented with INCRBY 1..5 through any node: the
 *            final total must be at least the sum of the acknowledged
 *            increments (increments merge, so none is lost).
 *   set      a few keys get SADD of members unique in the run, and SREM of
 *            members the same client added and had acknowledged: every
 *            acknowledged SADD whose member no SREM was sent for must be a
 *            member at the end (adds merge; a remove takes only what its
 *            replica saw).
 */
export type Outcome = 'ok' | 'failed' | 'unknown';
/** 'wiped-overwrite' is not run by startWorkload: the wipe-rebuild schedule writes it (wipe-overwrites.ts); it is checked as 'overwrite'. */
export type WorkloadName = 'set-add' | 'unique' | 'register' | 'overwrite' | 'wiped-overwrite' | 'counter' | 'set';

export interface Op {
  readonly key: string;
  /** For set-add, the integer added; for writes, the value written; for counter, the increment; for set, the member. */
  readonly value: string;
  /** For set: an SREM (of a member its client added before); absent for an SADD. */
  readonly remove?: true;
  readonly outcome: Outcome;
  /** Milliseconds since the run started, when the op was invoked and when it completed. */
  readonly start: number;
  readonly end: number;
  readonly error?: string;
}

export interface WorkloadHistory {
  readonly workload: WorkloadName;
  readonly keys: string[];
  readonly ops: Op[];
  /** Most siblings one read returned during the run. */
  maxSiblings: number;
}

export interface WorkloadOptions {
  /** Key prefix, so several runs share a cluster. */
  readonly prefix: string;
  /** RESP ports of the nodes; clients spread over them. */
  readonly ports: () => readonly number[];
  readonly clients?: number;
  readonly seed?: number;
  /** Client-side timeout: no reply in this long is an unknown outcome (default 3000). */
  readonly timeoutMs?: number;
  /** Pause between a client's operations (default 5 ms). */
  readonly thinkMs?: number;
}

/** A client's connections, one per port, reconnected after any failure. */
class Conn {
  private readonly byPort = new Map<number, RespClient>();
  constructor(private readonly timeoutMs: number) {}

  /** Runs one command; classifies what happened. */
  async run(port: number, args: string[]): Promise<{ outcome: Outcome; reply?: RespValue; error?: string }> {
    let c = this.byPort.get(port);
    if (!c) {
      try {
        c = await RespClient.connect({ host: '127.0.0.1', port, timeoutMs: this.timeoutMs });
      } catch (e) {
        return { outcome: 'failed', error: `connect: ${(e as Error).message}` };
      }
      this.byPort.set(port, c);
    }
    try {
      return { outcome: 'ok', reply: await c.call(...args) };
    } catch (e) {
      if (e instanceof RespReplyError) {
        // TIMEOUT: replicas did not answer in time; the write may have landed. Anything else the server refused.
        return { outcome: e.reply.startsWith('TIMEOUT') ? 'unknown' : 'failed', error: e.reply };
      }
      c.close();
      this.byPort.delete(port);
      return { outcome: 'unknown', error: (e as Error).message };
    }
  }

  close(): void {
    for (const c of this.byPort.values()) c.close();
    this.byPort.clear();
  }
}

/** Parses a QGET reply: [context, [values]]. */
export function qgetReply(v: RespValue | undefined): { ctx: string | null; values: string[] } {
  if (!Array.isArray(v) || v.length !== 2 || !Array.isArray(v[1])) throw new Error(`not a QGET reply: ${JSON.stringify(v)}`);
  return { ctx: typeof v[0] === 'string' ? v[0] : null, values: v[1].map(String) };
}

export function parseSet(values: readonly string[]): Set<string> {
  const s = new Set<string>();
  for (const v of values) for (const x of v.split(',')) if (x !== '') s.add(x);
  return s;
}

interface Worker {
  readonly id: number;
  readonly rng: Rng;
  readonly conn: Conn;
  seq: number;
  /** For set: per key, the members this client added, had acknowledged, and has not removed. */
  readonly added: Map<string, string[]>;
}

/** A running workload: `stop()` ends it once every in-flight op has completed, and resolves with the history. */
export interface RunningWorkload {
  stop(): Promise<WorkloadHistory>;
}

export function startWorkload(name: WorkloadName, opts: WorkloadOptions): RunningWorkload {
  const t0 = Date.now();
  const now = (): number => Date.now() - t0;
  const clients = opts.clients ?? 3;
  const keys = keysOf(name, opts.prefix);
  const history: WorkloadHistory = { workload: name, keys, ops: [], maxSiblings: 0 };
  let stopping = false;
  const pick = (w: Worker): number => {
    const ports = opts.ports();
    return ports[w.rng.int(ports.length)]!;
  };

  const step = async (w: Worker): Promise<void> => {
    const port = pick(w);
    if (name === 'unique') {
      const key = `${opts.prefix}:u:${w.id}:${w.seq++}`;
      history.keys.push(key);
      const value = `v${w.id}.${w.seq}`;
      const start = now();
      const r = await w.conn.run(port, ['SET', key, value]);
      history.ops.push({ key, value, outcome: r.outcome, start, end: now(), ...(r.error ? { error: r.error } : {}) });
      return;
    }
    const key = keys[w.rng.int(keys.length)]!;
    if (name === 'counter') {
      const value = String(1 + w.rng.int(5));
      const start = now();
      const r = await w.conn.run(port, ['INCRBY', key, value]);
      history.ops.push({ key, value, outcome: r.outcome, start, end: now(), ...(r.error ? { error: r.error } : {}) });
      return;
    }
    if (name === 'set') {
      const mine = w.added.get(key) ?? [];
      w.added.set(key, mine);
      const remove = mine.length > 0 && w.rng.next() < 0.2;
      const value = remove ? mine.splice(w.rng.int(mine.length), 1)[0]! : `${w.id}.${w.seq++}`;
      const start = now();
      const r = await w.conn.run(port, [remove ? 'SREM' : 'SADD', key, value]);
      history.ops.push({ key, value, outcome: r.outcome, start, end: now(), ...(remove ? { remove: true as const } : {}), ...(r.error ? { error: r.error } : {}) });
      if (!remove && r.outcome === 'ok') mine.push(value);
      return;
    }
    if (name === 'register' || name === 'overwrite') {
      if (w.rng.next() < 0.3) {
        await w.conn.run(port, ['GET', key]);
        return;
      }
      const value = `${w.id}.${w.seq++}`;
      const start = now();
      const r = await w.conn.run(port, ['SET', key, value]);
      history.ops.push({ key, value, outcome: r.outcome, start, end: now(), ...(r.error ? { error: r.error } : {}) });
      return;
    }
    // set-add: read, union the siblings, add, write back with the read's context.
    const value = `${w.id * 1_000_000 + w.seq++}`;
    const start = now();
    const read = await w.conn.run(port, ['QGET', key]);
    if (read.outcome !== 'ok') {
      history.ops.push({ key, value, outcome: 'failed', start, end: now(), error: `read: ${read.error ?? ''}` });
      return;
    }
    const { ctx, values } = qgetReply(read.reply);
    history.maxSiblings = Math.max(history.maxSiblings, values.length);
    const set = parseSet(values);
    set.add(value);
    const args = ['QSET', key, [...set].join(',')];
    if (ctx !== null) args.push('CONTEXT', ctx);
    const r = await w.conn.run(port, args);
    history.ops.push({ key, value, outcome: r.outcome, start, end: now(), ...(r.error ? { error: r.error } : {}) });
  };

  const loop = async (w: Worker): Promise<void> => {
    while (!stopping) {
      await step(w);
      await sleep(opts.thinkMs ?? 5);
    }
    w.conn.close();
  };
  const seed = opts.seed ?? 1;
  const workers = range(clients).map((id) => ({ id, rng: new SeededRng(seed * 1000 + id), conn: new Conn(opts.timeoutMs ?? 3000), seq: 0, added: new Map<string, string[]>() }));
  const done = Promise.all(workers.map(loop));
  return {
    async stop() {
      stopping = true;
      await done;
      return history;
    },
  };
}

/** Keys overwritten by the overwrite workload: enough that most writes are the last of their key for a while. */
const OVERWRITE_KEYS = 300;

function keysOf(name: WorkloadName, prefix: string): string[] {
  switch (name) {
    case 'set-add':
      return range(4).map((i) => `${prefix}:set:${i}`);
    case 'register':
      return range(4).map((i) => `${prefix}:reg:${i}`);
    case 'overwrite':
      return range(OVERWRITE_KEYS).map((i) => `${prefix}:ow:${i}`);
    case 'counter':
      return range(3).map((i) => `${prefix}:ctr:${i}`);
    case 'set':
      return range(3).map((i) => `${prefix}:smembers:${i}`);
    case 'unique':
    case 'wiped-overwrite':
      return [];
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
