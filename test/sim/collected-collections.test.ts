import t from 'tap';
import type { WriteRequest } from '../../src/coordinator/api.js';
import type { CollectionOp } from '../../src/versioning/collection-ops.js';
import { resolveVisible } from '../../src/versioning/counter-view.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { describe } from './clients.js';
import { SIM_AE_TIMING } from './plugins/sim-timings.js';
import { repairAll } from './repair.js';
import { scriptedWorld } from './scripted-world.js';

/**
 * A scripted history (no nemesis), as failed-purge.test.ts for plain keys: a
 * set is filled and emptied through one replica (an emptied set is a
 * tombstone that keeps its context), the tombstone is collected on that
 * replica and another while the third fails every purge, and a new member
 * is added through the first. The first replica starts a new set with an
 * empty context, so the new member's entry takes a dot the kept tombstone's
 * context already covers; were the two states ever merged, the new member
 * would be dropped. They are not: the new write's object clock covers the
 * kept tombstone's dot (one counter per actor), so the tombstone is
 * superseded whole. The new member must survive repair.
 */
t.test('a set emptied, collected on two replicas and added to again keeps the new member', async (t) => {
  const world = await scriptedWorld(3);
  const key = 's0';
  const [x, y, z] = world.replicasOf(key).map((id) => world.node(id));
  const op = async (o: CollectionOp): Promise<VersionedObject> => {
    const req: WriteRequest = { value: Buffer.alloc(0), tombstone: false, expireAt: 0, supersedes: { kind: 'local' }, op: o };
    const obj = await world.settle(x!.coordinator().coord.write(Buffer.from(key), req));
    world.history.note(`${o.t} at ${x!.id}: ${describe(obj)}`);
    return obj;
  };
  const m = (name: string): Buffer => Buffer.from(name);

  await op({ t: 'sadd', names: [m('a')], max: 100, maxBytes: 1 << 30 });
  await op({ t: 'sadd', names: [m('b')], max: 100, maxBytes: 1 << 30 });
  await op({ t: 'srem', names: [m('a'), m('b')] });
  y!.failNextPurges(1_000_000);
  const collected = async (): Promise<boolean> =>
    (await world.settle(x!.coordinator().coord.readLocal(Buffer.from(key)))) === undefined &&
    (await world.settle(z!.coordinator().coord.readLocal(Buffer.from(key)))) === undefined;
  for (let i = 0; i < 40 && !(await collected()); i++) await world.idle(SIM_AE_TIMING.intervalMs);
  t.ok(await collected(), 'x and z collected the emptied set');
  t.ok(await world.settle(y!.coordinator().coord.readLocal(Buffer.from(key))), 'y kept it');

  await op({ t: 'sadd', names: [m('c')], max: 100, maxBytes: 1 << 30 });
  y!.healPurges();
  const { finals, diverged } = await repairAll(world, [key]);
  t.equal(diverged.size, 0, 'replicas agree');
  const final = finals.get(key);
  const members = [...(final ? (resolveVisible(final, world.clock.now())?.collection?.entries.keys() ?? []) : [])];
  world.history.close();
  await world.stop();
  t.same(members, ['c'], world.history.text(40));
});

/**
 * The same with the key deleted through the replica that keeps the
 * tombstone: the new write through the first replica does not cover the
 * tombstone's dot, so the two meet in a merge. A counter or set started after
 * the delete must not lose to it.
 *
 * It does today (a todo): the first replica, with no copy left, starts the
 * counter or set from NO_ORIGIN (ts 0), and the kept tombstone's own origin
 * (its write time) is newer, so after repair the key reads as deleted and the
 * acknowledged INCRBY or SADD is gone. A plain SET in the same history
 * survives (failed-purge.test.ts): plain siblings are ordered by their own
 * times. Found by this script; no seed of the sets scenario deletes keys.
 * The cause is not the collection itself: any coordinating replica with no
 * copy of a key that was once deleted does the same (a wiped one, say), and
 * so does INCR on a counter key.
 */
const COLLECTED_ORIGIN = 'a counter or set started on a replica that collected the key\'s tombstone orders below the tombstone another replica kept';
for (const kind of ['counter', 'set'] as const) {
  t.test(`a ${kind} deleted through the replica that keeps the tombstone, then written through one that collected it, keeps the new write`, async (t) => {
    const world = await scriptedWorld(3);
    const key = kind === 'set' ? 's0' : 'c0';
    const [x, y, z] = world.replicasOf(key).map((id) => world.node(id));
    const write = async (through: typeof x, extra: Partial<WriteRequest>): Promise<VersionedObject> => {
      const req: WriteRequest = { value: Buffer.alloc(0), tombstone: false, expireAt: 0, supersedes: { kind: 'local' }, ...extra };
      const obj = await world.settle(through!.coordinator().coord.write(Buffer.from(key), req));
      world.history.note(`write at ${through!.id}: ${describe(obj)}`);
      return obj;
    };
    const bump = (n: bigint | string): Partial<WriteRequest> =>
      kind === 'set' ? { op: { t: 'sadd', names: [Buffer.from(String(n))], max: 100, maxBytes: 1 << 30 } } : { counterDelta: BigInt(n) };
    await write(x, bump(2n));
    await world.idle(50);
    await write(y, { tombstone: true });
    y!.failNextPurges(1_000_000);
    const collected = async (): Promise<boolean> =>
      (await world.settle(x!.coordinator().coord.readLocal(Buffer.from(key)))) === undefined &&
      (await world.settle(z!.coordinator().coord.readLocal(Buffer.from(key)))) === undefined;
    for (let i = 0; i < 40 && !(await collected()); i++) await world.idle(SIM_AE_TIMING.intervalMs);
    t.ok(await collected(), 'x and z collected the tombstone');
    t.ok(await world.settle(y!.coordinator().coord.readLocal(Buffer.from(key))), 'y kept it');

    await write(x, bump(3n));
    y!.healPurges();
    const { finals, diverged } = await repairAll(world, [key]);
    t.equal(diverged.size, 0, 'replicas agree');
    const final = finals.get(key);
    const now = world.clock.now();
    world.history.close();
    await world.stop();
    if (kind === 'set') {
      t.same([...(final ? (resolveVisible(final, now)?.collection?.entries.keys() ?? []) : [])], ['3'], world.history.text(40), { todo: COLLECTED_ORIGIN });
    } else {
      t.equal(final ? resolveVisible(final, now)?.value.toString() : undefined, '3', world.history.text(40), { todo: COLLECTED_ORIGIN });
    }
  });
}
