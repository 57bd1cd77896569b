import { createServer, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import t from 'tap';
import { ClusterUsageError, parseClusterArgs, planCluster } from '../../src/server/cluster-cli.js';
import { advertisedHost, wantsCluster } from '../../src/server/cluster-node.js';
import { formatPlacement, formatStatus, membersFromReply, parseStatusArgs, runStatus } from '../../src/server/status-cli.js';

t.test('cluster: defaults are the documented ones', async (t) => {
  const a = parseClusterArgs([]);
  t.same(
    { ...a, passthrough: [...a.passthrough] },
    {
      nodes: 3,
      dcs: 1,
      basePort: 7001,
      peerBasePort: 17001,
      metricsBasePort: 9101,
      dataDir: './data/cluster',
      bind: '127.0.0.1',
      n: 3,
      r: 2,
      w: 2,
      stopTimeoutMs: 10_000,
      passthrough: [],
      help: false,
    },
  );
});

t.test('cluster: options, pass-through and derived quorums', async (t) => {
  const a = parseClusterArgs(['--nodes', '5', '--base-port', '8000', '--n', '5', '--log-level', 'debug', '--sync', 'true', '--no-metrics', '--data-dir', 'x']);
  t.same([a.nodes, a.basePort, a.peerBasePort, a.metricsBasePort, a.n, a.r, a.w, a.dataDir], [5, 8000, 18000, null, 5, 2, 2, 'x']);
  t.same(a.passthrough, ['--log-level', 'debug', '--sync', 'true']);
  const one = parseClusterArgs(['--nodes', '1']);
  t.same([one.n, one.r, one.w], [1, 1, 1], 'one node: N=1 so it can serve writes');
  const two = parseClusterArgs(['--nodes', '2']);
  t.same([two.n, two.r, two.w], [2, 2, 2]);
  const explicit = parseClusterArgs(['--nodes', '1', '--n', '3', '--r', '3', '--w', '1']);
  t.same([explicit.n, explicit.r, explicit.w], [3, 3, 1], 'explicit quorums are kept');
  t.ok(parseClusterArgs(['-h']).help);
});

t.test('cluster: --dcs 2 --nodes 3 starts two DCs of three with N replicas in each', async (t) => {
  const a = parseClusterArgs(['--dcs', '2', '--nodes', '3', '--no-metrics']);
  t.same([a.nodes, a.dcs, a.n, a.r, a.w], [6, 2, 3, 2, 2]);
  const plan = planCluster(a, () => undefined);
  t.equal(plan.length, 6);
  const opt = (args: readonly string[], name: string): string | undefined => args[args.indexOf(name) + 1];
  t.same(
    plan.map((p) => opt(p.args, '--dc')),
    ['dc1', 'dc1', 'dc1', 'dc2', 'dc2', 'dc2'],
  );
  for (const p of plan) {
    t.equal(opt(p.args, '--replicas-per-dc'), 'dc1:3,dc2:3');
    t.equal(opt(p.args, '--n'), '6', 'N is the sum');
  }
  t.same(plan.map((p) => p.name), ['node1', 'node2', 'node3', 'node4', 'node5', 'node6']);
  t.same([parseClusterArgs(['--dcs', '3', '--nodes', '1']).n, parseClusterArgs(['--dcs', '2', '--nodes', '2', '--n', '2']).n], [1, 2]);
  t.throws(() => parseClusterArgs(['--dcs', '2', '--nodes', '2', '--n', '3']), { message: /--n expects an integer from 1 to 2/ }, 'N per DC is at most the DC size');
  t.throws(() => parseClusterArgs(['--dcs', '9']), { message: /--dcs expects an integer from 1 to 8/ });
  t.throws(() => parseClusterArgs(['--dcs', '8', '--nodes', '9']), { message: /--nodes times --dcs is 72, more than 64/ });
});

t.test('cluster: bad options are usage errors', async (t) => {
  const bad: Array<[string[], RegExp]> = [
    [['--nodes'], /--nodes needs a value/],
    [['--nodes', 'x'], /--nodes expects an integer from 1 to 64/],
    [['--nodes', '65'], /--nodes expects/],
    [['--base-port', '65535'], /--base-port expects an integer from 1 to 65533/],
    [['--base-port', '60000'], /peer ports would go past 65535/],
    [['--base-port', '9100'], /port ranges overlap/],
    [['--peer-base-port', '7002'], /port ranges overlap/],
    [['--r', '4'], /--r expects an integer from 1 to 3/],
    [['--stop-timeout', '0'], /--stop-timeout expects/],
  ];
  for (const [argv, why] of bad) t.throws(() => parseClusterArgs(argv), { constructor: ClusterUsageError, message: why }, argv.join(' '));
});

t.test('cluster: each node is seeded with every node, itself included, named and placed', async (t) => {
  const args = parseClusterArgs(['--data-dir', '/tmp/c', '--requirepass', 'pw']);
  // node2's data dir already belongs to another id: it keeps it.
  const plan = planCluster(args, (dir) => (dir.endsWith('node2') ? 'n0ld' : dir.endsWith('node3') ? 'node3' : undefined));
  t.same(
    plan.map((p) => [p.name, p.port, p.peerPort, p.metricsPort, p.dataDir]),
    [
      ['node1', 7001, 17001, 9101, join('/tmp/c', 'node1')],
      ['node2', 7002, 17002, 9102, join('/tmp/c', 'node2')],
      ['node3', 7003, 17003, 9103, join('/tmp/c', 'node3')],
    ],
  );
  t.same(plan[0]!.args, [
    '--port', '7001', '--peer-port', '17001', '--bind', '127.0.0.1', '--data-dir', join('/tmp/c', 'node1'),
    '--n', '3', '--r', '2', '--w', '2', '--seeds', '127.0.0.1:17001,127.0.0.1:17002,127.0.0.1:17003', '--metrics-port', '9101',
    '--node-id', 'node1', '--requirepass', 'pw',
  ]);
  t.notOk(plan[1]!.args.includes('--node-id'));
  t.ok(plan[2]!.args.includes('--node-id'));
  const single = planCluster(parseClusterArgs(['--nodes', '1', '--no-metrics', '--bind', '0.0.0.0']), () => undefined);
  t.notOk(single[0]!.args.includes('--seeds'), 'a single node has no seeds');
  t.notOk(single[0]!.args.includes('--metrics-port'));
  t.equal(single[0]!.host, '127.0.0.1', 'a wildcard bind is reached on loopback');
  t.equal(single[0]!.dataDir, resolve('./data/cluster/node1'));
  const v6 = planCluster(parseClusterArgs(['--nodes', '2', '--bind', '::1']), () => undefined);
  t.ok(v6[0]!.args.includes('[::1]:17001,[::1]:17002'));
});

t.test('which nodes run the cluster path, and what address they advertise', async (t) => {
  t.notOk(wantsCluster({ seeds: [], n: 1 }));
  t.ok(wantsCluster({ seeds: [], n: 3 }));
  t.ok(wantsCluster({ seeds: [{ host: 'h', port: 1 }], n: 1 }));
  t.equal(advertisedHost('127.0.0.2'), '127.0.0.2');
  const nis = {
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: null }],
    eth0: [
      { address: 'fe80::1', netmask: 'ffff::', family: 'IPv6', mac: '00:00:00:00:00:01', internal: false, cidr: null, scopeid: 1 },
      { address: '192.0.2.7', netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:01', internal: false, cidr: null },
    ],
  } as unknown as ReturnType<typeof import('node:os').networkInterfaces>;
  t.equal(advertisedHost('0.0.0.0', nis), '192.0.2.7');
  t.equal(advertisedHost('::', { lo: nis.lo }), '127.0.0.1');
});

