import t from 'tap';
import { KeyHolds } from '../../src/coordinator/key-holds.js';

const k = (s: string): Buffer => Buffer.from(s);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A write as the coordinator makes one: wait while blocked, then start, then finish. */
async function write(holds: KeyHolds, key: Buffer, body: () => Promise<void> | void): Promise<void> {
  for (let b = holds.blocked(key); b; b = holds.blocked(key)) await b;
  holds.start(key);
  try {
    await body();
  } finally {
    holds.finish(key);
  }
}

t.test('a free key, and the holder itself, go ahead at once', async (t) => {
  const holds = new KeyHolds();
  t.equal(holds.blocked(k('a')), undefined, 'nothing held');
  await holds.run([k('a'), k('b')], async (holder) => {
    t.equal(holds.size, 2, 'both keys held');
    t.equal(holds.blocked(k('a'), holder), undefined, 'the holder passes');
    t.equal(holds.blocked(k('c')), undefined, 'another key is free');
    t.ok(holds.blocked(k('b')) instanceof Promise, 'anyone else waits');
  });
  t.equal(holds.size, 0, 'released');
});

t.test('a write on a held key waits until the hold ends, then goes ahead', async (t) => {
  const holds = new KeyHolds();
  const order: string[] = [];
  let finish!: () => void;
  const running = holds.run([k('a')], async () => {
    order.push('script starts');
    await new Promise<void>((resolve) => (finish = resolve));
    order.push('script ends');
  });
  await tick();
  const w = write(holds, k('a'), () => void order.push('write'));
  await tick();
  t.same(order, ['script starts'], 'the write is waiting');
  finish();
  await Promise.all([running, w]);
  t.same(order, ['script starts', 'script ends', 'write'], 'the write went after the script');
});

t.test('a script starts once the writes under way on its keys have finished; later writes wait for it', async (t) => {
  const holds = new KeyHolds();
  const order: string[] = [];
  let land!: () => void;
  const early = write(holds, k('a'), async () => {
    order.push('early write starts');
    await new Promise<void>((resolve) => (land = resolve));
    order.push('early write done');
  });
  await tick();
  const script = holds.run([k('a')], async () => void order.push('script'));
  await tick();
  const late = write(holds, k('a'), () => void order.push('late write'));
  await tick();
  t.same(order, ['early write starts'], 'the script waits for the write under way, the late write for the script');
  land();
  await Promise.all([early, script, late]);
  t.same(order, ['early write starts', 'early write done', 'script', 'late write']);
});

t.test('holds on overlapping keys take turns; a failing one releases its keys', async (t) => {
  const holds = new KeyHolds();
  const order: string[] = [];
  const first = holds.run([k('a'), k('b')], async () => {
    order.push('first');
    await tick();
    throw new Error('script failed');
  });
  const second = holds.run([k('b'), k('c')], async () => {
    order.push('second');
  });
  await t.rejects(first, /script failed/);
  await second;
  t.same(order, ['first', 'second'], 'the second waited for the first');
  t.equal(holds.size, 0, 'nothing left held');
});
