import t from 'tap';
import { initialRingState, isOwnSeed } from '../../src/server/seed-role.js';

const cfg = (seeds: Array<[string, number]>, bind = '127.0.0.1', peerPort = 17001) => ({
  seeds: seeds.map(([host, port]) => ({ host, port })),
  bind,
  peerPort,
});

t.test('a node named in its own seed list is a seed and starts normal', async (t) => {
  t.ok(isOwnSeed(cfg([['127.0.0.1', 17001], ['127.0.0.1', 17002]]), 'h'), 'its bind address and peer port');
  t.ok(isOwnSeed(cfg([['LOCALHOST', 17001]]), 'h'), 'localhost, any case');
  t.ok(isOwnSeed(cfg([['node1', 17001]], '0.0.0.0'), 'node1'), 'its host name');
  t.ok(isOwnSeed(cfg([['quorumkv-0.quorumkv-peers', 17001]], '0.0.0.0'), 'quorumkv-0'), 'a DNS name whose first label is its host name');
  t.equal(initialRingState(cfg([['127.0.0.1', 17001]]), 'h'), 'normal');
});

t.test('any other new node joins; a node without seeds is normal', async (t) => {
  t.notOk(isOwnSeed(cfg([['127.0.0.1', 17002]]), 'h'), 'another port');
  t.notOk(isOwnSeed(cfg([['127.0.0.2', 17001]]), 'h'), 'another address');
  t.notOk(isOwnSeed(cfg([['quorumkv-01.peers', 17001]], '0.0.0.0'), 'quorumkv-0'), 'a name that only starts like its host name');
  t.notOk(isOwnSeed(cfg([['x', 17001]], '0.0.0.0'), ''), 'no host name');
  t.equal(initialRingState(cfg([['127.0.0.1', 17002]]), 'h'), 'joining');
  t.equal(initialRingState(cfg([]), 'h'), 'normal');
});
