import t from 'tap';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../../src/server/logger.js';
import { resolveNodeId } from '../../src/server/node-identity.js';
import { ERROR_CODES_KEPT, ServerCounters, infoSections } from '../../src/server/server-info.js';
import type { InfoSources } from '../../src/server/server-info.js';
import { tempDir } from './node-harness.js';

// The server's small pure parts: the JSON logger, the node identity file,
// INFO's sections from given sources.

t.test('logger: one JSON object per line, level filter, live level change', async (t) => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', node: 'n1', write: (l) => lines.push(l), now: () => Date.UTC(2024, 0, 2, 3, 4, 5, 6) });
  log.debug('hidden');
  log.info('hello', { port: 6379, big: 12345678901234567890n, raw: Buffer.from('ab') });
  log.warn('careful');
  log.error('bad');
  t.equal(lines.length, 3, 'debug is below info');
  t.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
  t.same(JSON.parse(lines[0]!), {
    time: '2024-01-02T03:04:05.006Z',
    level: 'info',
    msg: 'hello',
    node: 'n1',
    port: 6379,
    big: '12345678901234567890',
    raw: 'ab',
  });
  log.setLevel('error');
  log.warn('now hidden');
  log.error('shown');
  t.equal(lines.length, 4);
  t.equal(JSON.parse(lines[3]!).msg, 'shown');
  log.setLevel('debug');
  log.debug('visible');
  t.equal(JSON.parse(lines[4]!).level, 'debug');

  const bare: string[] = [];
  createLogger({ level: 'warn', write: (l) => bare.push(l) }).warn('no node');
  const record = JSON.parse(bare[0]!) as Record<string, unknown>;
  t.notOk('node' in record, 'no node field when none is given');
  t.match(record.time, /^\d{4}-\d\d-\d\dT/, 'the real clock by default');
});

t.test('node identity: generated and kept, configured, refused', async (t) => {
  const dir = await tempDir(t);
  const fresh = join(dir, 'a', 'b');
  const id = resolveNodeId(fresh, undefined);
  t.match(id, /^n[0-9a-f]{12}$/, 'a new random id');
  t.equal((await readFile(join(fresh, 'node-id'), 'utf8')).trim(), id, 'written to the data dir');
  t.equal(resolveNodeId(fresh, undefined), id, 'read back on restart');
  t.equal(resolveNodeId(fresh, id), id, 'the same id configured is fine');
  t.throws(() => resolveNodeId(fresh, 'other'), { message: `the data dir ${fresh} belongs to node '${id}', not 'other'` });

  const named = join(dir, 'named');
  t.equal(resolveNodeId(named, 'node-7'), 'node-7');
  t.equal((await readFile(join(named, 'node-id'), 'utf8')).trim(), 'node-7');
  t.throws(() => resolveNodeId(join(dir, 'bad'), 'has space'), { message: /--node-id: 'has space' is not a valid node id/ });

  const broken = join(dir, 'broken');
  await mkdir(join(broken, 'node-id'), { recursive: true });
  t.throws(() => resolveNodeId(broken, undefined), { code: 'EISDIR' }, 'an unreadable id file is an error, not a new id');

  const padded = join(dir, 'padded');
  await mkdir(padded);
  await writeFile(join(padded, 'node-id'), '  kept-id \n\n');
  t.equal(resolveNodeId(padded, undefined), 'kept-id', 'whitespace around the stored id is ignored');
});

function sources(over: Partial<InfoSources> = {}): InfoSources {
  const counters = new ServerCounters();
  counters.commandsProcessed = 7;
  return {
    nodeId: 'n-info',
    tcpPort: 7000,
    peerPort: 17000,
    configFile: null,
    startedAt: 1_000_000,
    now: () => 1_000_000 + 2 * 86_400_000 + 5_500,
    connectedClients: () => 3,
    maxClients: () => 100,
    counters,
    store: () => ({ keys: 0, liveKeys: 0, expiringKeys: 0, cacheBytes: 0, cacheHits: 1, cacheMisses: 2, batches: 0, batchedWrites: 0, pendingWrites: 0, expiredSwept: 4, writeErrors: 0 }),
    replication: () => ({ n: 1, r: 1, w: 1, members: 1 }),
    sync: () => false,
    ...over,
  };
}

function field(sections: ReturnType<typeof infoSections>, section: string, name: string): string | number | undefined {
  return sections.find(([s]) => s === section)?.[1].find(([k]) => k === name)?.[1];
}

t.test('INFO sections from their sources', async (t) => {
  const s = infoSections(sources());
  t.same(
    s.map(([name]) => name),
    ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'errorstats', 'cluster', 'commandstats', 'keyspace', 'quorumkv'],
  );
  t.equal(field(s, 'server', 'uptime_in_seconds'), 2 * 86_400 + 5);
  t.equal(field(s, 'server', 'uptime_in_days'), 2);
  t.equal(field(s, 'server', 'config_file'), '');
  t.equal(field(s, 'server', 'tcp_port'), 7000);
  t.equal(field(s, 'clients', 'connected_clients'), 3);
  t.equal(field(s, 'clients', 'maxclients'), 100);
  t.equal(field(s, 'stats', 'total_commands_processed'), 7);
  t.equal(field(s, 'stats', 'expired_keys'), 4);
  t.equal(field(s, 'persistence', 'wal_fsync'), 'no');
  t.same(s.find(([n]) => n === 'keyspace')![1], [], 'no db0 line without keys');
  t.match(String(field(s, 'memory', 'used_memory_human')), /^\d+\.\d\d[KMG]$/);

  const busy = infoSections(
    sources({
      configFile: '/etc/qkv.conf',
      sync: () => true,
      now: () => 500, // a clock behind the start never shows negative uptime
      store: () => ({ keys: 50, liveKeys: 42, expiringKeys: 7, cacheBytes: 0, cacheHits: 0, cacheMisses: 0, batches: 0, batchedWrites: 0, pendingWrites: 0, expiredSwept: 0, writeErrors: 0 }),
    }),
  );
  t.same(busy.find(([n]) => n === 'keyspace')![1], [['db0', 'keys=42,expires=7,avg_ttl=0']]);
  t.equal(field(busy, 'persistence', 'wal_fsync'), 'always');
  t.equal(field(busy, 'server', 'config_file'), '/etc/qkv.conf');
  t.equal(field(busy, 'server', 'uptime_in_seconds'), 0);
});

t.test('errorstats counts by code and tracks at most ERROR_CODES_KEPT codes, as Redis does', async (t) => {
  const c = new ServerCounters();
  c.countError('ERR one');
  c.countError('ERR two');
  c.countError('NOSPACE');
  t.same([...c.errorCodes], [['ERR', 2], ['NOSPACE', 1]]);
  for (let i = 0; i < ERROR_CODES_KEPT + 10; i++) c.countError(`CODE${i} x`);
  t.equal(c.errorCodes.size, ERROR_CODES_KEPT);
  c.countError('ERR three');
  t.equal(c.errorCodes.get('ERR'), 3, 'codes already kept go on counting');
  c.reset();
  t.equal(c.errorCodes.size, 0);
});
