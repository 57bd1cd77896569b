import { QkvError } from '../core/errors.js';

/**
 * Consistency levels, Cassandra's names, as an alternative to numeric R and
 * W. Each is a rule over a key's home replicas and their DCs, "local" being
 * the DC of the coordinating node:
 *
 *   one           1 replica, any DC
 *   local_one     1 replica of the local DC
 *   quorum        a majority of all N replicas
 *   local_quorum  a majority of the local DC's replicas
 *   each_quorum   a majority of each DC's replicas
 *   all           every replica
 *
 * Only home replicas count: a stand-in's hint is no copy the level can read.
 */
export const CONSISTENCY_LEVELS = ['one', 'local_one', 'quorum', 'local_quorum', 'each_quorum', 'all'] as const;
export type ConsistencyLevel = (typeof CONSISTENCY_LEVELS)[number];

/** A replica of a key and its DC. */
export interface PlacedReplica {
  readonly id: string;
  readonly dc: string;
}

export type LevelVerdict = 'satisfied' | 'waiting' | 'impossible';

/** The level named by text (any case), or undefined. */
export function parseLevel(text: string): ConsistencyLevel | undefined {
  const lower = text.toLowerCase();
  return (CONSISTENCY_LEVELS as readonly string[]).includes(lower) ? (lower as ConsistencyLevel) : undefined;
}

/** Whether the level reads and counts only the local DC's replicas. */
export function isLocalLevel(level: ConsistencyLevel): boolean {
  return level === 'local_one' || level === 'local_quorum';
}

function majority(count: number): number {
  return Math.floor(count / 2) + 1;
}

/** How many acknowledgements each group needs: [replicas of the group, needed]; one group except for each_quorum. */
function requirements(level: ConsistencyLevel, replicas: readonly PlacedReplica[], localDc: string): Array<{ members: PlacedReplica[]; need: number }> {
  const local = replicas.filter((r) => r.dc === localDc);
  switch (level) {
    case 'one':
      return [{ members: [...replicas], need: 1 }];
    case 'local_one':
      return [{ members: local, need: 1 }];
    case 'quorum':
      return [{ members: [...replicas], need: majority(replicas.length) }];
    case 'local_quorum':
      return [{ members: local, need: majority(local.length) }];
    case 'all':
      return [{ members: [...replicas], need: replicas.length }];
    case 'each_quorum': {
      const dcs = [...new Set(replicas.map((r) => r.dc))];
      return dcs.map((dc) => {
        const members = replicas.filter((r) => r.dc === dc);
        return { members, need: majority(members.length) };
      });
    }
  }
}

/**
 * The wait rule: satisfied once the acknowledged replicas meet the level,
 * impossible once the replicas not failed can no longer meet it (a level
 * with no replica to count, e.g. local_one where the local DC holds none, is
 * impossible at once), waiting otherwise. Ids outside `replicas` are ignored.
 */
export function levelVerdict(
  level: ConsistencyLevel,
  replicas: readonly PlacedReplica[],
  localDc: string,
  acked: ReadonlySet<string>,
  failed: ReadonlySet<string>,
): LevelVerdict {
  let waiting = false;
  for (const { members, need } of requirements(level, replicas, localDc)) {
    if (members.length === 0) return 'impossible';
    const ok = members.filter((r) => acked.has(r.id)).length;
    if (ok >= need) continue;
    const open = members.filter((r) => !acked.has(r.id) && !failed.has(r.id)).length;
    if (ok + open < need) return 'impossible';
    waiting = true;
  }
  return waiting ? 'waiting' : 'satisfied';
}

/** The replicas a level counts: the local DC's for the local levels, all otherwise. */
export function countedReplicas(level: ConsistencyLevel, replicas: readonly PlacedReplica[], localDc: string): PlacedReplica[] {
  return isLocalLevel(level) ? replicas.filter((r) => r.dc === localDc) : [...replicas];
}

/**
 * The fewest replicas to ask first, taken in `candidates` order (the
 * coordinator first, then the healthiest), that meet the level if all
 * answer: a candidate is taken only while a group it counts in still needs
 * it. Undefined when all the candidates together could not meet it.
 */
export function firstAsks(level: ConsistencyLevel, replicas: readonly PlacedReplica[], localDc: string, candidates: readonly string[]): string[] | undefined {
  const groups = requirements(level, replicas, localDc);
  const counts = groups.map(() => 0);
  const chosen: string[] = [];
  const met = (): boolean => groups.every((g, i) => g.members.length > 0 && counts[i]! >= g.need);
  for (const id of candidates) {
    if (met()) break;
    const inGroup = groups.map((g) => g.members.some((r) => r.id === id));
    if (!groups.some((g, i) => inGroup[i] && counts[i]! < g.need)) continue;
    chosen.push(id);
    for (let i = 0; i < groups.length; i++) if (inGroup[i]) counts[i]!++;
  }
  return met() ? chosen : undefined;
}

/** A level's text for messages: LOCAL_QUORUM. */
export function levelName(level: ConsistencyLevel): string {
  return level.toUpperCase();
}

/** The level named by text, or QkvError ERR naming the levels there are. */
export function checkLevel(text: string): ConsistencyLevel {
  const level = parseLevel(text);
  if (!level) throw new QkvError('ERR', `unknown consistency level '${text}', expected one of ${CONSISTENCY_LEVELS.map(levelName).join(', ')}`);
  return level;
}

/** A request's level and the DC it counts as local (the entry node's). */
export interface LevelChoice {
  readonly cl: ConsistencyLevel;
  readonly dc: string;
}

/** Acknowledgements per DC for messages: 'dc1 1/3, dc2 0/3'. */
export function ackSummary(replicas: readonly PlacedReplica[], acked: ReadonlySet<string>): string {
  const dcs = [...new Set(replicas.map((r) => r.dc))];
  return dcs
    .map((dc) => {
      const here = replicas.filter((r) => r.dc === dc);
      return `${dc} ${here.filter((r) => acked.has(r.id)).length}/${here.length}`;
    })
    .join(', ');
}

/**
 * How many acknowledgements from DC `dc` (holding `inDc` of the key's home
 * replicas) a write at this level waits for, when the client waits on that
 * DC and the need is known from the DC alone: a majority for EACH_QUORUM and
 * for LOCAL_QUORUM in the level's DC, one for LOCAL_ONE there. Undefined
 * otherwise: a DC a local level does not count (nobody waits, and every
 * replica's acknowledgement is a lag sample), and the levels counted across
 * DCs (ONE, QUORUM, ALL).
 */
export function neededFromDc(level: LevelChoice, dc: string, inDc: number): number | undefined {
  switch (level.cl) {
    case 'each_quorum':
      return majority(inDc);
    case 'local_quorum':
      return dc === level.dc ? majority(inDc) : undefined;
    case 'local_one':
      return dc === level.dc ? 1 : undefined;
    default:
      return undefined;
  }
}
