import { QkvError } from '../core/errors.js';
import { reachable, type DataPath } from './data-path.js';
import { parseFlushReply } from './messages.js';

/** Rounds of FLUSHALL before giving up on agreeing a flush epoch. */
const FLUSH_ROUNDS = 3;
/** Clearing a large store takes longer than a read or write. */
const FLUSH_TIMEOUT_FACTOR = 10;

/**
 * FLUSHALL: every member of the ring must be reachable; then each clears its
 * store under a new flush epoch (see ReplicaService), this node included.
 * The epoch is above every node's current one: wall-clock based, and if some
 * node already had a newer one (a FLUSHALL that failed halfway), the round is
 * repeated above it, so afterwards all nodes agree on the epoch.
 */
export async function flushCluster(dp: DataPath, timeoutMs: number): Promise<void> {
  const ids = dp.members.ring().members.map((m) => m.id);
  const nodes = ids.includes(dp.self) ? ids : [dp.self, ...ids];
  const down = nodes.filter((node) => !reachable(dp, node));
  if (down.length > 0) throw new QkvError('UNAVAILABLE', `FLUSHALL needs every node reachable; unreachable: ${down.join(', ')}`);
  await dp.replica.ready();
  let epoch = Math.max(dp.replica.flushEpoch, dp.clock.now()) + 1;
  for (let round = 0; round < FLUSH_ROUNDS; round++) {
    const results = await Promise.allSettled(nodes.map((node) => flushNode(dp, node, epoch, timeoutMs * FLUSH_TIMEOUT_FACTOR)));
    let newer = 0;
    for (let i = 0; i < results.length; i++) {
      const res = results[i]!;
      if (res.status === 'rejected') {
        const e = res.reason instanceof QkvError ? res.reason : new QkvError('ERR', String(res.reason));
        throw new QkvError(e.code, `FLUSHALL failed on ${nodes[i]} (${e.message}); some nodes may already be flushed`);
      }
      if (!res.value.ok) newer = Math.max(newer, res.value.epoch);
    }
    if (newer === 0) return;
    epoch = newer + 1;
  }
  throw new QkvError('ERR', 'FLUSHALL could not agree on a flush epoch with every node; some nodes may already be flushed');
}

async function flushNode(dp: DataPath, node: string, epoch: number, timeoutMs: number): Promise<{ ok: boolean; epoch: number }> {
  if (node === dp.self) return dp.replica.flush(epoch);
  return parseFlushReply(await dp.peers.call(node, { type: 'c.flush', epoch }, timeoutMs));
}
