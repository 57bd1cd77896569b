import t from 'tap';
import { startTestNode } from './node-harness.js';
import { encodePipeline } from './raw-client.js';

// MULTI/EXEC/DISCARD/WATCH on a node, as a client sends them: replies and
// error texts as Redis gives them, commands queued and run at EXEC.

const { raw } = await startTestNode(t);

t.test('MULTI queues, EXEC runs in order and answers every reply', async (t) => {
  const c = await raw();
  t.equal(await c.call('MULTI'), '+OK\r\n');
  t.equal(await c.call('SET', 'tx:a', '1'), '+QUEUED\r\n');
  t.equal(await c.call('INCR', 'tx:a'), '+QUEUED\r\n');
  t.equal(await c.call('GET', 'tx:a'), '+QUEUED\r\n');
  t.equal(await c.call('GET', 'tx:a'), '+QUEUED\r\n');
  t.equal(await c.call('EXEC'), '*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n$1\r\n2\r\n');
  t.equal(await c.call('GET', 'tx:a'), '$1\r\n2\r\n', 'not in a transaction any more');
});

t.test('a pipelined MULTI ... EXEC: nothing runs before EXEC; a runtime error fails only its command', async (t) => {
  const c = await raw();
  c.send(encodePipeline([['MULTI'], ['SET', 'tx:s', 'abc'], ['INCR', 'tx:s'], ['GET', 'tx:s'], ['EXEC']]));
  t.same(await c.read(5), ['+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n$3\r\nabc\r\n']);
});

t.test('a command refused while queued discards the transaction: EXECABORT, nothing written', async (t) => {
  const c = await raw();
  t.equal(await c.call('MULTI'), '+OK\r\n');
  t.equal(await c.call('SET', 'tx:never', 'v'), '+QUEUED\r\n');
  t.match(await c.call('NOSUCHCMD'), /^-ERR unknown command 'NOSUCHCMD'/);
  t.equal(await c.call('GET'), "-ERR wrong number of arguments for 'get' command\r\n");
  t.equal(await c.call('EXEC'), '-EXECABORT Transaction discarded because of previous errors.\r\n');
  t.equal(await c.call('GET', 'tx:never'), '$-1\r\n');
});

t.test('DISCARD drops the queue; misplaced commands get Redis errors', async (t) => {
  const c = await raw();
  t.equal(await c.call('EXEC'), '-ERR EXEC without MULTI\r\n');
  t.equal(await c.call('DISCARD'), '-ERR DISCARD without MULTI\r\n');
  t.equal(await c.call('MULTI'), '+OK\r\n');
  t.equal(await c.call('MULTI'), '-ERR MULTI calls can not be nested\r\n');
  t.equal(await c.call('WATCH', 'x'), '-ERR WATCH inside MULTI is not allowed\r\n');
  t.equal(await c.call('SET', 'tx:d', 'v'), '+QUEUED\r\n');
  t.equal(await c.call('DISCARD'), '+OK\r\n');
  t.equal(await c.call('GET', 'tx:d'), '$-1\r\n');
});

t.test('WATCH: a change by another client makes EXEC answer a null array and write nothing', async (t) => {
  const a = await raw();
  const b = await raw();
  t.equal(await a.call('SET', 'tx:w', '1'), '+OK\r\n');
  t.equal(await a.call('WATCH', 'tx:w'), '+OK\r\n');
  t.equal(await b.call('SET', 'tx:w', 'other'), '+OK\r\n');
  t.equal(await a.call('MULTI'), '+OK\r\n');
  t.equal(await a.call('SET', 'tx:w', 'mine'), '+QUEUED\r\n');
  t.equal(await a.call('EXEC'), '*-1\r\n');
  t.equal(await a.call('GET', 'tx:w'), '$5\r\nother\r\n');
  // Unchanged since WATCH: it runs; EXEC also ends the watch.
  t.equal(await a.call('WATCH', 'tx:w'), '+OK\r\n');
  t.equal(await a.call('MULTI'), '+OK\r\n');
  t.equal(await a.call('SET', 'tx:w', 'mine'), '+QUEUED\r\n');
  t.equal(await a.call('EXEC'), '*1\r\n+OK\r\n');
  t.equal(await b.call('SET', 'tx:w', 'later'), '+OK\r\n');
  t.equal(await a.call('MULTI'), '+OK\r\n');
  t.equal(await a.call('GET', 'tx:w'), '+QUEUED\r\n');
  t.equal(await a.call('EXEC'), '*1\r\n$5\r\nlater\r\n', 'no longer watched after EXEC');
  // UNWATCH forgets.
  t.equal(await a.call('WATCH', 'tx:w'), '+OK\r\n');
  t.equal(await b.call('SET', 'tx:w', 'again'), '+OK\r\n');
  t.equal(await a.call('UNWATCH'), '+OK\r\n');
  t.equal(await a.call('MULTI'), '+OK\r\n');
  t.equal(await a.call('SET', 'tx:w', 'mine'), '+QUEUED\r\n');
  t.equal(await a.call('EXEC'), '*1\r\n+OK\r\n');
});

t.test('RESP3: EXEC of a changed watch is a null', async (t) => {
  const c = await raw();
  const d = await raw();
  await c.call('HELLO', '3');
  t.equal(await c.call('WATCH', 'tx:r3'), '+OK\r\n');
  t.equal(await d.call('SET', 'tx:r3', 'x'), '+OK\r\n');
  t.equal(await c.call('MULTI'), '+OK\r\n');
  t.equal(await c.call('GET', 'tx:r3'), '+QUEUED\r\n');
  t.equal(await c.call('EXEC'), '_\r\n');
});

t.test('RESET discards a transaction being queued and the watched keys', async (t) => {
  const c = await raw();
  t.equal(await c.call('WATCH', 'tx:reset'), '+OK\r\n');
  t.equal(await c.call('MULTI'), '+OK\r\n');
  t.equal(await c.call('SET', 'tx:reset', 'queued'), '+QUEUED\r\n');
  t.equal(await c.call('RESET'), '+RESET\r\n');
  t.equal(await c.call('EXEC'), '-ERR EXEC without MULTI\r\n');
  t.equal(await c.call('GET', 'tx:reset'), '$-1\r\n');
});
