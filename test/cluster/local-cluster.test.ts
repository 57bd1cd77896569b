import { EventEmitter } from 'node:events';
import t from 'tap';
import { onSignals } from '../../src/server/cluster-cli.js';
import { LocalCluster, type NodeLaunch } from '../../src/server/local-cluster.js';

// The process manager of `quorumkv cluster`, driven with tiny stand-in node
// scripts (node -e) so each way a node can behave is quick to reproduce.

const ENV = { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' };

function launch(name: string): NodeLaunch {
  return { name, host: '127.0.0.1', port: 1, peerPort: 2, metricsPort: null, dataDir: '/nowhere', args: ['--x', '1'] };
}

/** A stand-in node: prints `lines`, then handles SIGTERM as told, and stays up meanwhile. */
function script(lines: readonly string[], onTerm: 'exit' | 'ignore' | 'fail'): string[] {
  const term = { exit: 'process.exit(0)', ignore: '', fail: 'process.exit(3)' }[onTerm];
  const body = `${lines.map((l) => `console.log(${JSON.stringify(l)});`).join('')} process.on('SIGTERM', () => { ${term} }); setInterval(() => {}, 1000);`;
  return ['-e', body];
}

const READY = JSON.stringify({ level: 'info', msg: 'ready' });

function collect(): { out: (s: string) => void; text: () => string } {
  let buf = '';
  return { out: (s) => (buf += s), text: () => buf };
}

t.test('nodes that log ready and stop on SIGTERM: ready, forwarded, stopped cleanly', async (t) => {
  const io = collect();
  const cluster = LocalCluster.start([launch('node1'), launch('node2')], { entry: script(['{not json', 'plain', READY], 'exit'), out: io.out, env: ENV });
  await cluster.ready(10_000);
  t.equal(cluster.pids().size, 2);
  t.match(io.text(), 'node1 | plain\n');
  t.match(io.text(), 'node2 | {not json\n');
  t.equal(await cluster.stop(5_000), true);
  t.equal(cluster.pids().size, 0);
  t.match(io.text(), 'node1 exited (code 0)');
});

t.test('a node that ignores SIGTERM is killed after the deadline, and the stop is not clean', async (t) => {
  const io = collect();
  const cluster = LocalCluster.start([launch('node1')], { entry: script([READY], 'ignore'), out: io.out, env: ENV });
  await cluster.ready(10_000);
  t.equal(await cluster.stop(300), false);
  t.match(io.text(), 'node1 did not stop within 300 ms: SIGKILL');
  t.match(io.text(), 'node1 exited (signal SIGKILL)');
});

t.test('a node that exits with an error on SIGTERM makes the stop unclean', async (t) => {
  const io = collect();
  const cluster = LocalCluster.start([launch('node1')], { entry: script([READY], 'fail'), out: io.out, env: ENV });
  await cluster.ready(10_000);
  t.equal(await cluster.stop(5_000), false);
  t.match(io.text(), 'node1 exited (code 3)');
});

t.test('a node that never logs ready times out; one that dies after ready is reported', async (t) => {
  const io = collect();
  const slow = LocalCluster.start([launch('node1')], { entry: script(['starting'], 'exit'), out: io.out, env: ENV });
  await t.rejects(slow.ready(300), /not every node was ready within 300 ms/);
  // On a loaded machine the stand-in may not have started within 300 ms: SIGTERM before its handler is an unclean stop.
  for (let i = 0; i < 200 && !io.text().includes('starting'); i++) await new Promise((r) => setTimeout(r, 50));
  t.equal(await slow.stop(5_000), true);

  const io2 = collect();
  const dying = LocalCluster.start([launch('node1')], { entry: ['-e', `console.log(${JSON.stringify(READY)}); setTimeout(() => process.exit(5), 200)`], out: io2.out, env: ENV });
  await dying.ready(10_000);
  t.equal(await dying.unexpectedExit(), 'node1 exited (code 5)');
  t.equal(await dying.stop(1_000), false, 'a cluster that lost a node did not stop cleanly');
  // Asking for readiness after a failure answers at once.
  await t.rejects(dying.ready(10_000), /node1 exited \(code 5\)/);
});

t.test('a program that cannot be started is reported', async (t) => {
  const io = collect();
  const cluster = LocalCluster.start([launch('node1')], { entry: [], execPath: '/nonexistent/node', out: io.out, env: ENV });
  await t.rejects(cluster.ready(10_000), /node1 could not start: spawn \/nonexistent\/node ENOENT/);
  t.equal(await cluster.stop(1_000), false);
});

t.test('SIGINT and SIGTERM call stop once hooked, and no longer once unhooked', async (t) => {
  const proc = new EventEmitter();
  const seen: string[] = [];
  const unhook = onSignals((why) => seen.push(why), proc);
  proc.emit('SIGINT');
  proc.emit('SIGTERM');
  unhook();
  proc.emit('SIGINT');
  t.same(seen, ['SIGINT', 'SIGTERM']);
  t.equal(proc.listenerCount('SIGINT'), 0);
});
