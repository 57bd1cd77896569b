import { RespClient, type RespValue } from '../../src/server/resp-client.js';
import { parseSet, qgetReply, type Op, type WorkloadHistory, type WorkloadName } from './workloads.js';

/**
 * After the faults: waits until every replica of every key holds the same
 * versions (driving read repair with QGET at R=N until anti-entropy does it
 * unasked), reads every key at R=N, and compares with what the clients were
 * told. The numbers per run are those of Jepsen's reports on Dynamo-style
 * stores: acknowledged writes, how many of them are gone, and how many writes
 * the clients were told failed or never heard about are present anyway.
 */
export interface CheckResult {
  readonly workload: WorkloadName;
  readonly acked: number;
  /**
   * Acknowledged but absent after convergence (register: keys whose final value is older than the last acknowledged
   * write; counter: keys whose total is below their acknowledged increments, or above every increment sent; set: also
   * members no SADD sent).
   */
  readonly lost: number;
  readonly unknown: number;
  readonly unknownPresent: number;
  readonly failed: number;
  readonly failedPresent: number;
  readonly maxSiblings: number;
  /** What was lost, for failure messages (at most 20). */
  readonly lostExamples: string[];
}

/** The cluster as the checker needs it: which ports answer, and each node's port. */
export interface CheckTarget {
  /** Node id -> RESP port, for the nodes that run. */
  readonly ports: ReadonlyMap<string, number>;
  readonly n: number;
}

class Clients {
  private readonly byPort = new Map<number, RespClient>();

  async call(port: number, ...args: string[]): Promise<RespValue> {
    let c = this.byPort.get(port);
    if (!c) {
      c = await RespClient.connect({ host: '127.0.0.1', port, timeoutMs: 5000 });
      this.byPort.set(port, c);
    }
    try {
      return await c.call(...args);
    } catch (e) {
      if (!(e instanceof Error) || e.name !== 'RespReplyError') {
        c.close();
        this.byPort.delete(port);
      }
      throw e;
    }
  }

  close(): void {
    for (const c of this.byPort.values()) c.close();
  }
}

/**
 * Polls until every replica of every key holds the same versions (QLOCAL on
 * each), reading each unconverged key with QGET R=n first so read repair runs.
 * Resolves with the milliseconds it took, or null when timeoutMs passed first.
 */
export async function converge(
  target: CheckTarget,
  keys: readonly string[],
  timeoutMs: number,
  how: (key: string) => FinalRead = () => 'siblings',
): Promise<number | null> {
  const started = Date.now();
  const clients = new Clients();
  const replicas = new Map<string, string[]>();
  /** Set keys: the members every node answered in the last pass. */
  const lastSeen = new Map<string, string>();
  let pending = [...new Set(keys)];
  try {
    while (pending.length > 0) {
      if (Date.now() - started > timeoutMs) return null;
      const via = [...target.ports.values()];
      const still: string[] = [];
      for (const [i, key] of pending.entries()) {
        try {
          if (how(key) === 'smembers') {
            // No per-replica read shows a set (QLOCAL answers WRONGTYPE): a read at R=n repairs the replicas, and
            // the set counts as converged once every node answers the same members in two passes running.
            await clients.call(via[i % via.length]!, 'VCLOCK', key, 'R', String(target.n));
            const seen = new Set<string>();
            for (const port of via) seen.add(JSON.stringify(((await clients.call(port, 'SMEMBERS', key)) as string[]).map(String).sort()));
            const now = seen.size === 1 ? [...seen][0]! : null;
            if (now === null || lastSeen.get(key) !== now) still.push(key);
            if (now !== null) lastSeen.set(key, now);
            else lastSeen.delete(key);
            continue;
          }
          await clients.call(via[i % via.length]!, 'QGET', key, 'R', String(target.n));
          let ids = replicas.get(key);
          if (!ids) {
            ids = ((await clients.call(via[0]!, 'QKV.REPLICAS', key)) as string[]).map(String);
            replicas.set(key, ids);
          }
          const seen = new Set<string>();
          for (const id of ids) {
            const port = target.ports.get(id);
            if (port === undefined) throw new Error(`replica ${id} is not running`);
            const local = qgetReply(await clients.call(port, 'QLOCAL', key));
            seen.add(JSON.stringify([local.ctx, [...local.values].sort()]));
          }
          if (seen.size !== 1) still.push(key);
        } catch {
          still.push(key);
        }
      }
      pending = still;
      if (pending.length > 0) await sleep(100);
    }
    return Date.now() - started;
  } finally {
    clients.close();
  }
}

