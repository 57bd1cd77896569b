import t from 'tap';
import type { WriteRequest } from '../../src/coordinator/api.js';
import { describe } from './clients.js';
import { repairAll } from './repair.js';
import { scriptedWorld } from './scripted-world.js';

/**
 * A scripted history (no nemesis) through the same entry points the
 * nemesis uses: keys written, then a node joins (it streams its ranges
 * in), a member leaves (it streams its ranges out and stops), and a member
 * that died is removed (the others rebuild its ranges). Every write stays,
 * on the replicas of the final ring.
 */
t.test('joins, leaves and removals of assembled nodes move every range and lose no write', async (t) => {
  const world = await scriptedWorld(11);
  const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
  let op = 0;
  const write = async (key: string, value: string): Promise<void> => {
    const node = world.nodes[op % world.nodes.length]!;
    const w = world.oracle.begin({ op: ++op, key, value, kind: 'plain', ctx: null, startedAt: world.clock.now() });
    const req: WriteRequest = { value: Buffer.from(value), tombstone: false, expireAt: 0, supersedes: { kind: 'local' } };
    const obj = await world.settle(node.coordinator().coord.write(Buffer.from(key), req));
    world.oracle.acked(w, obj, world.clock.now());
    world.history.note(`op ${op} plain ${value} at ${node.id}: ${describe(obj)}`);
  };
  for (const key of keys) await write(key, `${key}-a`);

  const joined = world.changes.join();
  t.ok(await world.changes.settle(), `${joined} joined`);
  t.equal(world.node(joined).assembled()?.membership()?.self.state, 'normal');
  for (const key of keys) await write(key, `${key}-b`);

  world.changes.leave('n2');
  t.ok(await world.changes.settle(), 'n2 left');
  t.notOk(world.nodes.some((n) => n.id === 'n2'), 'and stopped for good');

  world.node('n4').crash();
  await world.idle(1_500);
  world.changes.remove('n4');
  t.ok(await world.changes.settle(), 'n4 was removed');
  for (const key of keys) await write(key, `${key}-c`);

  const ring = world.currentRing();
  t.same(
    ring.members.map((m) => `${m.id}:${m.state}`),
    ['n0:normal', 'n1:normal', 'n3:normal', `${joined}:normal`],
    'the final ring',
  );
  const { finals, diverged } = await repairAll(world, keys);
  t.equal(diverged.size, 0, 'replicas agree');
  for (const key of keys) world.oracle.checkFinal(key, finals.get(key));
  t.same(
    keys.map((k) => finals.get(k)?.siblings.map((s) => s.value.toString())),
    keys.map((k) => [`${k}-c`]),
    'the last write of each key, on its final replicas',
  );
  t.same(
    ['joins finished', 'leaves finished', 'removals finished'].map((c) => world.counters.get(c)),
    [1, 1, 1],
  );
  world.history.close();
  await world.stop();
  t.same(world.oracle.violations, [], world.history.text(40));
});
