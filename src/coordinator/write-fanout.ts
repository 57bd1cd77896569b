import { QkvError } from '../core/errors.js';
import { isHintRefusal } from '../handoff/hint-refusal.js';
import type { Ring } from '../ring/ring.js';
import { encodeObject } from '../versioning/codec.js';
import type { VersionedObject } from '../versioning/types.js';
import type { WriteAcks } from './api.js';
import type { DataPath } from './data-path.js';
import { sendToDc } from './dc-fanout.js';
import { spareStandIns, takeStandIn, type WritePlan } from './write-plan.js';
import { ackSummary, levelName, levelVerdict, neededFromDc, type LevelChoice, type PlacedReplica } from './consistency.js';

export interface FanoutParams {
  readonly w: number;
  /** Acknowledgements that must come from home replicas. */
  readonly pw: number;
  readonly timeoutMs: number;
  /** Stand-ins may take the place of home replicas that fail (PW < W). */
  readonly sloppy: boolean;
  /** A consistency level instead of W and PW: acknowledged once the level's rule is met by home replicas. */
  readonly level?: LevelChoice;
}

export interface FanoutWrite {
  readonly key: Buffer;
  readonly hash: bigint;
  readonly ring: Ring;
  readonly n: number;
  readonly obj: VersionedObject;
  /** The coordinating replica's own put. */
  readonly durable: Promise<void>;
  readonly epoch: number;
}

/**
 * Sends a stored write to the rest of its plan and resolves with the
 * acknowledgements once W replicas (home replicas and stand-ins) have it, at
 * least PW of them home replicas. Rejects with UNAVAILABLE as soon as that
 * can no longer happen, TIMEOUT when it did not within the timeout; either
 * way the write may be present on some replicas, and everything still on
 * its way (stand-ins, hints) carries on after the answer.
 *
 * A home replica that fails gets a stand-in (sloppy quorum, one at most, a
 * candidate no other home replica of this write uses), or else this node
 * keeps its copy as a hint. A stand-in that refuses the hint (HINTREFUSED:
 * its bound for the owner is reached, or it cannot store it) is replaced by
 * the next unused candidate clockwise; a stand-in that fails, or a refusal
 * with no candidate left, leaves the hint here. Only a stand-in that answered
 * "stored" counts toward W, so when refusals leave W out of reach the write
 * fails with UNAVAILABLE, as it does when replicas are unreachable. Hints
 * this node keeps never count.
 */
