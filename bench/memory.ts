/**
 * Memory for 1,000,000 keys of 100 bytes: loads a redis-server and QuorumKV
 * nodes (N=1: default options, then each --maxmemory asked for) the same way
 * (distinct keys, pipelined SETs), one server at a time, and reports each
 * one's resident set size (VmRSS) idle and loaded, and its ratio to Redis's.
 * The QuorumKV rows also show what INFO memory accounts for.
 *
 *   node --import tsx bench/memory.ts [--keys 1000000] [--value-bytes 100] [--maxmemory 256mb,1gb] [--subject quorumkv|redis]
 */
import { parseArgs } from 'node:util';
import { command, loadKeys } from './lib/loader.js';
import { rssBytes, startBaseline, startSubject, stopAll, type Started, type SubjectKind } from './lib/servers.js';
import { fmtNumber, fmtRatio, formatTable } from './lib/stats.js';

const { values: opts } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    'value-bytes': { type: 'string', default: '100' },
    maxmemory: { type: 'string', default: '256mb,1gb' },
    subject: { type: 'string', default: 'quorumkv' },
    'settle-ms': { type: 'string', default: '3000' },
  },
});
const keys = Number(opts.keys);
const valueBytes = Number(opts['value-bytes']);
const settleMs = Number(opts['settle-ms']);
if (!Number.isInteger(keys) || keys < 1 || !Number.isInteger(valueBytes) || valueBytes < 1) throw new Error('--keys and --value-bytes must be positive integers');
if (opts.subject !== 'quorumkv' && opts.subject !== 'redis') throw new Error('--subject is quorumkv or redis');
const subjectKind: SubjectKind = opts.subject;
const budgets = (opts.maxmemory ?? '').split(',').filter((s) => s !== '');

const MiB = 1024 * 1024;
const REDIS_ARGS: string[] = []; // in memory only: persistence changes little in RSS

interface Measured {
  readonly name: string;
  readonly idle: number;
  readonly loaded: number;
  readonly seconds: number;
  readonly dbsize: string;
  /** INFO memory's fields (QuorumKV only). */
  readonly info: ReadonlyMap<string, string>;
}

function infoFields(reply: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of reply.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('$')) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

async function measure(target: Started): Promise<Measured> {
  const idle = await rssBytes(target.proc.pid);
  const t0 = process.hrtime.bigint();
  await loadKeys({ port: target.proc.port, keys, valueBytes });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // Let background work (memtable flushes, GC) settle before reading RSS.
  await new Promise((r) => setTimeout(r, settleMs));
  const loaded = await rssBytes(target.proc.pid);
  const dbsize = (await command(target.proc.port, ['DBSIZE'])).trim().replace(/^:/, '');
  const info = infoFields(await command(target.proc.port, ['INFO', 'memory']));
  process.stderr.write(`  ${target.name}: loaded ${fmtNumber(keys)} keys in ${seconds.toFixed(1)} s, DBSIZE ${dbsize}, RSS ${fmtNumber(loaded / MiB, 1)} MiB\n`);
  await stopAll();
  return { name: target.name, idle, loaded, seconds, dbsize, info };
}

const mib = (m: Measured, field: string): string => (m.info.has(field) ? fmtNumber(Number(m.info.get(field)) / MiB, 1) : '-');

async function main(): Promise<void> {
  try {
    // One at a time, so they do not compete for the two cores while loading.
    const baseline = await measure(await startBaseline(REDIS_ARGS));
    const subjects: Measured[] = [await measure(await startSubject(subjectKind, REDIS_ARGS))];
    if (subjectKind === 'quorumkv') {
      for (const b of budgets) subjects.push(await measure(await startSubject(subjectKind, REDIS_ARGS, ['--maxmemory', b])));
    }
    const row = (m: Measured): string[] => [
      m.name,
      m.dbsize,
      fmtNumber(m.idle / MiB, 1),
      fmtNumber(m.loaded / MiB, 1),
      fmtNumber((m.loaded - m.idle) / keys, 0),
      m === baseline ? '1.00x' : fmtRatio(m.loaded, baseline.loaded),
      m.info.has('maxmemory') && m !== baseline ? mib(m, 'maxmemory') : '-',
      m.info.has('maxmemory') && m !== baseline ? fmtNumber((m.loaded - Number(m.info.get('maxmemory'))) / MiB, 1) : '-',
      fmtNumber(keys / m.seconds),
    ];
    process.stdout.write(`\nRSS (VmRSS) for ${fmtNumber(keys)} keys of ${valueBytes} bytes\n\n`);
    process.stdout.write(
      `${formatTable(
        ['server', 'DBSIZE', 'idle MiB', 'loaded MiB', 'bytes/key', 'RSS / redis', 'maxmemory MiB', 'RSS - maxmemory MiB', 'load keys/s'],
        [row(baseline), ...subjects.map(row)],
      )}\n`,
    );
    if (subjectKind !== 'quorumkv') return;
    const parts = ['used_memory', 'used_memory_vm_heap', 'used_memory_external', 'record_cache_bytes', 'record_cache_max_bytes', 'rocksdb_block_cache_bytes', 'rocksdb_memtables_bytes', 'rocksdb_table_readers_bytes'];
    process.stdout.write(`\nWhat INFO memory accounts for once loaded (MiB)\n\n`);
    process.stdout.write(`${formatTable(['server', ...parts, 'record_cache_entries'], subjects.map((m) => [m.name, ...parts.map((p) => mib(m, p)), m.info.get('record_cache_entries') ?? '-']))}\n`);
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`memory bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
