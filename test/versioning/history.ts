import fc from 'fast-check';
import { covers } from '../../src/versioning/clock.js';
import { applyWrite, emptyObject, mergeObjects } from '../../src/versioning/object.js';
import { pruneObject } from '../../src/versioning/prune.js';
import type { Dot, VersionVector, VersionedObject } from '../../src/versioning/types.js';
import { nodesArb, sameDot } from './helpers.js';

/**
 * A model of one key's life on a few replicas. Every node is a replica and
 * may coordinate writes: it issues the dot (applyWrite) with a context taken
 * from any version that existed before (a client's earlier read), its own
 * copy (plain SET) or none (a blind write). Replicas merge any earlier
 * version of any replica, so deliveries are late, out of order and repeated.
 * Every write counts as acknowledged.
 */

export type ContextChoice = { readonly kind: 'blind' } | { readonly kind: 'local' } | { readonly kind: 'state'; readonly index: number };

export type Step =
  | { readonly op: 'write'; readonly node: number; readonly context: ContextChoice; readonly ts: number; readonly tombstone: boolean }
  | { readonly op: 'merge'; readonly from: number; readonly to: number }
  | { readonly op: 'prune'; readonly replica: number };

export interface WriteRecord {
  readonly dot: Dot;
  readonly context: VersionVector;
  readonly value: string;
}

export interface World {
  readonly nodes: readonly string[];
  /** Each node's copy at the end. */
  readonly replicas: readonly VersionedObject[];
  /** Every version any replica held, the empty one first. */
  readonly states: readonly VersionedObject[];
  readonly writes: readonly WriteRecord[];
}

export interface Removal {
  /** Nodes that leave the cluster for good after `at` steps: they coordinate no more writes. */
  readonly nodes: ReadonlySet<string>;
  readonly at: number;
  /** maxEntries for the prune steps, which only run once the nodes have left. */
  readonly maxEntries: number;
}

const contextArb: fc.Arbitrary<ContextChoice> = fc.oneof(
  fc.constant({ kind: 'blind' as const }),
  fc.constant({ kind: 'local' as const }),
  fc.record({ kind: fc.constant('state' as const), index: fc.nat(1000) }),
);

const writeArb: fc.Arbitrary<Step> = fc.record({
  op: fc.constant('write' as const),
  node: fc.nat(7),
  context: contextArb,
  ts: fc.integer({ min: 0, max: 4 }),
  tombstone: fc.boolean(),
});

const mergeArb: fc.Arbitrary<Step> = fc.record({ op: fc.constant('merge' as const), from: fc.nat(1000), to: fc.nat(7) });

const pruneArb: fc.Arbitrary<Step> = fc.record({ op: fc.constant('prune' as const), replica: fc.nat(7) });

export const stepsArb = (maxLength: number, withPrune = false): fc.Arbitrary<Step[]> =>
  fc.array(withPrune ? fc.oneof(writeArb, mergeArb, pruneArb) : fc.oneof(writeArb, mergeArb), { maxLength });

/** Nodes and steps of a history without membership changes. */
export const historyArb = (maxSteps = 30): fc.Arbitrary<{ nodes: string[]; steps: Step[] }> =>
  fc.record({ nodes: nodesArb(1, 4), steps: stepsArb(maxSteps) });

export function runHistory(nodes: readonly string[], steps: readonly Step[], removal?: Removal): World {
  const replicas: VersionedObject[] = nodes.map(() => emptyObject());
  const states: VersionedObject[] = [emptyObject()];
  const writes: WriteRecord[] = [];
  const members = nodes.filter((n) => !removal?.nodes.has(n));
  steps.forEach((step, i) => {
    const gone = removal !== undefined && i >= removal.at;
    if (step.op === 'write') {
      const pool = gone ? members : nodes;
      if (pool.length === 0) return;
      const node = pool[step.node % pool.length]!;
      const r = nodes.indexOf(node);
      const local = replicas[r]!;
      const context = contextOf(step.context, local, states);
      const value = `w${writes.length}`;
      const next = applyWrite(local, context, node, { value: Buffer.from(value), tombstone: step.tombstone, expireAt: 0, ts: step.ts });
      writes.push({ dot: { node, counter: next.clock[node]! }, context, value });
      replicas[r] = next;
      states.push(next);
    } else if (step.op === 'merge') {
      const r = step.to % nodes.length;
      replicas[r] = mergeObjects(replicas[r]!, states[step.from % states.length]!);
      states.push(replicas[r]!);
    } else if (gone) {
      const r = step.replica % nodes.length;
      replicas[r] = pruneObject(replicas[r]!, { maxEntries: removal.maxEntries, isMember: (n) => members.includes(n) });
      states.push(replicas[r]!);
    }
  });
  return { nodes, replicas, states, writes };
}

function contextOf(c: ContextChoice, local: VersionedObject, states: readonly VersionedObject[]): VersionVector {
  if (c.kind === 'blind') return {};
  if (c.kind === 'local') return local.clock;
  return states[c.index % states.length]!.clock;
}

/** True when some write's context covers the write's dot: a client saw it and wrote over it. */
export function superseded(world: World, w: WriteRecord): boolean {
  return world.writes.some((o) => o !== w && covers(o.context, w.dot));
}

export function holdsDot(obj: VersionedObject, dot: Dot): boolean {
  return obj.siblings.some((s) => sameDot(s.dot, dot));
}
