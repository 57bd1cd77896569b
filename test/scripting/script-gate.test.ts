import t from 'tap';
import { ERR_BUSY, ScriptGate } from '../../src/scripting/index.js';
import type { Reply } from '../../resp/reply.js';

/** The script gate with a hand-driven clock: who waits for whom, by key, and when waiting turns into BUSY. */

const ok = (v: string): Reply => ({ t: 'simple', v });
const BUSY: Reply = { t: 'error', v: ERR_BUSY };
const keys = (...k: string[]): Buffer[] => k.map((s) => Buffer.from(s));
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function deferred(): { promise: Promise<Reply>; resolve: (r: Reply) => void } {
  let resolve!: (r: Reply) => void;
  const promise = new Promise<Reply>((r) => (resolve = r));
  return { promise, resolve };
}

t.test('a script waits for running commands on its keys; commands on its keys wait for it; other keys go on', async (t) => {
  const gate = new ScriptGate(() => 1000, () => 0);
  const order: string[] = [];
  const slowA = deferred();
  const cmdA = gate.admit(1, false, keys('a'), () => slowA.promise.then((r) => (order.push('cmd a'), r)));
  const slowB = deferred();
  const cmdB = gate.admit(1, false, keys('b'), () => slowB.promise);
  const script = gate.exclusive(2, keys('a'), async () => (order.push('script a'), ok('s')));
  const laterA = gate.admit(3, false, keys('a', 'x'), () => (order.push('later a'), ok('l')));
  t.ok(laterA instanceof Promise, 'a command on the waiting script keys queues behind it');
  t.same(gate.admit(3, false, keys('c'), () => ok('c')), ok('c'), 'a command on another key runs at once');
  await tick();
  t.same(order, [], 'the script waits for the command on a, not for the one on b');
  slowA.resolve(ok('a'));
  t.same(await script, ok('s'));
  t.same(await laterA, ok('l'));
  t.same(order, ['cmd a', 'script a', 'later a']);
  slowB.resolve(ok('b'));
  await Promise.all([cmdA, cmdB]);
});

t.test('keyless commands and scripts without keys touch every key; a session own keyless command does not hold its script', async (t) => {
  const gate = new ScriptGate(() => 1000, () => 0);
  const order: string[] = [];
  const exec = deferred();
  const execRun = gate.admit(1, false, null, () => exec.promise);
  const own = gate.exclusive(1, keys('k'), async () => (order.push('own script'), ok('o')));
  t.same(await own, ok('o'), 'EVAL inside EXEC does not wait for its EXEC');
  const other = gate.exclusive(2, keys('k'), async () => (order.push('other script'), ok('x')));
  await tick();
  t.same(order, ['own script'], 'another session waits for the keyless EXEC');
  exec.resolve(ok('e'));
  await Promise.all([execRun, other]);
  const long = deferred();
  const global = gate.exclusive(3, null, () => long.promise);
  const anyKey = gate.admit(4, false, keys('zzz'), () => ok('z'));
  t.ok(anyKey instanceof Promise, 'a script without KEYS holds every key');
  long.resolve(ok('g'));
  await global;
  t.same(await anyKey, ok('z'));
});

t.test('scripts on one key run one at a time, first come first served; on different keys together', async (t) => {
  const gate = new ScriptGate(() => 1000, () => 0);
  const order: string[] = [];
  const first = deferred();
  const a = gate.exclusive(1, keys('k'), () => first.promise.then((r) => (order.push('a'), r)));
  const b = gate.exclusive(2, keys('k'), async () => (order.push('b'), ok('b')));
  const c = gate.exclusive(3, keys('other'), async () => (order.push('c'), ok('c')));
  await c;
  t.same(order, ['c']);
  first.resolve(ok('a'));
  await Promise.all([a, b]);
  t.same(order, ['c', 'a', 'b']);
});

t.test('past the threshold: BUSY on the script keys for new and waiting commands and scripts; allow_busy ones run', async (t) => {
  let now = 0;
  const gate = new ScriptGate(() => 20, () => now);
  const long = deferred();
  const script = gate.exclusive(1, keys('k'), () => long.promise);
  t.notOk(gate.busy);
  const waiting = gate.admit(2, false, keys('k'), () => ok('never'));
  const waitingScript = gate.exclusive(3, keys('k'), async () => ok('never'));
  now = 50;
  t.ok(gate.busy);
  t.same(gate.admit(2, false, keys('k'), () => ok('never')), BUSY);
  t.same(gate.admit(2, false, null, () => ok('never')), BUSY, 'a keyless command too');
  t.same(gate.admit(2, false, keys('free'), () => ok('free')), ok('free'), 'other keys are served');
  t.same(await gate.exclusive(3, keys('k'), async () => ok('never')), BUSY);
  t.same(gate.admit(2, true, keys('k'), () => ok('kill')), ok('kill'), 'allow_busy commands (SCRIPT KILL) run at once');
  await new Promise((r) => setTimeout(r, 40));
  t.same(await waiting, BUSY, 'waiters are answered BUSY when the threshold passes');
  t.same(await waitingScript, BUSY);
  long.resolve(ok('done'));
  t.same(await script, ok('done'));
  t.notOk(gate.busy);
  t.same(gate.admit(2, false, keys('k'), () => ok('now')), ok('now'));
});

t.test('a command that throws or rejects releases its hold', async (t) => {
  const gate = new ScriptGate(() => 1000, () => 0);
  t.throws(() =>
    gate.admit(1, false, keys('k'), () => {
      throw new Error('sync');
    }),
  );
  await t.rejects(gate.admit(1, false, null, () => Promise.reject(new Error('async'))) as Promise<Reply>);
  t.same(await gate.exclusive(2, null, async () => ok('ran')), ok('ran'), 'nothing holds the gate');
  await t.rejects(gate.exclusive(2, keys('k'), () => Promise.reject(new Error('script failed'))));
  t.same(gate.admit(1, false, keys('k'), () => ok('free')), ok('free'));
});
