import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalCluster, type NodeLaunch } from './local-cluster.js';

/**
 * `quorumkv cluster`: a local cluster in one command. Starts --nodes server
 * processes on consecutive ports, each seeded with the others, forwards their
 * logs prefixed with the node name, and stops them all cleanly on Ctrl-C or
 * SIGTERM. Options it does not know are passed to every node.
 */
export const CLUSTER_USAGE = `Usage: quorumkv cluster [options] [server options for every node]

Runs a local cluster: node<i> serves RESP on base-port + i - 1, peers on
peer-base-port + i - 1, metrics on metrics-base-port + i - 1, and keeps its
data in <data-dir>/node<i>. Ctrl-C stops every node.

  --nodes K               nodes to start (default 3); with --dcs, nodes per DC
  --dcs D                 D datacenters dc1..dcD of K nodes each, with
                          --replicas-per-dc dcX:N for every DC (default 1: no DCs)
  --base-port P           RESP port of node1 (default 7001)
  --peer-base-port P      peer port of node1 (default base-port + 10000)
  --metrics-base-port P   metrics port of node1 (default 9101)
  --no-metrics            no metrics listeners
  --data-dir D            parent of the nodes' data dirs (default ./data/cluster)
  --bind ADDR             address every node binds (default 127.0.0.1)
  --n N --r R --w W       replication and quorums (default 3 2 2, at most the node count);
                          with --dcs, N is per DC and plain commands run at LOCAL_QUORUM
  --stop-timeout MS       wait this long for a node to stop before SIGKILL (default 10000)
  --help                  print this text
`;

export class ClusterUsageError extends Error {}

export interface ClusterArgs {
  /** Nodes in all (nodes per DC times DCs). */
  readonly nodes: number;
  /** Datacenters the nodes are spread over, `nodes / dcs` each (1: none named). */
  readonly dcs: number;
  readonly basePort: number;
  readonly peerBasePort: number;
  readonly metricsBasePort: number | null;
  readonly dataDir: string;
  readonly bind: string;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly stopTimeoutMs: number;
  /** Options for every node that this command does not interpret. */
  readonly passthrough: readonly string[];
  readonly help: boolean;
}

const VALUE_OPTIONS = new Set(['--nodes', '--dcs', '--base-port', '--peer-base-port', '--metrics-base-port', '--data-dir', '--bind', '--n', '--r', '--w', '--stop-timeout']);

export function parseClusterArgs(argv: readonly string[]): ClusterArgs {
  const given = new Map<string, string>();
  const passthrough: string[] = [];
  let metrics = true;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--no-metrics') metrics = false;
    else if (VALUE_OPTIONS.has(arg)) {
      const v = argv[++i];
      if (v === undefined) throw new ClusterUsageError(`${arg} needs a value`);
      given.set(arg, v);
    } else passthrough.push(arg);
  }
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const text = given.get(name);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      throw new ClusterUsageError(`${name} expects an integer from ${min} to ${max}, got '${text}'`);
    }
    return Number(text);
  };
  const dcs = int('--dcs', 1, 1, 8);
  const perDc = int('--nodes', 3, 1, 64);
  if (perDc * dcs > 64) throw new ClusterUsageError(`--nodes times --dcs is ${perDc * dcs}, more than 64`);
  const nodes = perDc * dcs;
  const basePort = int('--base-port', 7001, 1, 65535 - nodes + 1);
  const peerBasePort = int('--peer-base-port', basePort + 10000, 1, 65535 - nodes + 1);
  const metricsBasePort = metrics ? int('--metrics-base-port', 9101, 1, 65535 - nodes + 1) : null;
  if (peerBasePort + nodes - 1 > 65535) throw new ClusterUsageError(`peer ports would go past 65535; set --peer-base-port`);
  const overlaps = (a: number, b: number): boolean => Math.abs(a - b) < nodes;
  if (overlaps(basePort, peerBasePort) || (metricsBasePort !== null && (overlaps(metricsBasePort, basePort) || overlaps(metricsBasePort, peerBasePort)))) {
    throw new ClusterUsageError('the RESP, peer and metrics port ranges overlap');
  }
  // Without explicit quorums a smaller cluster gets N = nodes and majority quorums, so it can serve writes.
  // With DCs, N is per DC: each DC keeps N replicas of every key.
  const n = int('--n', Math.min(3, perDc), 1, dcs > 1 ? perDc : 64);
  const majority = Math.floor(n / 2) + 1;
  const r = int('--r', Math.min(2, majority), 1, n);
  const w = int('--w', Math.min(2, majority), 1, n);
  return {
    nodes,
    dcs,
    basePort,
    peerBasePort,
    metricsBasePort,
    dataDir: given.get('--data-dir') ?? './data/cluster',
    bind: given.get('--bind') ?? '127.0.0.1',
    n,
    r,
    w,
    stopTimeoutMs: int('--stop-timeout', 10_000, 1, 600_000),
    passthrough,
    help,
  };
}

