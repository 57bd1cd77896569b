import { QkvError } from '../core/errors.js';
import type { TokenTable } from './tokens.js';

/** `--replicas-per-dc`: how many replicas each key keeps in each DC, in the order given. */
export type DcReplicas = ReadonlyArray<{ readonly dc: string; readonly count: number }>;

/** The replica order of one range under per-DC placement, as node indices. */
export interface DcOrder {
  /** Every owner: the home replicas first (DC by DC, in `DcReplicas` order), then the others clockwise. */
  readonly order: readonly number[];
  /** How many of `order` are home replicas. */
  readonly homes: number;
}

/** Throws QkvError ERR unless every DC is named once with a positive count. */
export function validateDcReplicas(spec: DcReplicas): void {
  const seen = new Set<string>();
  for (const { dc, count } of spec) {
    if (seen.has(dc)) throw new QkvError('ERR', `DC '${dc}' appears twice in the replicas per DC`);
    seen.add(dc);
    if (!Number.isInteger(count) || count < 1) throw new QkvError('ERR', `DC '${dc}' has ${count} replicas, expected a positive integer`);
  }
  if (seen.size === 0) throw new QkvError('ERR', 'replicas per DC name no DC');
}

/** Replicas per key in all: the sum of the per-DC counts. */
export function totalReplicas(spec: DcReplicas): number {
  return spec.reduce((sum, { count }) => sum + count, 0);
}

/**
 * NetworkTopologyStrategy's placement for the range owned by token `start`:
 * walking clockwise, each DC gets the first `count` distinct nodes of that DC
 * it meets, first one per rack of the DC (in walk order) before any rack gets
 * a second, as placementOrder does for the whole ring. A DC with fewer nodes
 * than its count gets all of them; a DC not named gets no home replica. The
 * nodes that are no home replica follow in walk order: the stand-ins of a
 * sloppy quorum, which the write planner sorts by DC.
 */
export function dcPlacementOrder(table: TokenTable, start: number, spec: DcReplicas): DcOrder {
  const { tokens, nodeAt, rackOf, dcOf, dcNames } = table;
  const wanted = new Int32Array(dcNames.length);
  for (const { dc, count } of spec) {
    const k = dcNames.indexOf(dc);
    if (k >= 0) wanted[k] = count;
  }
  const seenNode = new Uint8Array(table.nodes.length);
  const seenRack = new Uint8Array(table.rackCount);
  const firsts: number[][] = dcNames.map(() => []);
  const others: number[][] = dcNames.map(() => []);
  const walk: number[] = [];
  for (let step = 0; step < tokens.length && walk.length < table.nodes.length; step++) {
    const node = nodeAt[(start + step) % tokens.length]!;
    if (seenNode[node]) continue;
    seenNode[node] = 1;
    walk.push(node);
    const rack = rackOf[node]!;
    if (seenRack[rack]) others[dcOf[node]!]!.push(node);
    else {
      seenRack[rack] = 1;
      firsts[dcOf[node]!]!.push(node);
    }
  }
  const order: number[] = [];
  for (const { dc } of spec) {
    const k = dcNames.indexOf(dc);
    if (k < 0) continue;
    order.push(...firsts[k]!.concat(others[k]!).slice(0, wanted[k]));
  }
  const homes = order.length;
  const isHome = new Uint8Array(table.nodes.length);
  for (const node of order) isHome[node] = 1;
  for (const node of walk) if (!isHome[node]) order.push(node);
  return { order, homes };
}
