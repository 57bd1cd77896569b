import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { QkvError } from '../../src/core/errors.js';
import { OutboundCalls } from '../../src/transport/outbound-calls.js';
import { CountingObserver } from './helpers.js';

function setup(maxInFlight = 2, maxQueued = 2) {
  const clock = new ManualClock();
  const obs = new CountingObserver();
  const calls = new OutboundCalls('p', clock, { maxInFlight, maxQueued }, obs);
  const sent: Array<[number, unknown]> = [];
  const dispatch = (id: number, msg: unknown) => void sent.push([id, msg]);
  return { clock, obs, calls, sent, dispatch };
}

const settle = () => new Promise((r) => setImmediate(r));

t.test('a reply resolves its call and records latency', async (t) => {
  const { clock, obs, calls, sent, dispatch } = setup();
  const p = calls.call('hi', 100, dispatch);
  t.same(sent, [[1, 'hi']]);
  t.equal(calls.inFlight, 1);
  clock.advance(7);
  calls.reply(1, 'back');
  t.equal(await p, 'back');
  t.same(obs.latencies, [['p', 7]]);
  t.same(obs.inflights, [['p', 1], ['p', 0]]);
  calls.reply(1, 'late');
  calls.remoteError(1, 'ERR', 'late');
  calls.reply(99, 'unknown');
  t.equal(calls.inFlight, 0);
});

t.test('a remote error rejects with its code and message', async (t) => {
  const { calls, obs, dispatch } = setup();
  const p = calls.call('x', 100, dispatch);
  calls.remoteError(1, 'CONFLICT', 'changed');
  await t.rejects(p, new QkvError('CONFLICT', 'changed'));
  t.same(obs.errors, [['p', 'remote']]);
  t.equal(obs.latencies.length, 1);
});

t.test('no reply in time rejects with TIMEOUT and frees the slot', async (t) => {
  const { clock, calls, obs, dispatch } = setup(1, 1);
  const p1 = calls.call('a', 50, dispatch);
  const p2 = calls.call('b', 500, dispatch);
  t.equal(calls.waiting, 1);
  clock.advance(50);
  await t.rejects(p1, { code: 'TIMEOUT', message: 'request to p timed out after 50 ms' });
  t.equal(calls.waiting, 0, 'the waiter took the slot');
  t.ok(calls.isPending(2));
  calls.reply(2, 'ok');
  t.equal(await p2, 'ok');
  t.same(obs.errors, [['p', 'timeout']]);
});

t.test('a queued call that times out leaves the queue', async (t) => {
  const { clock, calls, sent, dispatch } = setup(1, 5);
  const p1 = calls.call('a', 1000, dispatch);
  const p2 = calls.call('b', 10, dispatch);
  const p3 = calls.call('c', 1000, dispatch);
  clock.advance(10);
  await t.rejects(p2, { code: 'TIMEOUT' });
  t.equal(calls.waiting, 1);
  calls.reply(1, 1);
  await p1;
  t.same(sent.map(([, m]) => m), ['a', 'c'], 'b was never sent');
  calls.reply(3, 3);
  t.equal(await p3, 3);
});

t.test('beyond the queue, calls fail fast as overloaded', async (t) => {
  const { calls, obs, dispatch } = setup(1, 1);
  calls.call('a', 100, dispatch).catch(() => {});
  calls.call('b', 100, dispatch).catch(() => {});
  await t.rejects(calls.call('c', 100, dispatch), { code: 'UNAVAILABLE', message: 'too many requests in flight to p' });
  t.same(obs.errors, [['p', 'overloaded']]);
  calls.failAll(new QkvError('UNAVAILABLE', 'gone'));
  t.same([calls.inFlight, calls.waiting], [0, 0]);
});

t.test('a dispatch that throws or rejects fails its call', async (t) => {
  const { calls, obs } = setup();
  await t.rejects(
    calls.call('a', 100, () => {
      throw new QkvError('ERR', 'too big');
    }),
    { code: 'ERR', message: 'too big' },
  );
  await t.rejects(
    calls.call('b', 100, () => {
      throw new Error('plain');
    }),
    { code: 'UNAVAILABLE', message: 'plain' },
  );
  await t.rejects(
    calls.call('c', 100, () => Promise.reject('text')),
    { code: 'UNAVAILABLE', message: 'text' },
  );
  t.equal(calls.inFlight, 0);
  t.same(obs.errors.map(([, k]) => k), ['unavailable', 'unavailable', 'unavailable']);
});

t.test('failSent fails only calls already on the wire', async (t) => {
  const { calls } = setup(5, 5);
  let open!: () => void;
  const connected = new Promise<void>((r) => (open = r));
  const sentNow = calls.call('a', 100, () => {});
  const waitingForConnection = calls.call('b', 100, () => connected);
  calls.failSent(new QkvError('UNAVAILABLE', 'lost'));
  await t.rejects(sentNow, { message: 'lost' });
  open();
  await settle();
  t.ok(calls.isPending(2), 'the unsent call survives');
  calls.failSent(new QkvError('UNAVAILABLE', 'lost again'));
  await t.rejects(waitingForConnection, { message: 'lost again' });
});

t.test('failAll fails queued and active calls', async (t) => {
  const { calls, dispatch } = setup(1, 1);
  const a = calls.call('a', 100, dispatch);
  const b = calls.call('b', 100, dispatch);
  calls.failAll(new QkvError('UNAVAILABLE', 'closed'));
  await t.rejects(a, { message: 'closed' });
  await t.rejects(b, { message: 'closed' });
});

t.test('works without an observer', async (t) => {
  const clock = new ManualClock();
  const calls = new OutboundCalls('p', clock, { maxInFlight: 1, maxQueued: 0 });
  const p = calls.call('a', 10, () => {});
  await t.rejects(calls.call('b', 10, () => {}), { code: 'UNAVAILABLE' });
  clock.advance(10);
  await t.rejects(p, { code: 'TIMEOUT' });
  const q = calls.call('c', 10, () => {});
  calls.reply(3, 'x');
  t.equal(await q, 'x');
  const r = calls.call('d', 10, () => {});
  calls.remoteError(4, 'E', 'm');
  await t.rejects(r, { code: 'E' });
});
