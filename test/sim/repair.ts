import { clocksEqual } from '../../src/versioning/clock.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { describe } from './clients.js';
import type { World } from './world.js';

/** Rounds the repair phase runs before it declares the replicas divergent. */
export const REPAIR_ROUNDS = 6;

/**
 * After the faults: heal the network, restart every node, let ring changes
 * under way finish, let what is in flight finish, then run repair rounds until every key's replicas hold the
 * same version. A round runs each node service's own repair work (hint
 * delivery, anti-entropy, once they exist) and then reads every key at R=N
 * from a different node each round, which read-repairs stale replicas.
 * Resolves each key's agreed version, or null for a key whose replicas
 * never agreed (with the last copies in `diverged`).
 */
export async function repairAll(world: World, keys: readonly string[]): Promise<{ finals: Map<string, VersionedObject | undefined>; diverged: Map<string, string> }> {
  world.net.heal();
  world.net.setFaults({ lossRate: 0, duplicateRate: 0 });
  world.history.note('repair: heal the network, restart every node');
  // A start can fail on a disk error (the node then stays down): try again, as a supervisor would.
  for (let attempt = 0; attempt < 5 && world.nodes.some((n) => !n.up); attempt++) await world.settle(Promise.all(world.nodes.map((n) => n.start())));
  // Joins and leaves under way finish (a node that left stops for good), removals are accepted; then the ring is final.
  if (world.changes.busy) {
    world.history.note(`repair: wait for ${world.changes.pending()}`);
    if (!(await world.changes.settle())) world.oracle.fail('ring-changes-finish', `still under way after the faults healed: ${world.changes.pending()}`);
  }
  // Forwarded writes wait up to three timeouts: let every straggler finish or fail.
  await world.idle(4 * world.settings.timeoutMs);
  let diverged = new Map<string, string>();
  const finals = new Map<string, VersionedObject | undefined>();
  for (let round = 0; round < REPAIR_ROUNDS; round++) {
    // Each kind of service in turn (hints before anti-entropy), on every node at once.
    const names = [...new Set(world.nodes.flatMap((n) => n.services().map((s) => s.name)))];
    for (const name of names) {
      const rounds = world.nodes.flatMap((n) => n.services().filter((s) => s.name === name && s.repair).map((s) => s.repair!().catch(() => undefined)));
      await world.settle(Promise.all(rounds));
    }
    const reader = world.nodes[round % world.nodes.length]!;
    await world.settle(
      Promise.all(keys.map((key) => reader.coordinator().coord.read(Buffer.from(key), { r: world.settings.n }).catch(() => undefined))),
    );
    await world.idle(2 * world.settings.timeoutMs);
    diverged = new Map();
    for (const key of keys) {
      const copies = await world.settle(
        Promise.all(world.replicasOf(key).map((id) => world.node(id).coordinator().coord.readLocal(Buffer.from(key)))),
      );
      if (copies.every((c) => sameVersion(c, copies[0]))) finals.set(key, copies[0]);
      else diverged.set(key, world.replicasOf(key).map((id, i) => `${id}: ${describe(copies[i])}`).join('; '));
    }
    world.history.note(`repair round ${round + 1}: ${diverged.size} key(s) still differ`);
    if (diverged.size === 0) break;
  }
  return { finals, diverged };
}

/** Same clock and the same siblings (dot, value, tombstone). */
export function sameVersion(a: VersionedObject | undefined, b: VersionedObject | undefined): boolean {
  if (!a || !b) return a === b;
  if (!clocksEqual(a.clock, b.clock) || a.siblings.length !== b.siblings.length) return false;
  return a.siblings.every((s, i) => {
    const t = b.siblings[i]!;
    return s.dot.node === t.dot.node && s.dot.counter === t.dot.counter && s.tombstone === t.tombstone && s.value.equals(t.value);
  });
}
