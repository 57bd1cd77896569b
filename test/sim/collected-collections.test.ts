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
 * It did not once (found by this script): the first replica, with no copy
 * left, started the counter or set from NO_ORIGIN (ts 0), the kept
 * tombstone's own origin (its write time) was newer, and after repair the
 * key read as deleted, the acknowledged INCRBY or SADD gone. Now a write that
 * builds on the prior state reads R replicas first (quorum-write.ts), so it
 * starts from the tombstone it finds there.
 *
 * A counter still can (a todo): when the R replicas it reads are both ones
 * that collected the tombstone, it starts from NO_ORIGIN again. A set no
 * longer depends on that read: its delete empties it and keeps its origin
 * (write-payload.ts), so no newer origin is left to lose to.
 */
const COUNTER_AFTER_COLLECTED =
  'a counter started where R replicas collected the tombstone orders below the tombstone the other replica kept (a counter has no emptied state to delete into)';
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
      t.same([...(final ? (resolveVisible(final, now)?.collection?.entries.keys() ?? []) : [])], ['3'], world.history.text(40));
    } else {
      t.equal(final ? resolveVisible(final, now)?.value.toString() : undefined, '3', world.history.text(40), { todo: COUNTER_AFTER_COLLECTED });
    }
  });
}
