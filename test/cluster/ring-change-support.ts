import { RespReplyError, type RespValue } from '../../src/server/resp-client.js';
import { PipelinedClient } from '../support/pipelined-resp.js';
import { sleep, status } from './helpers.js';

/** What clients saw while a ring change ran. */
export interface WorkloadCounts {
  writes: number;
  reads: number;
  /** Error replies and dropped connections. */
  failures: number;
  /** Of those, writes a node that had already left refused as not its key's replica (see the leave test). */
  refusedByLeft: number;
  /** Reads that answered, but not with the value written. */
  wrong: number;
  /** The first few failures, for the assertion message. */
  readonly samples: string[];
  /** Keys whose write was acknowledged, with their values. */
  readonly written: Map<string, string>;
}

/**
 * Clients that keep writing new keys and reading loaded ones through the
 * given nodes, one request in flight per client, until stopped.
 */
export class Workload {
  readonly counts: WorkloadCounts = { writes: 0, reads: 0, failures: 0, refusedByLeft: 0, wrong: 0, samples: [], written: new Map() };
  private stopped = false;
  private readonly loops: Array<Promise<void>> = [];

  /** `existing(i)` names loaded key i (of `loaded`) and its value; new keys are `${prefix}${n}`. */
  constructor(
    private readonly prefix: string,
    private readonly loaded: number,
    private readonly existing: (i: number) => readonly [string, string],
  ) {}

  async start(ports: readonly number[], clientsPerNode = 2): Promise<void> {
    let id = 0;
    for (const port of ports) {
      for (let c = 0; c < clientsPerNode; c++) {
        const client = await PipelinedClient.connect(port);
        this.loops.push(this.loop(client, id++));
      }
    }
  }

  /** Stops the clients and resolves once each finished its request in flight. */
  async stop(): Promise<WorkloadCounts> {
    this.stopped = true;
    await Promise.all(this.loops);
    return this.counts;
  }

  private async loop(client: PipelinedClient, id: number): Promise<void> {
    let n = 0;
    // A fixed stride walks the loaded keys in a scattered but repeatable order.
    let read = (id * 7919) % this.loaded;
    try {
      while (!this.stopped) {
        const key = `${this.prefix}${id}:${n++}`;
        const value = `w-${key}`;
        const w = await this.attempt(client, ['SET', key, value]);
        if (w === 'OK') {
          this.counts.writes++;
          this.counts.written.set(key, value);
        } else this.failed(`SET ${key}: ${show(w)}`);
        read = (read + 104_729) % this.loaded;
        const [k, v] = this.existing(read);
        const r = await this.attempt(client, ['GET', k]);
        if (r instanceof RespReplyError || r instanceof Error) this.failed(`GET ${k}: ${show(r)}`);
        else {
          this.counts.reads++;
          if (r !== v) {
            this.counts.wrong++;
            this.sample(`GET ${k} answered ${show(r)}`);
          }
        }
      }
    } finally {
      client.close();
    }
  }

  private async attempt(client: PipelinedClient, args: string[]): Promise<RespValue | RespReplyError | Error> {
    try {
      return await client.send(...args);
    } catch (e) {
      // A dropped connection counts once and ends this client's loop.
      this.stopped = true;
      return e instanceof Error ? e : new Error(String(e));
    }
  }

  private failed(what: string): void {
    this.counts.failures++;
    if (/is not a replica of the key in its view of the ring/.test(what)) this.counts.refusedByLeft++;
    this.sample(what);
  }

  private sample(what: string): void {
    if (this.counts.samples.length < 10) this.counts.samples.push(what);
  }
}

function show(v: unknown): string {
  if (v instanceof RespReplyError) return v.reply;
  if (v instanceof Error) return v.message;
  return JSON.stringify(v);
}

