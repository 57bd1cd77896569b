import type { Ring } from '../ring/ring.js';
import { reachable, type DataPath } from './data-path.js';

/**
 * Where one write goes, decided before it is sent:
 *
 * - home: the key's preference list (first N owners of the current ring);
 *   the reachable ones get the write ('r.merge') and count toward W and PW.
 * - stand-ins (sloppy quorum only): each unreachable home replica gets the
 *   next healthy owner clockwise beyond the first N, which keeps its copy as
 *   a hint ('h.store') and counts toward W (not PW). A home replica gets at
 *   most one stand-in; a stand-in is never a home replica, a pending owner
 *   or a leaving member (it would leave with the hints).
 *   With replicas per DC, the first such owner in the down replica's own DC
 *   is taken first (a stand-in across the WAN only when the DC has none).
 * - local hints: a home replica with no stand-in (none left, or sloppy quorum
 *   off) has its copy kept as a hint by this node; that never counts.
 * - pending: while members join or leave, the owners the key will have
 *   (ring.writeTargets beyond the home list) get the write too, uncounted.
 */
export interface WritePlan {
  readonly home: readonly string[];
  readonly upHome: readonly string[];
  readonly standIns: ReadonlyArray<readonly [owner: string, standIn: string]>;
  readonly localHints: readonly string[];
  readonly pending: readonly string[];
  readonly pendingDown: readonly string[];
}

/** `known`: the key's home list on this ring, when the caller already looked it up. */
export function planWrite(dp: DataPath, ring: Ring, hash: bigint, n: number, sloppy: boolean, known?: readonly string[]): WritePlan {
  const home = known ?? ring.preferenceList(hash, n);
  // Only while members join or leave does a key have owners beyond its home list (looked up once otherwise).
  const extra = ring.hasPendingChanges ? ring.writeTargets(hash, n).slice(home.length) : [];
  const upHome = home.filter((node) => reachable(dp, node));
  const downHome = home.filter((node) => !upHome.includes(node));
  const spare = sloppy && downHome.length > 0 ? standInCandidates(dp, ring, hash, n, extra) : [];
  const standIns: Array<[string, string]> = [];
  const localHints: string[] = [];
  for (const owner of downHome) {
    const standIn = takeStandIn(ring, spare, owner);
    if (standIn) standIns.push([owner, standIn]);
    else localHints.push(owner);
  }
  return {
    home,
    upHome,
    standIns,
    localHints,
    pending: extra.filter((node) => reachable(dp, node)),
    pendingDown: extra.filter((node) => !reachable(dp, node)),
  };
}

/** Stand-in candidates the plan has not used, best first: for home replicas that fail during the write. */
export function spareStandIns(dp: DataPath, ring: Ring, hash: bigint, n: number, plan: WritePlan): string[] {
  const extra = [...plan.pending, ...plan.pendingDown];
  const used = new Set(plan.standIns.map(([, s]) => s));
  return standInCandidates(dp, ring, hash, n, extra).filter((node) => !used.has(node));
}

function standInCandidates(dp: DataPath, ring: Ring, hash: bigint, n: number, extra: readonly string[]): string[] {
  return ring.fallbacks(hash, n, (node) => node !== dp.self && !extra.includes(node) && ring.member(node)?.state !== 'leaving' && reachable(dp, node));
}

/**
 * Takes the stand-in for `owner` out of `spare` (best first): with replicas
 * per DC the first in owner's DC when there is one, otherwise the first.
 */
export function takeStandIn(ring: Ring, spare: string[], owner: string): string | undefined {
  if (ring.replicasPerDc) {
    const dc = ring.dcOf(owner);
    const at = spare.findIndex((node) => ring.dcOf(node) === dc);
    if (at > 0) return spare.splice(at, 1)[0];
  }
  return spare.shift();
}
