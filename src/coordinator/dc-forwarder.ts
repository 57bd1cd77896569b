import { QkvError } from '../core/errors.js';
import { decodeObject } from '../versioning/codec.js';
import { reachable, type DataPath } from './data-path.js';
import type { DcForwardReply, DcForwardRequest } from './dc-forward-messages.js';

/**
 * The forwarder's half of r.dcfwd (dc-forward-messages.ts): merge the version
 * here, send it on to the other replicas of this DC over the LAN, and answer
 * once each has acknowledged it or failed. A replica of this DC that failed
 * gets a durable hint kept here, so its copy travels the LAN later instead of
 * the WAN again; only one with neither copy nor hint is reported failed.
 * With `need`, the answer goes once that many acknowledged, and the rest
 * carry on here (hinted if they fail, left to anti-entropy if even that fails).
 */
export async function forwardInDc(dp: DataPath, req: DcForwardRequest): Promise<DcForwardReply> {
  let obj;
  try {
    obj = decodeObject(req.obj);
  } catch (err) {
    throw new QkvError('ERR', `bad request: ${(err as Error).message}`);
  }
  const reply = { acked: [] as string[], hinted: [] as string[], failed: [] as string[] };
  const mergeOn = (node: string): Promise<void> => {
    if (node === dp.self) return dp.replica.merge(req.key, obj, req.epoch);
    if (!reachable(dp, node)) return Promise.reject(new QkvError('UNAVAILABLE', `${node} is unreachable`));
    return new Promise((resolve, reject) => dp.batch.merge(node, req.key, req.obj, req.epoch, req.timeoutMs, (err) => (err ? reject(err) : resolve())));
  };
  const settle = async (node: string): Promise<void> => {
    try {
      await mergeOn(node);
      reply.acked.push(node);
    } catch (err) {
      dp.log('debug', 'forwarded write to a replica of this DC failed', { node, error: (err as Error).message });
      if (node !== dp.self && dp.hints) {
        try {
          await dp.hints.add(node, req.key, req.obj, req.epoch);
          reply.hinted.push(node);
          return;
        } catch (hintErr) {
          dp.log('debug', 'hint for a replica of this DC not stored', { node, error: (hintErr as Error).message });
        }
      }
      reply.failed.push(node);
    }
  };
  const need = Math.min(req.need ?? req.targets.length, req.targets.length);
  return new Promise<DcForwardReply>((resolve) => {
    let settled = 0;
    let answered = false;
    for (const node of req.targets) {
      void settle(node).then(() => {
        settled++;
        if (answered || (reply.acked.length < need && settled < req.targets.length)) return;
        answered = true;
        const done = new Set([...reply.acked, ...reply.hinted, ...reply.failed]);
        resolve({ acked: [...reply.acked], hinted: [...reply.hinted], failed: [...reply.failed], later: req.targets.filter((id) => !done.has(id)) });
      });
    }
  });
}