/**
 * How a key is read at the end: with QGET R=n its sibling values, or, for
 * the workloads whose keys merge (counter, set), what GET or SMEMBERS
 * answers (after convergence every replica holds the same, so any R does).
 */
export type FinalRead = 'siblings' | 'get' | 'smembers';

export function finalReadOf(workload: WorkloadName): FinalRead {
  return workload === 'counter' ? 'get' : workload === 'set' ? 'smembers' : 'siblings';
}

async function readOne(clients: Clients, port: number, key: string, how: FinalRead, n: number): Promise<string[]> {
  if (how === 'siblings') return qgetReply(await clients.call(port, 'QGET', key, 'R', String(n))).values;
  if (how === 'get') {
    const v = await clients.call(port, 'GET', key);
    return v === null ? [] : [String(v)];
  }
  const v = await clients.call(port, 'SMEMBERS', key);
  if (!Array.isArray(v)) throw new Error(`not an SMEMBERS reply: ${JSON.stringify(v)}`);
  return v.map(String);
}

/** Every key read (retried until timeoutMs), with QGET R=n unless `how` says otherwise: key -> values. */
export async function finalRead(
  target: CheckTarget,
  keys: readonly string[],
  timeoutMs = 20_000,
  how: (key: string) => FinalRead = () => 'siblings',
): Promise<Map<string, string[]>> {
  const clients = new Clients();
  const out = new Map<string, string[]>();
  const via = [...target.ports.values()];
  const deadline = Date.now() + timeoutMs;
  try {
    for (const [i, key] of [...new Set(keys)].entries()) {
      for (let attempt = 0; ; attempt++) {
        try {
          out.set(key, await readOne(clients, via[(i + attempt) % via.length]!, key, how(key), target.n));
          break;
        } catch (e) {
          if (Date.now() > deadline) throw new Error(`final read of ${key} failed: ${String(e)}`);
          await sleep(100);
        }
      }
    }
    return out;
  } finally {
    clients.close();
  }
}

