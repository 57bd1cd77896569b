import { RespReplyError, sleep, type FaultCluster } from '../support/fault-cluster.js';
import type { Op, WorkloadHistory } from './workloads.js';

/**
 * The disk-replacement scenario as an operator meets it: keys written through
 * a node, the node wiped and restarted under the same id, and its clients
 * overwriting those keys through it the moment it answers. Each overwrite it
 * acknowledges must survive (checked as the overwrite workload: nothing
 * writes these keys afterwards, so none may vanish).
 */
const KEYS = 40;
/** How long an overwrite keeps retrying the refusals of a node's first moments. */
const RETRY_MS = 15_000;

export async function wipeAndOverwrite(cluster: FaultCluster, victim: string, prefix: string, log: (msg: string) => void): Promise<WorkloadHistory> {
  const keys = Array.from({ length: KEYS }, (_, i) => `${prefix}:wo:${i}`);
  const ops: Op[] = [];
  const write = async (key: string, value: string): Promise<void> => {
    const start = Date.now();
    for (;;) {
      try {
        await cluster.call(victim, 'SET', key, value);
        ops.push({ key, value, outcome: 'ok', start, end: Date.now() });
        return;
      } catch (e) {
        const reply = e instanceof RespReplyError ? e.reply : String(e);
        // A write that may have landed (TIMEOUT, a dropped connection) ends the key's history as unknown.
        const retry = e instanceof RespReplyError && /^(UNAVAILABLE|TRYAGAIN)/.test(reply);
        if (!retry || Date.now() - start > RETRY_MS) {
          ops.push({ key, value, outcome: retry ? 'failed' : 'unknown', start, end: Date.now(), error: reply });
          return;
        }
        await sleep(50);
      }
    }
  };
  for (const key of keys) await write(key, `before:${key}`);
  log(`wipe ${victim}, then overwrite ${KEYS} keys through it at once`);
  await cluster.wipe(victim);
  for (const key of keys) await write(key, `after:${key}`);
  return { workload: 'wiped-overwrite', keys, ops, maxSiblings: 0 };
}
