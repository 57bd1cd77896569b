import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { GroupCommit, type BatchWriter } from '../../src/storage/group-commit.js';

/** A scheduler the test runs by hand, and a writer that records batches. */
function setup(opts: { maxBatchOps?: number; maxBatchBytes?: number; fail?: (items: string[]) => unknown } = {}) {
  const scheduled: Array<() => void> = [];
  const batches: string[][] = [];
  const log: string[] = [];
  const writer: BatchWriter<string> = {
    write: async (items) => {
      batches.push(items);
      const err = opts.fail?.(items);
      if (err) throw err;
    },
    settled: (items, error) => log.push(`settled ${items.join(',')} ${error ? error.code : 'ok'}`),
  };
  const gc = new GroupCommit(writer, {
    maxBatchOps: opts.maxBatchOps ?? 1000,
    maxBatchBytes: opts.maxBatchBytes ?? 1 << 20,
    schedule: (run) => scheduled.push(run),
  });
  const runScheduled = (): void => scheduled.splice(0).forEach((run) => run());
  return { gc, batches, log, runScheduled, scheduled };
}

t.test('writes of one turn form one batch; nothing is written before the turn ends', async (t) => {
  const { gc, batches, runScheduled, scheduled } = setup();
  const done = ['a', 'b', 'c'].map((x) => gc.submit(x, 1));
  t.equal(scheduled.length, 1, 'one run scheduled for the turn');
  t.equal(gc.queued, 3);
  t.equal(gc.queuedBytes, 3);
  await Promise.resolve();
  t.same(batches, []);
  runScheduled();
  await Promise.all(done);
  t.same(batches, [['a', 'b', 'c']]);
  t.equal(gc.batches, 1);
  t.equal(gc.batchedOps, 3);
  t.equal(gc.queued, 0);
});

t.test('settled runs before the promises of the batch settle', async (t) => {
  const { gc, log, runScheduled } = setup();
  const p = gc.submit('a', 1).then(() => log.push('resolved'));
  runScheduled();
  await p;
  t.same(log, ['settled a ok', 'resolved']);
});

t.test('a failed batch rejects its writes with a QkvError and the queue goes on', async (t) => {
  const { gc, batches, log, runScheduled } = setup({ fail: (items) => (items.includes('bad') ? new Error('EIO') : null) });
  const bad = gc.submit('bad', 1);
  const alsoBad = gc.submit('x', 1);
  runScheduled();
  await t.rejects(bad, { code: 'IOERR', message: 'storage write failed: EIO' });
  await t.rejects(alsoBad, QkvError);
  const good = gc.submit('good', 1);
  runScheduled();
  await good;
  t.same(batches, [['bad', 'x'], ['good']]);
  t.same(log, ['settled bad,x IOERR', 'settled good ok']);
});

t.test('whatever the writer throws becomes an IOERR', async (t) => {
  const { gc, runScheduled } = setup({ fail: () => 'a string' });
  const p = gc.submit('a', 1);
  runScheduled();
  await t.rejects(p, { code: 'IOERR', message: 'storage write failed: a string' });
});

t.test('a QkvError from the writer is passed through unchanged', async (t) => {
  const err = new QkvError('IOERR', 'disk full');
  const { gc, runScheduled } = setup({ fail: () => err });
  const p = gc.submit('a', 1);
  runScheduled();
  await t.rejects(p, err);
});

t.test('an exception in settled rejects the batch but does not stop the queue', async (t) => {
  let first = true;
  const scheduled: Array<() => void> = [];
  const gc = new GroupCommit<string>(
    {
      write: async () => undefined,
      settled: () => {
        if (first) {
          first = false;
          throw new Error('bug');
        }
      },
    },
    { maxBatchOps: 10, maxBatchBytes: 100, schedule: (run) => scheduled.push(run) },
  );
  const a = gc.submit('a', 1);
  scheduled.splice(0).forEach((run) => run());
  await t.rejects(a, { message: /bug/ });
  const b = gc.submit('b', 1);
  scheduled.splice(0).forEach((run) => run());
  await t.resolves(b);
});

t.test('barriers run alone, after what came before and before what comes after', async (t) => {
  const { gc, batches, log, runScheduled } = setup();
  const a = gc.submit('a', 1);
  const barrier = gc.barrier(async () => {
    log.push(`barrier after ${batches.length} batches`);
  });
  const b = gc.submit('b', 1);
  const failing = gc.barrier(async () => {
    throw new Error('barrier failed');
  });
  const c = gc.submit('c', 1);
  runScheduled();
  await Promise.all([a, barrier, b]);
  await t.rejects(failing, { message: 'barrier failed' });
  await c;
  t.same(batches, [['a'], ['b'], ['c']]);
  t.same(log, ['settled a ok', 'barrier after 1 batches', 'settled b ok', 'settled c ok']);
  const drained = gc.drained();
  runScheduled();
  await drained;
});

t.test('batches are cut at maxBatchOps and maxBatchBytes; one oversized write goes alone', async (t) => {
  const { gc, batches, runScheduled } = setup({ maxBatchOps: 3, maxBatchBytes: 10 });
  const all = [gc.submit('a', 1), gc.submit('b', 1), gc.submit('c', 1), gc.submit('d', 1), gc.submit('big', 50), gc.submit('e', 6), gc.submit('f', 6)];
  runScheduled();
  await Promise.all(all);
  t.same(batches, [['a', 'b', 'c'], ['d'], ['big'], ['e'], ['f']]);
});

t.test('a long queue drains in order', async (t) => {
  const { gc, batches, runScheduled } = setup({ maxBatchOps: 100 });
  const all = Array.from({ length: 10_000 }, (_, i) => gc.submit(String(i), 1));
  runScheduled();
  await Promise.all(all);
  t.equal(batches.length, 100);
  t.same(batches.flat(), Array.from({ length: 10_000 }, (_, i) => String(i)));
  const later = gc.submit('later', 1);
  runScheduled();
  await later;
  t.same(batches.at(-1), ['later'], 'the queue starts afresh once empty');
});

t.test('the default scheduler waits for the end of the turn', async (t) => {
  const batches: string[][] = [];
  const gc = new GroupCommit<string>({ write: async (items) => void batches.push(items), settled: () => undefined }, { maxBatchOps: 10, maxBatchBytes: 100 });
  const first = gc.submit('a', 1);
  await Promise.resolve();
  const second = gc.submit('b', 1);
  await Promise.all([first, second]);
  t.same(batches, [['a', 'b']]);
  t.equal(gc.inFlight, 0);
});
