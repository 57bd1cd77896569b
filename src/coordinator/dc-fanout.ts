import { isQkvError, QkvError } from '../core/errors.js';
import { reachable, type DataPath } from './data-path.js';
import { DC_FORWARD_TYPE, parseDcForwardReply, type DcForwardRequest } from './dc-forward-messages.js';

/** What becomes of each replica of a remote DC, reported back to the write's fan-out. */
export interface DcSendHooks {
  /** The replica has the version, durably. */
  acked(node: string): void;
  /** A durable hint for the replica is kept (in its DC or here): failed for the level's count, and nothing more to do. */
  handled(node: string): void;
  /** Neither copy nor hint: the fan-out handles it as a replica that failed (stand-in or local hint). */
  failed(node: string, err: Error): void;
}

export interface DcSend {
  readonly dc: string;
  readonly key: Buffer;
  /** The version in its stored encoding. */
  readonly obj: Buffer;
  readonly epoch: number;
  /** The key's reachable home replicas in that DC, in preference order; each may act as forwarder. */
  readonly targets: readonly string[];
  readonly timeoutMs: number;
  /** Acknowledgements of this DC the write's level needs (absent: every target's outcome). */
  readonly need?: number;
}

/**
 * Replicates a write to one remote DC with one WAN message (r.dcfwd): the
 * first replica there forwards it to the others. A forwarder that fails
 * (killed, cut off, timed out) is kept among the targets, and the next
 * reachable replica of the DC forwards to all of them, so a forwarder lost
 * mid-stream still gets its copy or a hint in its DC. When no replica of the
 * DC can forward, this node stores a durable hint for each (hint-store.ts
 * bounds the bytes held for a remote DC apart, --dc-hint-max-bytes) and only
 * then reports them handled. A peer too old to forward (it answers ERR) gets
 * the version sent to each replica directly, as before.
 */
export function sendToDc(dp: DataPath, s: DcSend, hooks: DcSendHooks): void {
  const tried = new Set<string>();
  const targets = [...s.targets];
  const attempt = (): void => {
    const forwarder = targets.find((node) => !tried.has(node) && (tried.size === 0 || reachable(dp, node)));
    if (forwarder === undefined) return dcDown();
    tried.add(forwarder);
    dp.metrics?.dcReplicationBytes.inc({ dc: s.dc }, s.obj.length);
    // A forwarder gets half the request's time (a quarter for its own DC, the rest for the WAN round trip), so
    // a second one can still answer within it when the first is lost.
    const msg: DcForwardRequest = { type: DC_FORWARD_TYPE, key: s.key, obj: s.obj, epoch: s.epoch, targets, timeoutMs: Math.max(1, Math.floor(s.timeoutMs / 4)), ...(s.need === undefined ? {} : { need: s.need }) };
    dp.peers.call(forwarder, msg, Math.max(1, Math.floor(s.timeoutMs / 2))).then(
      (raw) => {
        let reply;
        try {
          reply = parseDcForwardReply(raw, targets);
        } catch (err) {
          return forwarderFailed(forwarder, err);
        }
        for (const node of reply.acked) hooks.acked(node);
        // Targets the forwarder carries on after its answer are its to hint: handled, as hinted ones are.
        for (const node of [...reply.hinted, ...reply.later]) hooks.handled(node);
        for (const node of reply.failed) hooks.failed(node, new QkvError('UNAVAILABLE', `${node} not reached through ${forwarder}`));
      },
      (err: unknown) => {
        if (isQkvError(err) && err.code === 'ERR' && /unknown type/.test(err.message)) return direct();
        forwarderFailed(forwarder, err);
      },
    );
  };
  const forwarderFailed = (forwarder: string, err: unknown): void => {
    dp.log('info', 'cross-DC forwarder failed, trying the next replica of its DC', { dc: s.dc, forwarder, error: (err as Error).message });
    attempt();
  };
  const dcDown = (): void => {
    dp.log('debug', 'no replica of a remote DC reachable, keeping hints for it', { dc: s.dc });
    for (const node of targets) {
      if (!dp.hints) {
        hooks.failed(node, new QkvError('UNAVAILABLE', `no replica of ${s.dc} reachable`));
        continue;
      }
      dp.hints.add(node, s.key, s.obj, s.epoch).then(
        () => hooks.handled(node),
        (err: unknown) => hooks.failed(node, err as Error),
      );
    }
  };
  const direct = (): void => {
    for (const node of targets) {
      dp.metrics?.dcReplicationBytes.inc({ dc: s.dc }, s.obj.length);
      dp.batch.merge(node, s.key, s.obj, s.epoch, s.timeoutMs, (err) => (err ? hooks.failed(node, err) : hooks.acked(node)));
    }
  };
  attempt();
}
