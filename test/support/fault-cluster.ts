import { mkdir, rm } from 'node:fs/promises';
import { RespClient, RespReplyError, type RespValue } from '../../src/server/resp-client.js';
import { freeTcpUdpPort } from './free-port.js';
import { startNode, type NodeProcess, type NodeTls, type Teardown } from './node-process.js';

/**
 * A cluster of real `quorumkv server` processes started with --debug, for
 * fault tests: crash (kill -9) and restart, pause (SIGSTOP) and resume,
 * partitions of any shape, one-way or both ways, clock offsets, and a node
 * wiped and rebuilt under the same id. Faults are applied through QKV.DEBUG on
 * each node, and re-applied to a node when it restarts, so a partition
 * outlives a crash as a real one would. Only processes started here are
 * signalled, by their own pid.
 */
export interface FaultClusterOptions {
  readonly t?: Teardown;
  /** Nodes, ids node1..nodeK (default 3). */
  readonly nodes?: number;
  readonly n?: number;
  readonly r?: number;
  readonly w?: number;
  /**
   * Datacenters (default 1): the nodes are split evenly into dc1..dcK, each
   * keeping min(3, its nodes) replicas of every key (--replicas-per-dc).
   */
  readonly dcs?: number;
  /** --request-timeout-ms: short, so dropped requests fail fast (default 1000). */
  readonly requestTimeoutMs?: number;
  readonly args?: readonly string[];
  /** TLS files for every node; with `cluster: true` peer TCP is mutual TLS (--tls-cluster yes). */
  readonly tls?: NodeTls;
}

export interface FaultNode {
  readonly id: string;
  readonly proc: NodeProcess;
  readonly port: number;
  paused: boolean;
}

/** What one node has been told to drop, kept to re-apply after a restart. */
interface NodeFaults {
  both: Set<string>;
  outOnly: Set<string>;
  clockOffsetMs: number;
}

export class FaultCluster {
  private readonly faults = new Map<string, NodeFaults>();

  private constructor(
    readonly nodes: readonly FaultNode[],
    /** Replication factor the nodes run with. */
    readonly n: number,
    /** The node ids of each datacenter (one list when the cluster has no DCs). */
    readonly dcs: ReadonlyArray<readonly string[]>,
  ) {
    for (const n of nodes) this.faults.set(n.id, { both: new Set(), outOnly: new Set(), clockOffsetMs: 0 });
  }

  /** Starts the nodes, each seeded with all others, and waits until every node sees every other alive. */
  static async start(opts: FaultClusterOptions = {}): Promise<FaultCluster> {
    const count = opts.nodes ?? 3;
    const dcCount = opts.dcs ?? 1;
    const perDc = Math.floor(count / dcCount);
    if (dcCount < 1 || perDc < 1 || perDc * dcCount !== count) throw new Error(`${count} nodes do not split evenly into ${dcCount} DCs`);
    const dcOf = (i: number): string => `dc${1 + Math.floor(i / perDc)}`;
    const layout = Array.from({ length: dcCount }, (_, d) => `dc${d + 1}:${Math.min(3, perDc)}`).join(',');
    const n = opts.n ?? (dcCount > 1 ? dcCount * Math.min(3, perDc) : Math.min(3, count));
    const peers: number[] = [];
    for (let i = 0; i < count; i++) peers.push(await freeTcpUdpPort());
    const procs = await Promise.all(
      peers.map((peerPort, i) => {
        // Every node is a seed (itself included): a fresh or wiped node starts normal and is rebuilt by repair.
        const seeds = peers.map((p) => `127.0.0.1:${p}`);
        const args = ['--node-id', `node${i + 1}`, '--debug', '--request-timeout-ms', String(opts.requestTimeoutMs ?? 1000), '--log-level', 'warn'];
        if (seeds.length > 0) args.push('--seeds', seeds.join(','));
        if (dcCount > 1) args.push('--dc', dcOf(i), '--replicas-per-dc', layout);
        return startNode({ t: opts.t, n, r: opts.r ?? 2, w: opts.w ?? 2, peerPort, tls: opts.tls, args: [...args, ...(opts.args ?? [])] });
      }),
    );
    const cluster = new FaultCluster(
      procs.map((proc, i) => ({ id: `node${i + 1}`, proc, port: proc.port, paused: false })),
      n,
      Array.from({ length: dcCount }, (_, d) => procs.map((_, i) => `node${i + 1}`).filter((_, i) => dcOf(i) === `dc${d + 1}`)),
    );
    opts.t?.teardown(() => cluster.stop());
    await cluster.waitForMembers();
    return cluster;
  }

  get ids(): string[] {
    return this.nodes.map((n) => n.id);
  }

  node(id: string): FaultNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Nodes that run and are not paused: those that can answer commands. */
  live(): FaultNode[] {
    return this.nodes.filter((n) => n.proc.running && !n.paused);
  }

  /** One command on a fresh connection to a node; error replies reject with RespReplyError. */
  async call(id: string, ...args: string[]): Promise<RespValue> {
    const c = await RespClient.connect({ host: '127.0.0.1', port: this.node(id).port, timeoutMs: 5000 });
    try {
      return await c.call(...args);
    } finally {
      c.close();
    }
  }

  /** A QKV.DEBUG subcommand on one node. */
  debug(id: string, ...args: string[]): Promise<RespValue> {
    return this.call(id, 'QKV.DEBUG', ...args);
  }

