import t from 'tap';
import { Ring } from '../../src/ring/ring.js';
import type { MemberState } from '../../src/ring/types.js';
import { Readiness } from '../../src/server/readiness.js';

const seeds = (n: number) => Array.from({ length: n }, (_, i) => ({ host: '127.0.0.1', port: 17000 + i }));
const ring = (states: MemberState[]) => Ring.build(states.map((state, i) => ({ id: `n${i}`, rack: 'r', dc: 'd', vnodes: 8, state })));

t.test('a seeded node serves once its ring holds min(N, expected members) owners, and stays ready', async (t) => {
  const r = new Readiness({ n: 3, seeds: seeds(3) }, true);
  t.equal(r.membersNeeded, 3);
  t.equal(r.notReady({ ring: null, selfState: null }), 'this node has not started its membership yet');
  t.equal(r.notReady({ ring: ring(['normal']), selfState: 'normal' }), '1 of 3 members known so far');
  t.equal(r.notReady({ ring: ring(['normal', 'normal', 'joining']), selfState: 'normal' }), '2 of 3 members known so far', 'a joining member owns nothing yet');
  t.equal(r.notReady({ ring: ring(['normal', 'normal', 'normal']), selfState: 'normal' }), null);
  t.equal(r.notReady({ ring: ring(['normal']), selfState: 'normal' }), null, 'once ready, a shrinking view does not stop it');
});

t.test('the members expected: the distinct seeds, this node added when it is not one; at most N', async (t) => {
  t.equal(new Readiness({ n: 3, seeds: [] }, false).membersNeeded, 1, 'a node alone');
  t.equal(new Readiness({ n: 3, seeds: seeds(1) }, false).membersNeeded, 2, 'one seed plus this node');
  t.equal(new Readiness({ n: 3, seeds: [...seeds(2), ...seeds(2)] }, true).membersNeeded, 2, 'duplicates count once');
  t.equal(new Readiness({ n: 3, seeds: seeds(5) }, true).membersNeeded, 3);
  const joining = new Readiness({ n: 3, seeds: seeds(1) }, false);
  t.equal(joining.notReady({ ring: ring(['normal', 'joining']), selfState: 'joining' }), 'this node is joining (streaming the ranges it will own)');
  t.equal(joining.notReady({ ring: ring(['normal', 'normal']), selfState: 'normal' }), null);
});
