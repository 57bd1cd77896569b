import t, { type Test } from 'tap';
import { SeededRng } from '../../src/core/rng.js';
import { clocksEqual, covers } from '../../src/versioning/clock.js';
import type { Dot, VersionVector, VersionedObject } from '../../src/versioning/types.js';
import { SimCluster } from '../support/sim-cluster.js';
import { blindReq, contextReq } from './helpers.js';

/** A write some client attempted: its key, its unique value and the context it superseded. */
interface Attempt {
  readonly key: string;
  readonly value: string;
  ctx: VersionVector;
  /** Set once the write was acknowledged: the dot of its new sibling. */
  dot?: Dot;
}

function dotOf(obj: VersionedObject, value: string): Dot | undefined {
  return obj.siblings.find((s) => s.value.toString() === value)?.dot;
}

/**
 * Random blind writes, read-then-write-with-context, updates and reads
 * through random nodes, while nodes are isolated and restored and the
 * network loses and duplicates a few messages. Afterwards, with the network
 * healed, a read of every key at R=N shows every acknowledged write, unless a
 * write whose context covered it superseded it.
 */
async function workload(t: Test, seed: number): Promise<void> {
  const sim = await SimCluster.start({
    nodes: 5,
    n: 3,
    r: 2,
    w: 2,
    seed,
    timeoutMs: 60,
    faults: { minDelayMs: 1, maxDelayMs: 6, lossRate: 0.01, duplicateRate: 0.01 },
  });
  const rng = new SeededRng(seed + 1);
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
  const attempts: Attempt[] = [];
  const running: Array<Promise<unknown>> = [];
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const isolated = new Set<string>();
  let acked = 0;
  let failed = 0;
  const track = (a: Attempt, p: Promise<VersionedObject>) =>
    p.then(
      (obj) => {
        a.dot = dotOf(obj, a.value);
        acked++;
      },
      () => failed++,
    );

  for (let i = 0; i < 300; i++) {
    const key = pick(keys);
    const node = pick(sim.nodes).coord;
    const roll = rng.next();
    if (roll < 0.35) {
      const a: Attempt = { key, value: `b${i}`, ctx: {} };
      attempts.push(a);
      running.push(track(a, node.write(Buffer.from(key), blindReq(a.value))));
    } else if (roll < 0.6) {
      const a: Attempt = { key, value: `c${i}`, ctx: {} };
      const writer = pick(sim.nodes).coord;
      running.push(
        node.read(Buffer.from(key)).then(
          (cur) => {
            a.ctx = cur?.clock ?? {};
            attempts.push(a);
            return track(a, writer.write(Buffer.from(key), contextReq(a.value, a.ctx)));
          },
          () => failed++,
        ),
      );
    } else if (roll < 0.75) {
      const a: Attempt = { key, value: `u${i}`, ctx: {} };
      attempts.push(a);
      running.push(
        node
          .update(Buffer.from(key), (cur) => {
            a.ctx = cur?.clock ?? {};
            return { write: { value: Buffer.from(a.value), tombstone: false, expireAt: 0 }, result: null };
          })
          .then(
            () => acked++,
            () => failed++,
          ),
      );
    } else if (roll < 0.9) {
      running.push(node.read(Buffer.from(key), { r: 1 + rng.int(3) }).catch(() => failed++));
    } else if (roll < 0.93) {
      // A disk error: the node's next storage write fails.
      pick(sim.nodes).engine.failNextWrites(1);
    } else {
      const target = pick(sim.nodes).id;
      if (isolated.has(target)) {
        sim.net.restore(target);
        isolated.delete(target);
      } else if (isolated.size < 2) {
        sim.net.isolate(target);
        isolated.add(target);
      }
    }
    await sim.idle(rng.int(5));
  }
  await sim.settle(Promise.all(running));
  sim.net.heal();
  sim.net.setFaults({ lossRate: 0, duplicateRate: 0 });
  await sim.idle(200);
  t.ok(acked > 50 && failed > 0, `a mix of outcomes (${acked} acknowledged, ${failed} failed)`);

  // Updates are acknowledged without an object: their dot is found in the final state if anywhere.
  for (const key of keys) {
    // Reads at R=N repair every replica; a disk fault injected late may fail one repair, so read until converged.
    let final: VersionedObject | undefined;
    let rounds = 0;
    for (; rounds < 5; rounds++) {
      final = await sim.settle(sim.nodes[rounds]!.coord.read(Buffer.from(key), { r: 3 }));
      await sim.idle(20);
      const copies = await Promise.all(sim.replicasOf(key).map((id) => sim.node(id).coord.readLocal(Buffer.from(key))));
      if (copies.every((c) => clocksEqual(c?.clock ?? {}, final?.clock ?? {}))) break;
    }
    t.ok(rounds < 5, `${key}: replicas converged after ${rounds + 1} read(s)`);
    const mine = attempts.filter((a) => a.key === key);
    for (const a of mine) {
      if (!a.dot) continue;
      const kept = final?.siblings.some((s) => s.dot.node === a.dot!.node && s.dot.counter === a.dot!.counter && s.value.toString() === a.value);
      const superseded = mine.some((x) => x !== a && covers(x.ctx, a.dot!));
      if (!kept && !superseded) t.fail(`acknowledged write ${a.value} of ${key} was lost`);
    }
    const dots = mine.filter((a) => a.dot).map((a) => `${a.dot!.node}:${a.dot!.counter}`);
    t.equal(new Set(dots).size, dots.length, `${key}: no dot issued twice`);
    for (const s of final?.siblings ?? []) t.ok(mine.some((a) => a.value === s.value.toString()), `${key}: ${s.value} was written by a client`);
  }
  await sim.close();
}

for (const seed of [11, 29, 4242]) {
  t.test(`no acknowledged write is lost (seed ${seed})`, (t) => workload(t, seed));
}
