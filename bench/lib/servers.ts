import { readFile } from 'node:fs/promises';
import { builtEntryExists, startNode, startRedisServer, type ServerProcess } from '../../test/support/node-process.js';

/**
 * The servers a benchmark compares: the subject (a QuorumKV node, or a
 * redis-server when checking the benchmark itself) and the redis-server
 * baseline. Everything started here is stopped on return, on error and on
 * SIGINT/SIGTERM.
 */

export type SubjectKind = 'quorumkv' | 'redis';

export interface Started {
  readonly name: string;
  readonly proc: ServerProcess;
  /** Where a QuorumKV subject serves /metrics (its GC time is read there). */
  readonly metricsPort?: number;
}

const started: ServerProcess[] = [];
let signalsHooked = false;

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: stopping the servers this benchmark started\n`);
      void stopAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
}

/** Stops (SIGTERM, then SIGKILL after a deadline) every server started here and removes their temp dirs. */
export async function stopAll(): Promise<void> {
  const all = started.splice(0);
  await Promise.allSettled(all.map((p) => p.dispose()));
}

/** A QuorumKV node, cluster of one, WAL on without fsync; the built CLI when dist/ exists, else tsx. */
export async function startSubject(kind: SubjectKind, redisArgs: readonly string[], nodeArgs: readonly string[] = []): Promise<Started> {
  hookSignals();
  if (kind === 'redis') {
    const proc = await startRedisServer({ args: redisArgs });
    started.push(proc);
    return { name: 'redis (as subject)', proc };
  }
  const entry = builtEntryExists() ? 'built' : 'tsx';
  const proc = await startNode({ entry, sync: false, metricsPort: true, args: nodeArgs });
  started.push(proc);
  const name = `quorumkv (${entry === 'built' ? 'bin/quorumkv.js' : 'tsx src/server/main.ts'})${nodeArgs.length > 0 ? ` ${nodeArgs.join(' ')}` : ''}`;
  return proc.metricsPort === undefined ? { name, proc } : { name, proc, metricsPort: proc.metricsPort };
}

/** The redis-server baseline, with the given persistence options. */
export async function startBaseline(redisArgs: readonly string[]): Promise<Started> {
  hookSignals();
  const proc = await startRedisServer({ args: redisArgs });
  started.push(proc);
  return { name: 'redis-server', proc };
}

/** Resident set size of a process in bytes, from /proc/PID/status (VmRSS). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (m === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

