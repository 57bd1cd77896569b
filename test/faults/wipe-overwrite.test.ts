import t from 'tap';
import { FaultCluster, RespReplyError, sleep } from '../support/fault-cluster.js';

// A replaced disk under the same node id: the node comes back empty and its
// clients reconnect at once. Overwrites it acknowledges in its first moments
// must win over the values from before the wipe. (They used to be dropped:
// the rebuilt node issued dots it had issued before the wipe, and the other
// replicas took the new writes for ones they had already seen.)

const KEYS = 60;
const cluster = await FaultCluster.start({ t, nodes: 3 });

async function retrying(id: string, ...args: string[]): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await cluster.call(id, ...args);
    } catch (e) {
      // The first moments after a restart: peers not yet reachable again.
      if (!(e instanceof RespReplyError) || !/^(UNAVAILABLE|TIMEOUT|TRYAGAIN)/.test(e.reply) || attempt >= 200) throw e;
      await sleep(50);
    }
  }
}

t.test('writes acknowledged by a wiped node right after it restarts are not lost', async (t) => {
  for (let i = 0; i < KEYS; i++) t.equal(await cluster.call('node3', 'SET', `w:${i}`, 'before'), 'OK');
  await cluster.wipe('node3');
  for (let i = 0; i < KEYS; i++) t.equal(await retrying('node3', 'SET', `w:${i}`, 'after'), 'OK', `overwrite ${i} acknowledged`);
  let lost = 0;
  for (let i = 0; i < KEYS; i++) {
    for (const id of ['node1', 'node2', 'node3']) {
      const v = await retrying(id, 'GET', `w:${i}`);
      if (v !== 'after') lost++;
    }
    const [, values] = (await retrying('node1', 'QGET', `w:${i}`, 'R', '3')) as [string, string[]];
    if (!values.includes('after')) lost++;
  }
  t.equal(lost, 0, 'every acknowledged overwrite is what GET answers on every node, and a sibling for QGET');
});

t.test('a wiped node issues dots under a new actor, so its old dots are never reissued', async (t) => {
  await retrying('node3', 'SET', 'w:actor', 'one');
  const before = (await retrying('node3', 'VCLOCK', 'w:actor')) as Array<[string, number, number, string, number]>;
  await cluster.wipe('node3');
  await retrying('node3', 'QSET', 'w:actor', 'two');
  const after = (await retrying('node1', 'VCLOCK', 'w:actor', 'R', '3')) as Array<[string, number, number, string, number]>;
  const dotsBefore = before.map((s) => s[3]);
  const dotsAfter = after.map((s) => s[3]);
  t.equal(new Set(dotsAfter).size, dotsAfter.length, 'no two siblings share a dot');
  t.equal(dotsAfter.length, 2, 'the blind write is a sibling of the old value');
  t.ok(dotsBefore.every((d) => dotsAfter.includes(d)), 'the old dot is kept for the old value');
  t.match(dotsAfter.find((d) => !dotsBefore.includes(d)) ?? '', /^\{"node3~[0-9a-z]+":\d+\}$/, 'the new dot names a new actor of node3');
});
