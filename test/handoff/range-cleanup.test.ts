import t from 'tap';
import { keyHash } from '../../src/core/hash.js';
import { JoinManager } from '../../src/handoff/join-manager.js';
import { LeaveManager } from '../../src/handoff/leave-manager.js';
import { RangeCleanup } from '../../src/handoff/range-cleanup.js';
import { unownedRanges } from '../../src/handoff/range-plan.js';
import { RemoveManager } from '../../src/handoff/remove-manager.js';
import type { StreamStatus } from '../../src/handoff/stream-progress.js';
import { clusterWithData, type StreamCluster } from './stream-harness.js';

const GRACE_MS = 500;

/** For each written key, how many nodes hold it. */
async function holders(c: StreamCluster): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>([...c.written.keys()].map((k) => [k, []]));
  for (const id of c.nodes.keys()) for (const key of await c.keysOf(id)) out.get(key)?.push(id);
  return out;
}

async function copyCounts(c: StreamCluster): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const list of (await holders(c)).values()) counts.set(list.length, (counts.get(list.length) ?? 0) + 1);
  return counts;
}

function cleanups(c: StreamCluster): RangeCleanup[] {
  return [...c.nodes.keys()].map((id) => {
    const m = new RangeCleanup({ ...c.deps(id), graceMs: GRACE_MS, intervalMs: 60_000 });
    m.start();
    return m;
  });
}

/** Starts n3's join manager and announces n3 joining; `beforeAnnounce` runs in between. */
function startJoin(c: StreamCluster, beforeAnnounce?: () => void): JoinManager {
  const join = new JoinManager({ ...c.deps('n3'), settleMs: 100 });
  join.start();
  beforeAnnounce?.();
  c.shared.add('n3', 'joining');
  return join;
}

/** Waits until a started join is done, then stops its manager. */
async function finishJoin(c: StreamCluster, join: JoinManager): Promise<void> {
  await c.settle(join.joined, 100_000);
  join.stop();
}

/** Three nodes with data, a fourth joined; the cleanup managers run from the start. */
async function joinedFour(keys: number): Promise<{ c: StreamCluster; cleaners: RangeCleanup[] }> {
  const c = await clusterWithData(3, keys, { pageKeys: 50 });
  await c.addNode('n3', { pageKeys: 50 });
  let cleaners: RangeCleanup[] = [];
  await finishJoin(c, startJoin(c, () => (cleaners = cleanups(c))));
  return { c, cleaners };
}

/** Waits `ms`, then until every cleanup manager is idle. */
async function cleanedUp(c: StreamCluster, cleaners: readonly RangeCleanup[], ms: number): Promise<void> {
  await c.idle(ms);
  await c.settle(Promise.all(cleaners.map((m) => m.idle())), 100_000);
}

/** n3 is cut off and removed; n0..n2 rebuild the copies it held. */
async function removeN3(c: StreamCluster): Promise<void> {
  const rms = ['n0', 'n1', 'n2'].map((id) => new RemoveManager(c.deps(id)));
  for (const m of rms) m.start();
  c.net.isolate('n3');
  c.shared.remove('n3');
  await c.settle(Promise.all(rms.flatMap((m) => m.rebuilds)), 100_000);
  for (const m of rms) m.stop();
}

/** FLUSHALL's epoch reaches n0..n2 (n3, removed, misses it). */
async function flushSurvivors(c: StreamCluster, epoch: number): Promise<void> {
  for (const id of ['n0', 'n1', 'n2']) await c.settle(c.node(id).replica.flush(epoch));
}

/** A key that n3 took over from `from` in the join (n3 and `from` never both replicas of it). */
function keyMovedFrom(c: StreamCluster, from: string): string {
  const ring = c.shared.ring;
  for (const key of c.written.keys()) {
    const owners = ring.preferenceList(keyHash(key), c.n);
    if (owners.includes('n3') && !owners.includes(from)) return key;
  }
  throw new Error(`no key moved from ${from}`);
}

/** Deletes a key and collects its tombstone everywhere it is held (what anti-entropy does once every replica agrees). */
async function deleteAndCollect(c: StreamCluster, key: string): Promise<void> {
  const owners = c.shared.ring.preferenceList(keyHash(key), c.n);
  for (const id of owners) await c.node(id).store.remove(Buffer.from(key));
  c.written.delete(key);
}

