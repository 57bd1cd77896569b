import t from 'tap';
import type { WriteRequest } from '../../src/coordinator/api.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { describe } from './clients.js';
import type { WriteKind } from './oracle.js';
import { SIM_AE_TIMING } from './plugins/sim-timings.js';
import { repairAll } from './repair.js';
import { scriptedWorld } from './scripted-world.js';

/**
 * A scripted history (no nemesis): a key is written and deleted through one
 * replica, its tombstone is collected on that replica and another while the
 * third fails every purge, and the key is written again through the first.
 * Before dots came from one counter per actor, the first replica took the
 * key's next counter from its stored clock, gone with the record, and issued
 * the dot of the first write again: the replica that kept the tombstone
 * covered it, so the new write was acknowledged and then lost.
 */
t.test('a key written again after its tombstone was collected, with one replica failing the purge, keeps the new write', async (t) => {
  const world = await scriptedWorld(3);
  const key = 'k0';
  const [x, y, z] = world.replicasOf(key).map((id) => world.node(id));
  let op = 0;
  const write = async (kind: WriteKind, value: string, ctx: VersionedObject['clock'] | null): Promise<VersionedObject> => {
    const w = world.oracle.begin({ op: ++op, key, value, kind, ctx, startedAt: world.clock.now() });
    const req: WriteRequest = {
      value: Buffer.from(value),
      tombstone: kind === 'delete',
      expireAt: 0,
      supersedes: ctx ? { kind: 'context', clock: ctx } : { kind: 'local' },
    };
    const obj = await world.settle(x!.coordinator().coord.write(Buffer.from(key), req));
    world.oracle.acked(w, obj, world.clock.now());
    world.history.note(`op ${op} ${kind} ${value} at ${x!.id}: ${describe(obj)}`);
    return obj;
  };

  const first = await write('plain', 'p1', null);
  await write('delete', 'd2', first.clock);
  y!.failNextPurges(1_000_000);
  // Anti-entropy collects the tombstone on x and z once the grace has passed; y fails every purge and keeps it.
  const collected = async (): Promise<boolean> =>
    (await world.settle(x!.coordinator().coord.readLocal(Buffer.from(key)))) === undefined &&
    (await world.settle(z!.coordinator().coord.readLocal(Buffer.from(key)))) === undefined;
  for (let i = 0; i < 40 && !(await collected()); i++) await world.idle(SIM_AE_TIMING.intervalMs);
  t.ok(await collected(), 'x and z collected the tombstone');
  t.ok(await world.settle(y!.coordinator().coord.readLocal(Buffer.from(key))), 'y kept it');
  t.ok((world.counters.get('purges failed') ?? 0) > 0, 'y failed purges');

  await write('plain', 'p3', null);
  y!.healPurges();
  const { finals, diverged } = await repairAll(world, [key]);
  t.equal(diverged.size, 0, 'replicas agree');
  world.oracle.checkFinal(key, finals.get(key));
  world.history.close();
  await world.stop();
  t.same(world.oracle.violations, [], world.history.text(40));
});
