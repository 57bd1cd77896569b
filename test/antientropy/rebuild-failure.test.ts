import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { QkvError } from '../../src/core/errors.js';
import { Rebuilder } from '../../src/antientropy/rebuild.js';
import { TreeSet } from '../../src/antientropy/tree-set.js';
import type { LocalStore } from '../../src/storage/local-store.js';

/**
 * A rebuild is started by a ring change and awaited by no one: a storage
 * error during its scan once escaped as an unhandled rejection, which
 * stops a Node.js process (found by the simulation: a node crashed while
 * its trees were being rebuilt for a ring that had just grown).
 */
t.test('a scan that fails leaves its range pending, reports the error, and the next kick builds it', async (t) => {
  let failures = 1;
  const store = {
    stats: () => ({ keys: 0, bytes: 0 }),
    scan: async () => {
      if (failures-- > 0) throw new QkvError('IOERR', 'read failed (test)');
      return { entries: [], next: null };
    },
  } as unknown as LocalStore;
  const trees = new TreeSet(4);
  trees.configure([{ start: 0n, end: 1000n }]);
  const errors: unknown[] = [];
  const rebuilder = new Rebuilder(trees, store, new ManualClock(), undefined, (err) => errors.push(err));
  await t.resolves(rebuilder.kick(), 'the failed rebuild does not reject');
  t.equal(errors.length, 1, 'the error is reported');
  t.equal(trees.all()[0]!.state, 'pending', 'the range waits for another scan');
  await rebuilder.kick();
  t.equal(trees.all()[0]!.state, 'ready', 'the next kick builds it');
  t.equal(errors.length, 1);
});