export function fanOut(dp: DataPath, write: FanoutWrite, plan: WritePlan, p: FanoutParams): Promise<WriteAcks> {
  const { key, obj, epoch } = write;
  const total = plan.home.length;
  let encoded: Buffer | undefined;
  const enc = (): Buffer => (encoded ??= encodeObject(obj));
  let spare: string[] | undefined;

  const hintLocally = (owner: string): void => {
    if (!dp.hints) return;
    dp.hints.add(owner, key, enc(), epoch).catch((err: unknown) =>
      // A refusal is reported (and counted) by the hint store itself.
      dp.log(isHintRefusal(err) ? 'debug' : 'warn', 'hint not stored', { owner, error: (err as Error).message }),
    );
  };
  const nextStandIn = (owner: string): string | undefined => {
    spare ??= p.sloppy ? spareStandIns(dp, write.ring, write.hash, write.n, plan) : [];
    return takeStandIn(write.ring, spare, owner);
  };
  for (const owner of plan.localHints) hintLocally(owner);
  for (const node of plan.pending) {
    dp.batch.merge(node, key, enc(), epoch, p.timeoutMs, (err) => {
      if (err) dp.log('info', 'write to a pending owner failed', { node, error: err.message });
    });
  }
  if (plan.pendingDown.length > 0) dp.log('debug', 'pending owners unreachable, left to range streaming', { nodes: plan.pendingDown });

  /** Why this node's own put failed, for the answer (the write may still be on the others). */
  let ownFailure = '';
  const maybePresent = (): string => (ownFailure ? `; ${ownFailure}, the write may be present on other replicas` : '; the write may be present on some replicas');

  // This node is the only replica written to (a cluster of one): no timer, no encoding.
  if (plan.upHome.length === 1 && plan.standIns.length === 0 && !p.level) {
    return write.durable.then(
      () => ({ home: 1, total: 1 }),
      (err: unknown) => {
        dp.log('debug', 'replica write failed', { node: dp.self, error: (err as Error).message });
        throw new QkvError('UNAVAILABLE', `0 of ${total} replicas acknowledged, ${p.w} needed: ${(err as Error).message}`);
      },
    );
  }

  function unavailable(home: number, stand: number, homeShort: boolean): QkvError {
    if (homeShort) return new QkvError('UNAVAILABLE', `${home} of ${total} home replicas acknowledged, ${minHome} needed${maybePresent()}`);
    return new QkvError('UNAVAILABLE', `${home + stand} of ${total} replicas acknowledged${standIns(stand)}, ${p.w} needed${maybePresent()}`);
  }

  // At least one home replica must hold the write as data, whatever PW says: stand-ins keep hints, and
  // hints are dropped past the tombstone grace, so a write held only as hints could be lost. (The
  // coordinator's own put is one such copy; it no longer lands before the others are asked.)
  const minHome = Math.max(p.pw, 1);
  // With a level, which home replicas answered counts, and where they are.
  const placed: PlacedReplica[] = p.level ? plan.home.map((id) => ({ id, dc: write.ring.dcOf(id) ?? '' })) : [];
  const ackedHome = new Set<string>();
  const failedHome = new Set<string>(plan.home.filter((node) => !plan.upHome.includes(node)));
  // The cross-DC replication lag: from here to each remote DC replica's acknowledgement.
  const startedAt = dp.clock.monotonic();
  const ownDc = write.ring.replicasPerDc ? write.ring.dcOf(dp.self) : undefined;
  const lagOf = (node: string): void => {
    const dc = ownDc === undefined ? undefined : write.ring.dcOf(node);
    if (dc === undefined || dc === ownDc) return;
    const seconds = (dp.clock.monotonic() - startedAt) / 1000;
    dp.metrics?.dcReplicationLag.observe({ dc }, seconds);
    dp.dcLag?.observe(dc, seconds * 1000);
  };
  const levelShort = (level: LevelChoice, within: string): string =>
    `${levelName(level.cl)} (from ${level.dc}) not met${within}: ${ackSummary(placed, ackedHome)} replicas acknowledged`;
  return new Promise<WriteAcks>((resolve, reject) => {
    let homeOk = 0;
    let standOk = 0;
    let homeLeft = plan.upHome.length;
    let standLeft = 0;
    let settled = false;
    const timer = dp.clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      if (p.level) return reject(new QkvError('TIMEOUT', `${levelShort(p.level, ` within ${p.timeoutMs} ms`)}${maybePresent()}`));
      const why =
        homeOk + standOk >= p.w
          ? `${homeOk} of ${total} home replicas acknowledged within ${p.timeoutMs} ms, ${minHome} needed`
          : `${homeOk + standOk} of ${total} replicas acknowledged${standIns(standOk)} within ${p.timeoutMs} ms, ${p.w} needed`;
      reject(new QkvError('TIMEOUT', `${why}${maybePresent()}`));
    }, p.timeoutMs);
    const check = (): void => {
      if (settled) return;
      if (p.level) {
        const verdict = levelVerdict(p.level.cl, placed, p.level.dc, ackedHome, failedHome);
        if (verdict === 'waiting') return;
        settled = true;
        timer.cancel();
        if (verdict === 'satisfied') resolve({ home: homeOk, total: homeOk + standOk });
        else reject(new QkvError('UNAVAILABLE', `${levelShort(p.level, '')}${maybePresent()}`));
        return;
      }
      if (homeOk + standOk >= p.w && homeOk >= minHome) {
        settled = true;
        timer.cancel();
        resolve({ home: homeOk, total: homeOk + standOk });
      } else if (homeOk + standOk + homeLeft + standLeft < p.w) {
        settled = true;
        timer.cancel();
        reject(unavailable(homeOk, standOk, false));
      } else if (homeOk + homeLeft < minHome) {
        settled = true;
        timer.cancel();
        reject(unavailable(homeOk, standOk, true));
      }
    };
    const toStandIn = (owner: string, standIn: string): void => {
      standLeft++;
      dp.peers.call(standIn, { type: 'h.store', key, obj: enc(), epoch, owner }, p.timeoutMs).then(
        () => {
          standLeft--;
          standOk++;
          check();
        },
        (err: unknown) => {
          const refused = isHintRefusal(err);
          dp.log('debug', refused ? 'stand-in refused the hint' : 'stand-in write failed', { node: standIn, owner, error: (err as Error).message });
          // Started before this one is given up, so the quorum is never judged out of reach in between.
          const next = refused ? nextStandIn(owner) : undefined;
          if (next) toStandIn(owner, next);
          else hintLocally(owner);
          standLeft--;
          check();
        },
      );
    };
    const homeAcked = (node: string): void => {
      lagOf(node);
      homeLeft--;
      homeOk++;
      ackedHome.add(node);
      check();
    };
    const homeFailed = (node: string, err: unknown): void => {
      failedHome.add(node);
      dp.log('debug', 'replica write failed', { node, error: (err as Error).message });
      if (node === dp.self) ownFailure = (err as Error).message;
      else {
        const standIn = nextStandIn(node);
        if (standIn) toStandIn(node, standIn);
        else hintLocally(node);
      }
      homeLeft--;
      check();
    };
    /** A replica of a remote DC whose durable hint is kept (there or here): failed for the count, nothing more to do. */
    const homeHinted = (node: string): void => {
      failedHome.add(node);
      homeLeft--;
      check();
    };
    for (const [owner, standIn] of plan.standIns) toStandIn(owner, standIn);
    write.durable.then(() => homeAcked(dp.self), (err: unknown) => homeFailed(dp.self, err));
    // Replicas in another DC get the write through one forwarder per DC (dc-fanout.ts): one WAN message each.
    const remote = new Map<string, string[]>();
    for (const node of plan.upHome) {
      if (node === dp.self) continue;
      const dc = ownDc === undefined ? undefined : write.ring.dcOf(node);
      if (dc !== undefined && dc !== ownDc) {
        const list = remote.get(dc);
        if (list) list.push(node);
        else remote.set(dc, [node]);
        continue;
      }
      dp.batch.merge(node, key, enc(), epoch, p.timeoutMs, (err) => (err ? homeFailed(node, err) : homeAcked(node)));
    }
    const hooks = { acked: homeAcked, handled: homeHinted, failed: homeFailed };
    for (const [dc, targets] of remote) {
      // With a level, the forwarder may answer once the DC has given what the level needs of it.
      const need = p.level ? neededFromDc(p.level, dc, placed.filter((r) => r.dc === dc).length) : undefined;
      sendToDc(dp, { dc, key, obj: enc(), epoch, targets, timeoutMs: p.timeoutMs, ...(need === undefined ? {} : { need }) }, hooks);
    }
  });
}

function standIns(k: number): string {
  return k > 0 ? ` (${k} of them stand-ins)` : '';
}
