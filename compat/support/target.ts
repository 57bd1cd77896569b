import { startNode, startRedisServer, type ServerProcess, type Teardown } from '../../test/support/node-process.js';

/**
 * Which server the compat suite drives. QuorumKV by default; with
 * QKV_COMPAT_TARGET=redis the same tests run against a real redis-server,
 * which is how the tests themselves are checked to expect what Redis does.
 */
export type TargetKind = 'quorumkv' | 'redis';

export const TARGET: TargetKind = process.env.QKV_COMPAT_TARGET === 'redis' ? 'redis' : 'quorumkv';

export const isQuorumKV = TARGET === 'quorumkv';

export interface TargetOptions {
  readonly requirepass?: string;
  /** Writes must survive kill -9 (redis-server: AOF on, fsync always). */
  readonly durable?: boolean;
}

/** Starts the server under test on free ports; stopped when `t` ends. */
export async function startTarget(t: Teardown, opts: TargetOptions = {}): Promise<ServerProcess> {
  if (TARGET === 'redis') {
    const args = opts.durable === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : [];
    return startRedisServer({ t, requirepass: opts.requirepass, args });
  }
  return startNode({ t, requirepass: opts.requirepass });
}
