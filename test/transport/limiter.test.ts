import t from 'tap';
import { SeededRng } from '../../src/core/rng.js';
import { backoffDelay } from '../../src/transport/backoff.js';
import { InFlightLimiter } from '../../src/transport/inflight-limiter.js';

t.test('the limiter grants, queues in order, then refuses', async (t) => {
  const l = new InFlightLimiter(2, 2);
  const granted: string[] = [];
  const ticket = (name: string) => ({ grant: () => granted.push(name) });
  t.equal(l.acquire(ticket('a')), 'granted');
  t.equal(l.acquire(ticket('b')), 'granted');
  const c = ticket('c');
  t.equal(l.acquire(c), 'queued');
  t.equal(l.acquire(ticket('d')), 'queued');
  t.equal(l.acquire(ticket('e')), 'refused');
  t.same([l.active, l.queued], [2, 2]);
  t.ok(l.cancel(c));
  t.notOk(l.cancel(c), 'a ticket cancels once');
  l.release();
  t.same(granted, ['d'], 'the slot passes to the oldest waiter left');
  t.same([l.active, l.queued], [2, 0]);
  l.release();
  l.release();
  l.release();
  t.equal(l.active, 0, 'never below zero');
});

t.test('the limiter validates its bounds', async (t) => {
  t.throws(() => new InFlightLimiter(0, 1), RangeError);
  t.throws(() => new InFlightLimiter(1, -1), RangeError);
  t.equal(new InFlightLimiter(1, 0).maxQueued, 0);
});

t.test('backoff grows exponentially to its ceiling, with jitter in the upper half', async (t) => {
  const rng = new SeededRng(5);
  const opts = { initialMs: 100, maxMs: 1000 };
  const outOfRange: string[] = [];
  const seen = new Set<number>();
  for (let f = 1; f <= 8; f++) {
    const ceiling = Math.min(1000, 100 * 2 ** (f - 1));
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(f, opts, rng);
      seen.add(d);
      if (!(d >= ceiling / 2 && d <= ceiling)) outOfRange.push(`failures=${f} delay=${d}`);
    }
  }
  t.same(outOfRange, []);
  t.ok(seen.size > 50, 'delays are jittered');
  t.ok(backoffDelay(0, opts, rng) <= 100, 'zero failures counts as one');
  t.ok(backoffDelay(10_000, opts, rng) <= 1000, 'huge failure counts stay capped');
  const seq = (seed: number) => Array.from({ length: 5 }, (_, i) => backoffDelay(i + 1, opts, new SeededRng(seed)));
  t.same(seq(1), seq(1), 'same seed, same delays');
});