t.test('unowned ranges: the complement of what a node replicates now or once pending changes complete', async (t) => {
  const c = await clusterWithData(4, 0);
  t.teardown(() => c.close());
  const ring = c.shared.ring;
  const share = (ranges: ReadonlyArray<{ start: bigint; end: bigint }>): number => Number(ranges.reduce((w, r) => w + r.end - r.start, 0n)) / 2 ** 64;
  for (const id of ['n0', 'n1']) {
    const unowned = unownedRanges(ring, id, 3);
    t.ok(unowned.every((r) => !ring.preferenceList(r.start, 3).includes(id) && !r.owners.includes(id)), `${id} replicates none of them`);
    const own = ring.ownership(id, 3).replica;
    t.ok(Math.abs(share(unowned) - (1 - own)) < 1e-9, `${id}: unowned share ${share(unowned)} = 1 - ${own}`);
  }
  c.shared.add('n9', 'joining');
  const pending = c.shared.ring;
  // n9 owns nothing yet but will: what it is about to gain is not unowned.
  t.ok(Math.abs(share(unownedRanges(pending, 'n9', 3)) - (1 - pending.pending().ownership('n9', 3).replica)) < 1e-9);
  // n0 keeps what it replicates now until the join completes, and what it will replicate after.
  const n0 = unownedRanges(pending, 'n0', 3);
  t.ok(n0.every((r) => !pending.preferenceList(r.start, 3).includes('n0') && !pending.pending().preferenceList(r.start, 3).includes('n0')));
  t.ok(n0.every((r) => r.owners.includes('n9') || !pending.pending().preferenceList(r.start, 3).includes('n9')), 'owners include the pending ones');
});

t.test('after a join, the old owners delete what they handed over: every key ends on exactly N nodes', async (t) => {
  const { c, cleaners } = await joinedFour(600);
  t.teardown(() => c.close());
  const right = await copyCounts(c);
  t.ok((right.get(4) ?? 0) > 0, `right after the join the old owners still hold copies (${JSON.stringify([...right])})`);
  await c.idle(GRACE_MS / 2);
  t.same(await copyCounts(c), right, 'nothing deleted within the grace period');
  await cleanedUp(c, cleaners, GRACE_MS);
  t.same([...(await copyCounts(c))], [[3, 600]], 'every key on exactly 3 nodes');
  const misplaced: string[] = [];
  for (const [key, list] of await holders(c)) {
    if (list.sort().join() !== [...c.shared.ring.preferenceList(keyHash(key), 3)].sort().join()) misplaced.push(`${key} held by ${list.join(',')}`);
  }
  t.same(misplaced.slice(0, 5), [], 'each on its replicas');
  t.equal(await c.minCopies(), 3, 'every key still has its N copies on its replicas');
  const streams = [...c.nodes.values()].flatMap((n) => n.registry.list()).filter((s) => s.kind === 'cleanup');
  t.ok(streams.length >= 2, `${streams.length} nodes cleaned up`);
  for (const s of streams) t.match(s, { direction: 'delete', state: 'done', peer: null } as Partial<StreamStatus>);
  t.equal(
    streams.reduce((k, s) => k + s.keys, 0),
    [...right].reduce((k, [copies, keys]) => k + (copies - 3) * keys, 0),
    'deleted exactly the extra copies',
  );
  for (const m of cleaners) m.stop();
});

t.test('the cleanup waits while a new owner is still pulling, and for a view without pending changes', async (t) => {
  const { c, cleaners } = await joinedFour(200);
  t.teardown(() => c.close());
  // n3 reports a pull in flight (a rebuild after a removal, say): nobody deletes a range it replicates.
  const busy = { status: (): StreamStatus => ({ id: 'remove-x', kind: 'remove', direction: 'pull', startedAt: 0 }) as StreamStatus };
  c.node('n3').registry.add(busy);
  const before = await copyCounts(c);
  await c.idle(GRACE_MS * 3);
  t.same(await copyCounts(c), before, 'nothing deleted while a replica of the ranges is pulling');
  c.node('n3').registry.finish(busy);
  await cleanedUp(c, cleaners, GRACE_MS * 2);
  t.same([...(await copyCounts(c))], [[3, 200]]);
  // A member joining again: nothing is deleted until it is normal and the grace has passed.
  await c.write('late', 'v');
  await c.addNode('n4');
  c.shared.add('n4', 'joining');
  await c.idle(GRACE_MS * 3);
  t.equal((await holders(c)).get('late')?.length, 3, 'a pending change holds every cleanup');
  for (const m of cleaners) m.stop();
});

t.test('a regained range does not bring back a key deleted and collected meanwhile (leave and removal)', async (t) => {
  for (const how of ['leave', 'remove'] as const) {
    const { c, cleaners } = await joinedFour(300);
    const oldOwner = 'n0';
    const key = keyMovedFrom(c, oldOwner);
    await cleanedUp(c, cleaners, GRACE_MS * 2);
    // The key is deleted and its tombstone collected on its replicas.
    await deleteAndCollect(c, key);
    // n3 goes again: n0 regains the range.
    if (how === 'leave') {
      const lm = new LeaveManager(c.deps('n3'));
      await c.settle(lm.leave(), 100_000);
      c.shared.remove('n3');
    } else {
      await removeN3(c);
    }
    t.ok(c.shared.ring.preferenceList(keyHash(key), 3).includes(oldOwner), `${how}: ${oldOwner} replicates the key again`);
    const back: string[] = [];
    for (const id of ['n0', 'n1', 'n2']) if ((await c.keysOf(id)).has(key)) back.push(id);
    t.same(back, [], `${how}: the deleted key is on none of the remaining nodes`);
    t.equal(await c.minCopies(), 3, `${how}: every other key has its N copies`);
    for (const m of cleaners) m.stop();
    await c.close();
  }
});

