import t from 'tap';
import { ERR_BUSY, ScriptGate } from '../../src/scripting/index.js';
import type { Reply } from '../../resp/reply.js';

/** The script gate with a hand-driven clock: who waits for whom, and when waiting turns into BUSY. */

const ok = (v: string): Reply => ({ t: 'simple', v });
const BUSY: Reply = { t: 'error', v: ERR_BUSY };

function deferred(): { promise: Promise<Reply>; resolve: (r: Reply) => void } {
  let resolve!: (r: Reply) => void;
  const promise = new Promise<Reply>((r) => (resolve = r));
  return { promise, resolve };
}

t.test('a script waits for running commands of other sessions, not for its own', async (t) => {
  let now = 0;
  const gate = new ScriptGate(() => 1000, () => now);
  const slow = deferred();
  const order: string[] = [];
  const cmd = gate.admit(1, false, () => slow.promise.then((r) => (order.push('cmd'), r)));
  const own = deferred();
  const ownCmd = gate.admit(2, false, () => own.promise);
  const script = gate.exclusive(2, async () => (order.push('script'), ok('s')));
  const after = gate.admit(3, false, () => (order.push('after'), ok('a')));
  t.ok(after instanceof Promise, 'a command arriving behind a waiting script waits too');
  await new Promise((r) => setImmediate(r));
  t.same(order, [], 'nothing ran yet');
  slow.resolve(ok('c'));
  t.same(await script, ok('s'));
  t.same(await after, ok('a'));
  t.same(order, ['cmd', 'script', 'after']);
  own.resolve(ok('o'));
  t.same(await ownCmd, ok('o'));
  t.same(await cmd, ok('c'));
});

t.test('scripts run one at a time, first come first served', async (t) => {
  const gate = new ScriptGate(() => 1000, () => 0);
  const order: string[] = [];
  const first = deferred();
  const a = gate.exclusive(1, () => first.promise.then((r) => (order.push('a'), r)));
  const b = gate.exclusive(2, async () => (order.push('b'), ok('b')));
  await new Promise((r) => setImmediate(r));
  t.same(order, []);
  first.resolve(ok('a'));
  await Promise.all([a, b]);
  t.same(order, ['a', 'b']);
});

t.test('past the threshold: BUSY for new and waiting commands and scripts; allow_busy ones run', async (t) => {
  let now = 0;
  const gate = new ScriptGate(() => 20, () => now);
  const long = deferred();
  const script = gate.exclusive(1, () => long.promise);
  t.notOk(gate.busy);
  const waiting = gate.admit(2, false, () => ok('never'));
  const waitingScript = gate.exclusive(3, async () => ok('never'));
  now = 50;
  t.ok(gate.busy);
  t.same(gate.admit(2, false, () => ok('never')), BUSY);
  t.same(await gate.exclusive(3, async () => ok('never')), BUSY);
  t.same(gate.admit(2, true, () => ok('kill')), ok('kill'), 'allow_busy commands (SCRIPT KILL) run at once');
  await new Promise((r) => setTimeout(r, 40));
  t.same(await waiting, BUSY, 'waiters are answered BUSY when the threshold passes');
  t.same(await waitingScript, BUSY);
  long.resolve(ok('done'));
  t.same(await script, ok('done'));
  t.notOk(gate.busy);
  t.same(gate.admit(2, false, () => ok('now')), ok('now'));
});

t.test('a command that throws or rejects releases its hold', async (t) => {
  const gate = new ScriptGate(() => 1000, () => 0);
  t.throws(() =>
    gate.admit(1, false, () => {
      throw new Error('sync');
    }),
  );
  await t.rejects(gate.admit(1, false, () => Promise.reject(new Error('async'))) as Promise<Reply>);
  t.same(await gate.exclusive(2, async () => ok('ran')), ok('ran'), 'nothing holds the gate');
  const p = gate.exclusive(2, () => Promise.reject(new Error('script failed')));
  await t.rejects(p);
  t.same(gate.admit(1, false, () => ok('free')), ok('free'));
});