t.test('status: options', async (t) => {
  t.same(parseStatusArgs([]), { host: '127.0.0.1', port: 6379, password: null, json: false, timeoutMs: 5000, help: false, tls: null });
  t.same(parseStatusArgs(['-h', 'db1', '-p', '7001', '-a', 'pw', '--json', '--timeout', '100']), {
    host: 'db1',
    port: 7001,
    password: 'pw',
    json: true,
    timeoutMs: 100,
    help: false,
    tls: null,
  });
  t.same(parseStatusArgs(['--tls', '--cacert', 'ca.crt']).tls, { cacert: 'ca.crt', cert: null, key: null });
  t.same(parseStatusArgs(['--tls', '--cacert', 'ca.crt', '--cert', 'c.crt', '--key', 'c.key']).tls, { cacert: 'ca.crt', cert: 'c.crt', key: 'c.key' });
  t.throws(() => parseStatusArgs(['--cacert', 'ca.crt']), /go with --tls/);
  t.throws(() => parseStatusArgs(['--tls', '--cert', 'c.crt']), /--cert and --key go together/);
  t.equal(parseStatusArgs([], { QKV_REQUIREPASS: 'env-pw' }).password, 'env-pw');
  t.same(parseStatusArgs(['--host', 'h', '--port', '1', '--pass', 'p', '--help']).help, true);
  t.throws(() => parseStatusArgs(['-p']), /-p needs a value/);
  t.throws(() => parseStatusArgs(['-p', '0']), /-p expects an integer from 1 to 65535/);
  t.throws(() => parseStatusArgs(['--bogus']), /unknown option '--bogus'/);
});

