import t from 'tap';
import { RawConnection } from '../../compat/support/raw-socket.js';
import { startCluster } from '../support/node-process.js';
import { call, client, waitForViews } from './helpers.js';

/**
 * Where a cluster runs a script: at the first reachable replica of its
 * keys, whichever node the client talks to. Three nodes keep two replicas
 * of each key (N=2), so one node of three is not a replica of a given key.
 * A script compiled on a node is in that node's script cache, which shows
 * where it ran.
 */

const BODY = "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])";

t.test('a script sent through a node that is not a replica runs at the first replica of its keys', async (t) => {
  const nodes = await startCluster({ t, nodes: 3, n: 2, r: 1, w: 2 });
  const ports = nodes.map((n) => n.port);
  const ids = ['node1', 'node2', 'node3'];
  await waitForViews(ports, ids);
  const clients = await Promise.all(ports.map((p) => client(t, p)));
  const [home, other] = (await call(clients[0]!, 'QKV.REPLICAS', 'routed')) as string[];
  const entry = ids.find((id) => id !== home && id !== other)!;
  const at = (id: string) => clients[ids.indexOf(id)]!;

  t.equal(await call(at(entry), 'EVAL', BODY, '1', 'routed', 'v1'), 'v1', 'the script answers through the entry node');
  const sha = (await call(at(entry), 'SCRIPT', 'LOAD', BODY)) as string;
  t.same(await call(at(home!), 'SCRIPT', 'EXISTS', sha), [1], 'the first replica compiled and ran it');
  t.same(await call(at(other!), 'SCRIPT', 'EXISTS', sha), [0], 'the second replica never saw it');

  // EVALSHA through the entry node: it knows the script and sends its source along.
  t.equal(await call(at(entry), 'EVALSHA', sha, '1', 'routed', 'v2'), 'v2', 'EVALSHA runs at the first replica too');
  t.equal(await call(at(other!), 'GET', 'routed'), 'v2', 'its write is on the replicas');

  // Errors come back as errors, with the script's context; a RESP3 client gets RESP3's encoding.
  const failing = await call(at(entry), 'EVAL', "return redis.call('INCR', KEYS[1])", '1', 'routed');
  t.match(failing, { error: /^ERR value is not an integer or out of range script: \w+, on @user_script:1\./ }, 'a script error travels back as an error');
  const raw = await RawConnection.open(ports[ids.indexOf(entry)]!);
  t.teardown(() => raw.close());
  raw.write('HELLO 3\r\n');
  await raw.read(1);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await raw.read(raw.received.length);
  const script = 'return false';
  raw.write(`*4\r\n$4\r\nEVAL\r\n$${script.length}\r\n${script}\r\n$1\r\n1\r\n$4\r\nnone\r\n`);
  t.equal(await raw.read(3), '_\r\n', "a RESP3 client gets RESP3's null (RESP2 has $-1)");
});
