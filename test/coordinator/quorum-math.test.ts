import t from 'tap';
import { SimCluster, siblingValues } from '../support/sim-cluster.js';
import { setReq } from './helpers.js';

/**
 * For every N in 1..5, every R and W in 1..N and 0..N replicas down, a write
 * and a read through a node that is not a replica succeed exactly when
 * enough replicas are reachable, and otherwise say how many answered.
 */
t.test('quorum math: the member view knows which replicas are down (fail fast)', async (t) => {
  let combos = 0;
  for (let n = 1; n <= 5; n++) {
    const sim = await SimCluster.start({ nodes: 6, n });
    for (let down = 0; down <= n; down++) {
      for (let r = 1; r <= n; r++) {
        for (let w = 1; w <= n; w++) {
          const key = sim.keyWhere(() => true, `q${down}-${r}-${w}-`);
          const replicas = sim.replicasOf(key);
          const entry = sim.nodes.find((x) => !replicas.includes(x.id))!.coord;
          // The first `down` replicas are down: the write is forwarded past them.
          for (const id of replicas.slice(0, down)) sim.net.isolate(id);
          const up = n - down;
          const wrote = await sim.outcome(entry.write(key, setReq('v'), { w }));
          if (up >= w) t.same(siblingValues(wrote as never), ['v'], `write N=${n} W=${w} down=${down}`);
          else t.equal(wrote, `UNAVAILABLE ${up} of ${n} replicas reachable, ${w} needed; nothing was written`);
          await sim.idle(5);
          const read = await sim.outcome(entry.read(key, { r }));
          if (up >= r) t.same(siblingValues(read as never), up >= w ? ['v'] : [], `read N=${n} R=${r} down=${down}`);
          else t.equal(read, `UNAVAILABLE ${up} of ${n} replicas reachable, ${r} needed`);
          sim.net.heal();
          combos++;
        }
      }
    }
    await sim.close();
  }
  t.equal(combos, 280);
});

t.test('quorum math: a stale view believes every replica up (timeouts)', async (t) => {
  for (let n = 1; n <= 5; n++) {
    const sim = await SimCluster.start({ nodes: 6, n, timeoutMs: 50 });
    sim.believeAllUp();
    for (let down = 0; down < n; down++) {
      for (let r = 1; r <= n; r++) {
        for (let w = 1; w <= n; w++) {
          const key = sim.keyWhere(() => true, `s${down}-${r}-${w}-`);
          const replicas = sim.replicasOf(key);
          const entry = sim.nodes.find((x) => !replicas.includes(x.id))!.coord;
          // The last `down` replicas are down; the first one coordinates.
          for (const id of replicas.slice(n - down)) sim.net.isolate(id);
          const up = n - down;
          const wrote = await sim.outcome(entry.write(key, setReq('v'), { w }));
          if (up >= w) t.same(siblingValues(wrote as never), ['v'], `write N=${n} W=${w} down=${down}`);
          else {
            t.equal(
              wrote,
              `TIMEOUT ${up} of ${n} replicas acknowledged within 50 ms, ${w} needed; the write may be present on some replicas`,
              `write N=${n} W=${w} down=${down}`,
            );
          }
          const read = await sim.outcome(entry.read(key, { r }));
          // Every reachable replica has the write by now, acknowledged or not.
          if (up >= r) t.same(siblingValues(read as never), ['v'], `read N=${n} R=${r} down=${down}`);
          else t.equal(read, `TIMEOUT ${up} of ${n} replicas answered within 50 ms, ${r} needed`);
          sim.net.heal();
          await sim.idle(60);
        }
      }
    }
    await sim.close();
  }
});

t.test('a replica that answers with an error counts as not answering', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 3, w: 3 });
  t.teardown(() => sim.close());
  const key = Buffer.from('faulty');
  await sim.settle(sim.node('n0').coord.write(key, setReq('v')));
  // n2's disk fails: its reads and writes error.
  sim.node('n2').engine.failNextReads(10);
  sim.node('n2').engine.failNextWrites(10);
  t.equal(await sim.outcome(sim.node('n0').coord.read(Buffer.from('faulty-other'))), 'UNAVAILABLE 2 of 3 replicas answered, 3 needed');
  // It fails as soon as W=3 is out of reach, whatever else has acknowledged by then.
  t.match(
    await sim.outcome(sim.node('n0').coord.write(Buffer.from('faulty-write'), setReq('w'))),
    /^UNAVAILABLE [12] of 3 replicas acknowledged, 3 needed; the write may be present on some replicas$/,
  );
  t.ok(sim.node('n0').logs.some((l) => l.msg === 'replica read failed' && l.fields?.node === 'n2'));
  t.ok(sim.node('n0').logs.some((l) => l.msg === 'replica write failed' && l.fields?.node === 'n2'));
});