/** The node id kept in a data dir, if any. */
function storedNodeId(dir: string): string | undefined {
  const file = join(dir, 'node-id');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** What each node is started with. Nodes are named node1..nodeK, and so are their ids unless a data dir already holds another. */
export function planCluster(args: ClusterArgs, readNodeId: (dir: string) => string | undefined = storedNodeId): NodeLaunch[] {
  const root = resolve(args.dataDir);
  const peerHost = args.bind === '0.0.0.0' || args.bind === '::' ? '127.0.0.1' : args.bind;
  const seedOf = (i: number): string => `${peerHost.includes(':') ? `[${peerHost}]` : peerHost}:${args.peerBasePort + i}`;
  return Array.from({ length: args.nodes }, (_, i) => {
    const name = `node${i + 1}`;
    const dataDir = join(root, name);
    const port = args.basePort + i;
    const peerPort = args.peerBasePort + i;
    const metricsPort = args.metricsBasePort === null ? null : args.metricsBasePort + i;
    // Every node is a seed, itself included: seeds start owning their ranges at once. One node needs none.
    const seeds = args.nodes > 1 ? Array.from({ length: args.nodes }, (_, j) => j).map(seedOf) : [];
    const serverArgs = ['--port', String(port), '--peer-port', String(peerPort), '--bind', args.bind, '--data-dir', dataDir];
    if (args.dcs > 1) {
      // N replicas in each DC; the node's N is their sum, and plain commands default to LOCAL_QUORUM.
      const perDc = args.nodes / args.dcs;
      const dcs = Array.from({ length: args.dcs }, (_, d) => `dc${d + 1}:${args.n}`).join(',');
      serverArgs.push('--dc', `dc${Math.floor(i / perDc) + 1}`, '--replicas-per-dc', dcs, '--n', String(args.n * args.dcs), '--r', String(args.r), '--w', String(args.w));
    } else serverArgs.push('--n', String(args.n), '--r', String(args.r), '--w', String(args.w));
    if (seeds.length > 0) serverArgs.push('--seeds', seeds.join(','));
    if (metricsPort !== null) serverArgs.push('--metrics-port', String(metricsPort));
    const stored = readNodeId(dataDir);
    if (stored === undefined || stored === name) serverArgs.push('--node-id', name);
    serverArgs.push(...args.passthrough);
    return { name, port, peerPort, metricsPort, dataDir, host: peerHost, args: serverArgs };
  });
}

export interface ClusterIo {
  out(text: string): void;
  err(text: string): void;
}

export interface ClusterRunOptions {
  /** How to run this program again: [node options..., script]. Default: the way this process was started. */
  readonly entry?: readonly string[];
  /** Calls stop once the cluster should stop. Default: on SIGINT or SIGTERM. */
  readonly stopOn?: (stop: (why: string) => void) => () => void;
  readonly readyTimeoutMs?: number;
  /** Environment of the nodes. Default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Calls stop on SIGINT or SIGTERM sent to `proc` (this process by default); returns the unhook. */
export function onSignals(stop: (why: string) => void, proc: Pick<NodeJS.EventEmitter, 'on' | 'off'> = process): () => void {
  const onInt = (): void => stop('SIGINT');
  const onTerm = (): void => stop('SIGTERM');
  proc.on('SIGINT', onInt);
  proc.on('SIGTERM', onTerm);
  return () => {
    proc.off('SIGINT', onInt);
    proc.off('SIGTERM', onTerm);
  };
}

/** Runs the command until it is stopped; returns the exit code (0 clean stop, 1 a node failed, 2 bad usage). */
export async function runCluster(argv: readonly string[], io: ClusterIo, opts: ClusterRunOptions = {}): Promise<number> {
  let args: ClusterArgs;
  try {
    args = parseClusterArgs(argv);
  } catch (e) {
    if (!(e instanceof ClusterUsageError)) throw e;
    io.err(`quorumkv cluster: ${e.message}\n\n${CLUSTER_USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(CLUSTER_USAGE);
    return 0;
  }
  const plan = planCluster(args);
  const entry = opts.entry ?? [...process.execArgv, process.argv[1] ?? ''];
  io.out(`starting ${plan.length} node(s), N=${args.n} R=${args.r} W=${args.w}:\n`);
  for (const p of plan) {
    const metrics = p.metricsPort === null ? '' : `  metrics http://${p.host}:${p.metricsPort}/metrics`;
    io.out(`  ${p.name}: RESP ${p.host}:${p.port}  peer ${p.host}:${p.peerPort}${metrics}  data ${p.dataDir}\n`);
  }
  const cluster = LocalCluster.start(plan, { entry, out: io.out, ...(opts.env ? { env: opts.env } : {}) });
  let stopWhy: string | null = null;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (wake = r));
  const unhook = (opts.stopOn ?? ((stop) => onSignals(stop)))((why) => {
    if (stopWhy !== null) {
      io.out(`(${why}: already stopping)\n`);
      return;
    }
    stopWhy = why;
    wake();
  });
  try {
    const started = await Promise.race([cluster.ready(opts.readyTimeoutMs ?? 60_000).then(() => 'ready' as const), stopped.then(() => 'stop' as const)]);
    if (started === 'ready') {
      io.out(`cluster ready: redis-cli -p ${plan[0]!.port}; quorumkv status -p ${plan[0]!.port}; Ctrl-C stops it\n`);
      await Promise.race([stopped, cluster.unexpectedExit()]);
    }
  } catch (e) {
    io.err(`quorumkv cluster: ${(e as Error).message}\n`);
  }
  const unexpected = stopWhy === null;
  io.out(unexpected ? 'stopping the cluster: a node stopped unexpectedly\n' : `stopping the cluster (${String(stopWhy)})\n`);
  const clean = await cluster.stop(args.stopTimeoutMs);
  unhook();
  io.out(clean && !unexpected ? 'all nodes stopped\n' : 'the cluster stopped with errors\n');
  return clean && !unexpected ? 0 : 1;
}