  /**
   * Waits until every live node sees exactly `expected` alive (default: the
   * live nodes, when no partition is in effect). Throws after timeoutMs with the views.
   */
  async waitForMembers(expected: (id: string) => readonly string[] = () => this.live().map((n) => n.id), timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const views = await Promise.all(
        this.live().map(async (n) => {
          try {
            const doc = JSON.parse(String(await this.call(n.id, 'QKV.STATUS'))) as { members: Array<{ id: string; status: string }> };
            const alive = doc.members.filter((m) => m.status === 'alive').map((m) => m.id).sort();
            return { id: n.id, alive, ok: JSON.stringify(alive) === JSON.stringify([...expected(n.id)].sort()) };
          } catch (e) {
            return { id: n.id, alive: [String(e)], ok: false };
          }
        }),
      );
      if (views.every((v) => v.ok)) return;
      last = JSON.stringify(views);
      if (Date.now() > deadline) throw new Error(`members did not converge within ${timeoutMs} ms: ${last}`);
      await sleep(200);
    }
  }

  /** A crash: SIGKILL, no chance to flush anything not yet in the WAL. */
  async kill(id: string): Promise<void> {
    const n = this.node(id);
    n.paused = false;
    await n.proc.kill9();
  }

  /** Starts a stopped node again (same ports, data dir and id), waits for PING and re-applies its faults. */
  async restart(id: string): Promise<void> {
    const n = this.node(id);
    if (!n.proc.running) n.proc.spawn();
    await n.proc.ready();
    await this.apply(id);
  }

  /** SIGSTOP: the process stays, its sockets stay open, nothing is answered. */
  pause(id: string): void {
    const n = this.node(id);
    process.kill(n.proc.pid, 'SIGSTOP');
    n.paused = true;
  }

  /** SIGCONT, then re-applies the faults changed while it was paused. */
  async resume(id: string): Promise<void> {
    if (!this.cont(id)) return;
    await this.apply(id);
  }

  private cont(id: string): boolean {
    const n = this.node(id);
    if (!n.paused) return false;
    if (n.proc.running) process.kill(n.proc.pid, 'SIGCONT');
    n.paused = false;
    return n.proc.running;
  }

  /** Crash, delete everything in the data dir, start again under the same id (as a replaced disk). */
  async wipe(id: string): Promise<void> {
    const n = this.node(id);
    await this.kill(id);
    await rm(n.proc.dataDir, { recursive: true, force: true });
    await mkdir(n.proc.dataDir, { recursive: true });
    await this.restart(id);
  }

  /** Splits the cluster into groups that cannot reach each other (both ways); nodes in no group are cut off from all. */
  async partition(groups: ReadonlyArray<readonly string[]>): Promise<void> {
    const groupOf = new Map<string, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const a of this.ids) {
      const f = this.faults.get(a)!;
      for (const b of this.ids) {
        if (a !== b && (groupOf.get(a) === undefined || groupOf.get(a) !== groupOf.get(b))) {
          f.both.add(b);
          f.outOnly.delete(b);
        }
      }
    }
    await this.applyAll();
  }

  /** Traffic from each of `from` to each of `to` is dropped; the other direction still flows. */
  async partitionOneWay(from: readonly string[], to: readonly string[]): Promise<void> {
    for (const a of from) {
      const f = this.faults.get(a)!;
      for (const b of to) if (a !== b && !f.both.has(b)) f.outOnly.add(b);
    }
    await this.applyAll();
  }

  /** Ends every partition (clock offsets stay). */
  async heal(): Promise<void> {
    for (const f of this.faults.values()) {
      f.both.clear();
      f.outOnly.clear();
    }
    await this.applyAll();
  }

  /** Shifts one node's wall clock by ms (0 to undo). */
  async clockOffset(id: string, ms: number): Promise<void> {
    this.faults.get(id)!.clockOffsetMs = ms;
    await this.apply(id);
  }

  /** Ends every fault: paused nodes resume, stopped ones restart, partitions heal, clocks are set right; waits for full membership. */
  async recover(): Promise<void> {
    for (const n of this.nodes) this.cont(n.id);
    for (const f of this.faults.values()) {
      f.both.clear();
      f.outOnly.clear();
      f.clockOffsetMs = 0;
    }
    await Promise.all(this.nodes.map((n) => this.restart(n.id)));
    await this.waitForMembers();
    await this.waitForQuorum();
  }

  /**
   * Waits until a read at R=N through every node succeeds: membership can call
   * a restarted peer alive (it heard from it) before this node's own
   * connection to it is back.
   */
  async waitForQuorum(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const n of this.live()) {
      for (;;) {
        try {
          await this.call(n.id, 'QGET', `fault-cluster:probe:${n.id}`, 'R', String(this.n));
          break;
        } catch (e) {
          if (Date.now() > deadline) throw new Error(`reads at R=${this.n} through ${n.id} still fail: ${String(e)}`);
          await sleep(100);
        }
      }
    }
  }

  /** RESP ports of the nodes that can answer, by id. */
  livePorts(): Map<string, number> {
    return new Map(this.live().map((n) => [n.id, n.port]));
  }

  /** Resumes paused nodes and stops every node (SIGTERM, then SIGKILL), by pid. */
  async stop(): Promise<void> {
    for (const n of this.nodes) this.cont(n.id);
    await Promise.all(this.nodes.map((n) => n.proc.dispose()));
  }

  private async applyAll(): Promise<void> {
    await Promise.all(this.live().map((n) => this.apply(n.id)));
  }

  /** Tells a node its faults from scratch (a restarted node has forgotten them). */
  private async apply(id: string): Promise<void> {
    if (this.node(id).paused || !this.node(id).proc.running) return;
    const f = this.faults.get(id)!;
    await this.debug(id, 'HEAL');
    if (f.both.size > 0) await this.debug(id, 'PARTITION', ...f.both);
    if (f.outOnly.size > 0) await this.debug(id, 'PARTITION-ONEWAY', ...f.outOnly);
    await this.debug(id, 'CLOCK-OFFSET', String(f.clockOffsetMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export { RespReplyError };