t.test('status: the table', async (t) => {
  const members = membersFromReply([
    ['id', 'a', 'address', 'h:1', 'peer', 'h:11', 'status', 'alive', 'state', 'normal', 'rack', 'r1', 'dc', 'd1', 'ownership', '0.25', 'replicas', '0.75', 'phi', null],
    ['id', 'bb', 'address', 'h:2', 'peer', 'h:12', 'status', 'dead', 'state', 'leaving', 'rack', 'r2', 'dc', 'd1', 'ownership', '0.75', 'replicas', '1', 'phi', '3.5'],
  ]);
  const text = formatStatus({ self: 'a', hints: { bb: 4 }, repair: {} }, members, 'h:1');
  t.equal(
    text,
    [
      '2 member(s), 1 alive, as seen by a at h:1 (* marks it)',
      '',
      'ID  ADDRESS  PEER  STATUS  STATE    RACK  DC  OWNS   REPLICAS  PHI',
      'a*  h:1      h:11  alive   normal   r1    d1  25.0%  75.0%     -',
      'bb  h:2      h:12  dead    leaving  r2    d1  75.0%  100.0%    3.50',
      '',
      'hints:  {"bb":4}',
      'repair: -',
      '',
    ].join('\n'),
  );
  t.match(formatStatus({ self: 'x' }, [], 'h:1'), 'hints:  -\nrepair: -');
  t.same(membersFromReply([['id', 'z']])[0], { id: 'z', address: '', peer: '', status: '', state: '', rack: '', dc: '', ownership: 0, replicas: 0, phi: null });
  t.throws(() => membersFromReply('x'), /did not return an array/);
  t.throws(() => membersFromReply(['x']), /malformed member/);
});

t.test('status: the replicas per DC, with the members of each DC', async (t) => {
  const m = (id: string, dc: string, status = 'alive') => ({ id, address: 'h:1', peer: 'h:2', status, state: 'normal', rack: 'r1', dc, ownership: 0.5, replicas: 1, phi: null });
  const members = [m('a', 'dc1'), m('b', 'dc1'), m('c', 'dc2'), m('d', 'dc2', 'left')];
  const text = formatStatus({ self: 'a', replicasPerDc: [{ dc: 'dc1', count: 2 }, { dc: 'dc2', count: 1 }] }, members, 'h:1');
  t.match(text, 'replicas per DC: dc1 2 (of 2 members), dc2 1 (of 1 member)');
  t.notMatch(formatStatus({ self: 'a' }, members, 'h:1'), 'replicas per DC');
  t.same(formatPlacement([], members), []);
  t.same(formatPlacement([5], members), ['replicas per DC: undefined undefined (of 0 members)'], 'a malformed entry prints, it does not throw');
});

t.test('status: usage, help and failures give their exit codes', async (t) => {
  let out = '';
  let err = '';
  const io = { out: (s: string) => (out += s), err: (s: string) => (err += s) };
  t.equal(await runStatus(['--nope'], io, {}), 2);
  t.match(err, "quorumkv status: unknown option '--nope'");
  t.equal(await runStatus(['--help'], io, {}), 0);
  t.match(out, 'Usage: quorumkv status');

  // Nothing listens there.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const freePort = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  err = '';
  t.equal(await runStatus(['-p', String(freePort)], io, {}), 1);
  t.equal(err, `quorumkv status: cannot get the status from 127.0.0.1:${freePort}: ECONNREFUSED\n`);

  // A server that wants a password, and one that answers QKV.STATUS with something else.
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (d) => {
      const text = d.toString();
      if (text.includes('AUTH')) s.write('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      else s.write(':1\r\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '::1', () => r()));
  t.teardown(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const port = (server.address() as { port: number }).port;
  err = '';
  t.equal(await runStatus(['-h', '::1', '-p', String(port), '-a', 'bad'], io, {}), 1);
  t.match(err, `from [::1]:${port}: WRONGPASS`);
  err = '';
  t.equal(await runStatus(['-h', '::1', '-p', String(port)], io, {}), 1);
  t.match(err, 'QKV.STATUS did not return a document');
});