/** Four nodes with data; n3 dies and is removed (its disk kept), the others rebuild its copies. */
async function removedWithDisk(): Promise<{ c: StreamCluster; stale: Set<string> }> {
  const c = await clusterWithData(4, 300, { pageKeys: 50 });
  const stale = await c.keysOf('n3');
  await removeN3(c);
  return { c, stale };
}

/** n3 comes back with the same id and disk, and joins again. */
async function rejoin(c: StreamCluster): Promise<void> {
  c.net.heal();
  await c.restart(c.node('n3'));
  await finishJoin(c, startJoin(c));
}

t.test('a node added back with its old disk starts its ranges empty: a key deleted and collected meanwhile stays deleted', async (t) => {
  const { c, stale } = await removedWithDisk();
  t.teardown(() => c.close());
  t.ok(stale.size > 100, `n3 holds ${stale.size} keys`);
  const gone = [...stale].slice(0, 20);
  for (const key of gone) await deleteAndCollect(c, key);
  await rejoin(c);
  const held = await c.keysOf('n3');
  t.same(
    gone.filter((k) => held.has(k)),
    [],
    'n3 does not hold the deleted keys',
  );
  t.same([...c.keysOwnedBy('n3')].filter((k) => !held.has(k)), [], 'it holds every key of its ranges');
  t.ok(gone.some((k) => c.shared.ring.preferenceList(keyHash(k), 3).includes('n3')), 'some deleted key is in its ranges again');
});

t.test('a node added back with its old disk adopts the newest flush epoch: flushed data does not come back', async (t) => {
  const { c, stale } = await removedWithDisk();
  t.teardown(() => c.close());
  const epoch = c.clock.now() + 1;
  await flushSurvivors(c, epoch);
  c.written.clear();
  for (let i = 0; i < 50; i++) await c.write(`after${i}`, `a${i}`);
  await rejoin(c);
  t.equal(c.node('n3').replica.flushEpoch, epoch, 'n3 adopted the newest flush epoch');
  const held = await c.keysOf('n3');
  t.same(
    [...held].filter((k) => stale.has(k)),
    [],
    'n3 holds nothing written before the flush, in its ranges or not',
  );
  t.same([...c.keysOwnedBy('n3')].filter((k) => !held.has(k)), [], 'and every key of its ranges written since');
});

t.test('a node that crashes mid-cleanup finishes it after restart, planning again from the ring', async (t) => {
  const { c, cleaners } = await joinedFour(600);
  t.teardown(() => c.close());
  for (const m of cleaners) m.stop();
  const n0 = c.node('n0');
  n0.settings = { ...n0.settings, pageKeys: 10, maxKeysPerSec: 100 };
  const first = new RangeCleanup({ ...c.deps('n0'), graceMs: GRACE_MS });
  first.start();
  const extra = async (): Promise<number> => {
    const owned = c.keysOwnedBy('n0');
    return [...(await c.keysOf('n0'))].filter((k) => !owned.has(k)).length;
  };
  const before = await extra();
  t.ok(before > 50, `n0 holds ${before} keys it no longer replicates`);
  await c.idle(GRACE_MS + 400);
  const midway = await extra();
  t.ok(midway > 0 && midway < before, `cut short midway: ${midway} of ${before} left`);
  t.equal(n0.registry.list().find((s) => s.kind === 'cleanup')?.state, 'running');
  // The crash: the manager dies with the process; the disk survives.
  first.stop();
  await c.restart(n0);
  t.equal(await extra(), midway, 'what was deleted stays deleted, the rest is still there');
  const second = new RangeCleanup({ ...c.deps('n0'), graceMs: GRACE_MS });
  second.start();
  await c.idle(GRACE_MS + 10);
  await c.settle(
    (async () => {
      while ((await extra()) > 0) await c.idle(100);
    })(),
    100_000,
  );
  await c.settle(second.idle());
  t.equal(await extra(), 0, 'the restarted node finished the cleanup');
  t.equal(await c.minCopies(), 3);
  second.stop();
});

t.test('a rejoining node that cannot learn the flush epoch from any member waits instead of turning normal at an old one', async (t) => {
  const { c } = await removedWithDisk();
  t.teardown(() => c.close());
  const epoch = c.clock.now() + 1;
  await flushSurvivors(c, epoch);
  c.net.heal();
  await c.restart(c.node('n3'));
  // Its view believes the others up, but nothing reaches them yet.
  for (const id of ['n0', 'n1', 'n2']) c.believedUp.add(id);
  c.net.isolate('n3');
  const join = startJoin(c);
  await c.idle(3_000);
  t.equal(c.shared.ring.member('n3')?.state, 'joining', 'still joining');
  t.equal(c.node('n3').replica.flushEpoch, 0, 'nothing adopted yet');
  c.net.heal();
  await finishJoin(c, join);
  t.equal(c.node('n3').replica.flushEpoch, epoch, 'adopted once a member answered');
});
