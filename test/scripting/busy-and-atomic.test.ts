import t from 'tap';
import { createHash } from 'node:crypto';
import { captureLog, sleep, startTestNode } from '../server/node-harness.js';

/**
 * A script on a real node: other clients wait for it (no command on its keys
 * interleaves), get BUSY once it has run past busy-reply-threshold, and
 * SCRIPT KILL stops it unless it has written (UNKILLABLE).
 */

const BUSY = '-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n';
const sha = (s: string): string => createHash('sha1').update(s).digest('hex');

t.test('no command interleaves with a script, even while its redis.calls wait for the store', async (t) => {
  const n = await startTestNode(t);
  const a = await n.raw();
  const b = await n.raw();
  const script = "local a = tonumber(redis.call('GET', KEYS[1]) or '0') for i = 1, 40 do redis.call('INCR', KEYS[1]) end return tonumber(redis.call('GET', KEYS[1])) - a";
  const others: Array<Promise<string>> = [];
  const runs: Array<Promise<string>> = [];
  for (let round = 0; round < 5; round++) {
    runs.push(a.call('EVAL', script, '1', 'hot'));
    for (let i = 0; i < 50; i++) others.push(b.call('INCR', 'hot'));
  }
  for (const r of await Promise.all(runs)) t.equal(r, ':40\r\n');
  await Promise.all(others);
  t.equal(await b.call('GET', 'hot'), '$3\r\n450\r\n');
});

t.test('a long script: BUSY for others, SCRIPT KILL stops it, NOTBUSY after', async (t) => {
  const n = await startTestNode(t, ['--busy-reply-threshold', '600']);
  const a = await n.raw();
  const b = await n.raw();
  const body = 'while true do end';
  const running = a.call('EVAL', body, '0');
  // Margins are wide: the machine running the tests may be busy.
  await sleep(250);
  // Before the threshold a command waits for the script; past it, it is answered BUSY.
  const waiting = b.call('SET', 'k', 'v');
  await sleep(700);
  t.equal(await waiting, BUSY, 'a command that waited is answered BUSY once the threshold passes');
  t.equal(await b.call('GET', 'k'), BUSY);
  t.equal(await b.call('EVAL', 'return 1', '0'), BUSY);
  t.equal(await b.call('SCRIPT', 'KILL'), '+OK\r\n');
  t.equal(await running, `-ERR Script killed by user with SCRIPT KILL... script: ${sha(body)}, on @user_script:1.\r\n`);
  t.equal(await b.call('SCRIPT', 'KILL'), '-NOTBUSY No scripts in execution right now.\r\n');
  t.equal(await b.call('GET', 'k'), '$-1\r\n', 'the SET answered BUSY never ran');
});

t.test('SCRIPT KILL stops a script that catches errors with pcall (lua-time-limit set as in Redis)', async (t) => {
  const n = await startTestNode(t);
  const a = await n.raw();
  const b = await n.raw();
  t.equal(await b.call('CONFIG', 'SET', 'lua-time-limit', '10'), '+OK\r\n');
  const body = "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end";
  const running = a.call('EVAL', body, '0');
  await sleep(300);
  t.equal(await b.call('PING'), BUSY);
  t.equal(await b.call('SCRIPT', 'KILL'), '+OK\r\n');
  t.match(await running, /^-ERR Script killed by user with SCRIPT KILL\.\.\./);
  t.equal(await b.call('PING'), '+PONG\r\n');
});

t.test('a long script that wrote cannot be killed (UNKILLABLE) and finishes', async (t) => {
  const n = await startTestNode(t, ['--busy-reply-threshold', '50']);
  const a = await n.raw();
  const b = await n.raw();
  const body = "redis.call('SET', KEYS[1], 'w') local t0 = redis.call('TIME') repeat local now = redis.call('TIME') until (now[1] - t0[1]) * 1000000 + (now[2] - t0[2]) > 1500000 return 'done'";
  const running = a.call('EVAL', body, '1', 'w');
  await sleep(400);
  t.match(await b.call('SCRIPT', 'KILL'), /^-UNKILLABLE Sorry the script already executed write commands against the dataset\./);
  t.equal(await b.call('GET', 'w'), BUSY);
  t.equal(await running, '$4\r\ndone\r\n');
  t.equal(await b.call('GET', 'w'), '$1\r\nw\r\n');
});

t.test('EVAL inside MULTI runs at EXEC without waiting for itself', async (t) => {
  const n = await startTestNode(t);
  const a = await n.raw();
  t.equal(await a.call('MULTI'), '+OK\r\n');
  t.equal(await a.call('EVAL', "return redis.call('INCR', KEYS[1])", '1', 'm'), '+QUEUED\r\n');
  t.equal(await a.call('INCR', 'm'), '+QUEUED\r\n');
  t.equal(await a.call('EXEC'), '*2\r\n:1\r\n:2\r\n');
});

t.test("redis.log writes to the node's log at Redis's levels", async (t) => {
  const log = captureLog('debug');
  const n = await startTestNode(t, [], { log: log.logger });
  const a = await n.raw();
  await a.call('EVAL', "redis.log(redis.LOG_WARNING, 'warned', 1) redis.log(redis.LOG_NOTICE, 'noted') redis.log(redis.LOG_DEBUG, 'detail')", '0');
  const lines = log.lines.filter((l) => l.msg === 'script log').map((l) => [l.level, l.message]);
  t.same(lines, [
    ['warn', 'warned 1'],
    ['info', 'noted'],
    ['debug', 'detail'],
  ]);
});

t.test('INFO memory counts the cached scripts; SCRIPT FLUSH ASYNC empties the cache', async (t) => {
  const n = await startTestNode(t);
  const a = await n.raw();
  for (let j = 0; j < 5; j++) await a.call('SCRIPT', 'LOAD', `return ${j}`);
  t.match(await a.call('INFO', 'memory'), /number_of_cached_scripts:5\r\n/);
  t.match(await a.call('INFO', 'memory'), /used_memory_lua:[1-9]\d*\r\n/);
  t.equal(await a.call('SCRIPT', 'FLUSH', 'ASYNC'), '+OK\r\n');
  t.match(await a.call('INFO', 'memory'), /number_of_cached_scripts:0\r\n/);
});