/** Loads `count` keys through the given nodes (spread over them), pipelined; throws on any error reply. */
export async function loadKeys(ports: readonly number[], count: number, entry: (i: number) => readonly [string, string]): Promise<void> {
  const clients = await Promise.all(ports.map((p) => PipelinedClient.connect(p)));
  try {
    const per = Math.ceil(count / clients.length);
    await Promise.all(
      clients.map(async (c, j) => {
        const cmds: string[][] = [];
        for (let i = j * per; i < Math.min(count, (j + 1) * per); i++) cmds.push(['SET', ...entry(i)]);
        const replies = await c.many(cmds, 500);
        const bad = replies.findIndex((r) => r !== 'OK');
        if (bad >= 0) throw new Error(`SET ${cmds[bad]![1]} answered ${show(replies[bad])}`);
      }),
    );
  } finally {
    for (const c of clients) c.close();
  }
}

/** Where each key is held, as seen by QLOCAL on every node. */
export interface ReplicaReport {
  readonly keys: number;
  /** Keys missing from at least one of their replicas (or holding another value there), with examples. */
  readonly underReplicated: number;
  readonly examples: string[];
  /** Keys each node holds (by node id). */
  readonly heldBy: Map<string, number>;
  /** Keys held by more nodes than their replicas (old owners keep copies after a join). */
  readonly extraCopies: number;
}

/**
 * Checks that every key is held, with its value, by each of its replicas
 * (QKV.REPLICAS through the first node); copies on other nodes are counted,
 * not refused.
 */
export async function checkReplicas(nodes: ReadonlyArray<{ id: string; port: number }>, entries: ReadonlyMap<string, string>): Promise<ReplicaReport> {
  const keys = [...entries.keys()];
  const clients = await Promise.all(nodes.map((n) => PipelinedClient.connect(n.port)));
  try {
    const [replicaLists, ...locals] = await Promise.all([
      clients[0]!.many(keys.map((k) => ['QKV.REPLICAS', k])),
      ...clients.map((c) => c.many(keys.map((k) => ['QLOCAL', k]))),
    ]);
    const heldBy = new Map(nodes.map((n) => [n.id, 0]));
    const examples: string[] = [];
    let under = 0;
    let extra = 0;
    keys.forEach((key, i) => {
      const want = entries.get(key)!;
      const replicas = replicaLists![i] as string[];
      const holders = nodes.filter((_, j) => holds(locals[j]![i]!, want)).map((n) => n.id);
      for (const h of holders) heldBy.set(h, heldBy.get(h)! + 1);
      const missing = replicas.filter((r) => !holders.includes(r));
      if (missing.length > 0 || replicas.length < 3) {
        under++;
        if (examples.length < 10) examples.push(`${key}: replicas ${replicas.join(',')}, held by ${holders.join(',') || 'none'}`);
      }
      if (holders.length > replicas.length) extra++;
    });
    return { keys: keys.length, underReplicated: under, examples, heldBy, extraCopies: extra };
  } finally {
    for (const c of clients) c.close();
  }
}

/** Whether a QLOCAL reply ([context, [values]]) holds exactly `value`. */
function holds(reply: RespValue | RespReplyError, value: string): boolean {
  if (!Array.isArray(reply)) return false;
  const values = reply[1];
  return Array.isArray(values) && values.length === 1 && values[0] === value;
}

/** One range stream as QKV.STATUS reports it. */
export interface StreamDoc {
  id: string;
  kind: string;
  direction: string;
  state: string;
  keys: number;
  bytes: number;
  refetched: number;
  startedAt: number;
  error: string | null;
}

/** Watches a node's streams until stopped: when the first of `kind` appeared and when all of them were done. */
export class StreamWatch {
  firstSeen: number | null = null;
  doneAt: number | null = null;
  last: StreamDoc[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(port: number, kind: string) {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const doc = (await status(port)) as unknown as { streams?: StreamDoc[] };
          const mine = (doc.streams ?? []).filter((s) => s.kind === kind);
          if (mine.length > 0) {
            this.last = mine;
            this.firstSeen ??= Math.min(...mine.map((s) => s.startedAt));
            if (mine.every((s) => s.state === 'done')) this.doneAt ??= Date.now();
          }
        } catch {
          // The node is not up yet, or has stopped.
        }
        await sleep(200);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  keys(): number {
    return this.last.reduce((n, s) => n + s.keys, 0);
  }

  bytes(): number {
    return this.last.reduce((n, s) => n + s.bytes, 0);
  }
}