/** Compares one workload's history with the final reads. */
export function check(history: WorkloadHistory, final: ReadonlyMap<string, readonly string[]>): CheckResult {
  const lostExamples: string[] = [];
  let lost = 0;
  let maxSiblings = history.maxSiblings;
  // A counter's or a set's final read is its total or its members, not siblings.
  const merged = history.workload === 'counter' || history.workload === 'set';
  if (!merged) for (const key of history.keys) maxSiblings = Math.max(maxSiblings, final.get(key)?.length ?? 0);
  const present = (key: string, value: string): boolean => {
    const values = final.get(key) ?? [];
    return history.workload === 'set-add' ? parseSet(values).has(value) : values.includes(value);
  };
  const count = (outcome: 'unknown' | 'failed'): [number, number] => {
    const ops = history.ops.filter((o) => o.outcome === outcome);
    return [ops.length, ops.filter((o) => present(o.key, o.value)).length];
  };
  const acked = history.ops.filter((o) => o.outcome === 'ok');

  if (history.workload === 'counter') {
    // A counter is lost to when its total is below its acknowledged increments: `lost` counts those increments' keys.
    for (const key of history.keys) {
      const ops = history.ops.filter((o) => o.key === key);
      const sum = (xs: readonly Op[]): bigint => xs.reduce((s, o) => s + BigInt(o.value), 0n);
      const ackedSum = sum(ops.filter((o) => o.outcome === 'ok'));
      const maybe = sum(ops.filter((o) => o.outcome !== 'ok'));
      const raw = final.get(key)?.[0];
      const total = raw === undefined ? 0n : BigInt(raw);
      if (total < ackedSum) {
        lost++;
        if (lostExamples.length < 20) lostExamples.push(`${key}: total ${total}, below the ${ackedSum} acknowledged (${maybe} more sent without an acknowledgement)`);
      } else if (total > ackedSum + maybe) {
        lost++;
        if (lostExamples.length < 20) lostExamples.push(`${key}: total ${total}, above the ${ackedSum + maybe} sent`);
      }
    }
    const unacked = (outcome: 'unknown' | 'failed'): number => history.ops.filter((o) => o.outcome === outcome).length;
    return { workload: history.workload, acked: acked.length, lost, unknown: unacked('unknown'), unknownPresent: 0, failed: unacked('failed'), failedPresent: 0, maxSiblings, lostExamples };
  }
  if (history.workload === 'set') {
    const adds = history.ops.filter((o) => !o.remove);
    for (const op of adds) {
      if (op.outcome !== 'ok' || present(op.key, op.value)) continue;
      // Only the member's own client removes it, after its add was acknowledged; an SREM that failed or timed out may have landed.
      if (history.ops.some((o) => o.remove && o.key === op.key && o.value === op.value)) continue;
      lost++;
      if (lostExamples.length < 20) lostExamples.push(`${op.key}: SADD ${op.value} acknowledged at ${op.start}-${op.end} ms, no SREM of it sent, final ${final.get(op.key)?.length ?? 0} members`);
    }
    for (const key of history.keys) {
      for (const m of final.get(key) ?? []) {
        if (adds.some((o) => o.key === key && o.value === m)) continue;
        lost++;
        if (lostExamples.length < 20) lostExamples.push(`${key}: member ${m} is there, but no SADD of it was sent`);
      }
    }
    const count = (outcome: 'unknown' | 'failed'): [number, number] => {
      const ops = adds.filter((o) => o.outcome === outcome);
      return [ops.length, ops.filter((o) => present(o.key, o.value)).length];
    };
    const [unknown, unknownPresent] = count('unknown');
    const [failed, failedPresent] = count('failed');
    return { workload: history.workload, acked: adds.filter((o) => o.outcome === 'ok').length, lost, unknown, unknownPresent, failed, failedPresent, maxSiblings, lostExamples };
  }

  if (history.workload === 'register') {
    for (const key of history.keys) {
      const writes = history.ops.filter((o) => o.key === key);
      const ackedHere = writes.filter((o) => o.outcome === 'ok');
      if (ackedHere.length === 0) continue;
      const last = ackedHere.reduce((a, b) => (b.start > a.start ? b : a));
      // Any write not finished before the last acknowledged one began may be the final value.
      const allowed = new Set(writes.filter((o) => o.end >= last.start).map((o) => o.value));
      const values = final.get(key) ?? [];
      if (!values.some((v) => allowed.has(v))) {
        lost++;
        if (lostExamples.length < 20) lostExamples.push(`${key}: final ${JSON.stringify(values)}, last acknowledged ${last.value} at ${last.start}-${last.end} ms`);
      }
    }
  } else if (history.workload === 'overwrite' || history.workload === 'wiped-overwrite') {
    for (const op of acked) {
      if (present(op.key, op.value)) continue;
      // Only a write of the key that completed after this one began can have seen it and superseded it.
      const superseded = history.ops.some((o) => o !== op && o.key === op.key && o.outcome !== 'failed' && o.end >= op.start);
      if (superseded) continue;
      lost++;
      if (lostExamples.length < 20) lostExamples.push(`${op.key}: ${op.value} acknowledged at ${op.start}-${op.end} ms, no later write of the key, final ${JSON.stringify(final.get(op.key) ?? [])}`);
    }
  } else {
    for (const op of acked) {
      if (present(op.key, op.value)) continue;
      lost++;
      if (lostExamples.length < 20) lostExamples.push(`${op.key}: ${op.value} acknowledged at ${op.start}-${op.end} ms`);
    }
  }
  const [unknown, unknownPresent] = count('unknown');
  const [failed, failedPresent] = count('failed');
  return { workload: history.workload, acked: acked.length, lost, unknown, unknownPresent, failed, failedPresent, maxSiblings, lostExamples };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
