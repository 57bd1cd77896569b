/**
 * Memory for 1,000,000 keys of 100 bytes: loads a QuorumKV node (N=1) and a
 * redis-server the same way (distinct keys, pipelined SETs) and reports each
 * one's resident set size (VmRSS) before and after, and the ratio.
 *
 *   node --import tsx bench/memory.ts [--keys 1000000] [--value-bytes 100] [--subject quorumkv|redis]
 */
import { parseArgs } from 'node:util';
import { command, loadKeys } from './lib/loader.js';
import { rssBytes, startBaseline, startSubject, stopAll, type Started, type SubjectKind } from './lib/servers.js';
import { fmtNumber, fmtRatio, formatTable } from './lib/stats.js';

const { values: opts } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    'value-bytes': { type: 'string', default: '100' },
    subject: { type: 'string', default: 'quorumkv' },
    'settle-ms': { type: 'string', default: '2000' },
  },
});
const keys = Number(opts.keys);
const valueBytes = Number(opts['value-bytes']);
const settleMs = Number(opts['settle-ms']);
if (!Number.isInteger(keys) || keys < 1 || !Number.isInteger(valueBytes) || valueBytes < 1) throw new Error('--keys and --value-bytes must be positive integers');
if (opts.subject !== 'quorumkv' && opts.subject !== 'redis') throw new Error('--subject is quorumkv or redis');
const subjectKind: SubjectKind = opts.subject;

const MiB = 1024 * 1024;
const REDIS_ARGS: string[] = []; // in memory only: persistence changes little in RSS

interface Measured {
  readonly name: string;
  readonly idle: number;
  readonly loaded: number;
  readonly seconds: number;
  readonly dbsize: string;
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
  process.stderr.write(`  ${target.name}: loaded ${fmtNumber(keys)} keys in ${seconds.toFixed(1)} s, DBSIZE ${dbsize}\n`);
  return { name: target.name, idle, loaded, seconds, dbsize };
}

async function main(): Promise<void> {
  try {
    // One at a time, so the two do not compete for the two cores while loading.
    const subject = await measure(await startSubject(subjectKind, REDIS_ARGS));
    await stopAll();
    const baseline = await measure(await startBaseline(REDIS_ARGS));
    const row = (m: Measured): string[] => [
      m.name,
      m.dbsize,
      fmtNumber(m.idle / MiB, 1),
      fmtNumber(m.loaded / MiB, 1),
      fmtNumber((m.loaded - m.idle) / MiB, 1),
      fmtNumber((m.loaded - m.idle) / keys, 0),
      fmtNumber(keys / m.seconds),
    ];
    process.stdout.write(`\nRSS (VmRSS) for ${fmtNumber(keys)} keys of ${valueBytes} bytes\n\n`);
    process.stdout.write(
      `${formatTable(['server', 'DBSIZE', 'idle MiB', 'loaded MiB', 'growth MiB', 'bytes/key', 'load keys/s'], [row(subject), row(baseline)])}\n`,
    );
    process.stdout.write(`\nratio loaded RSS subject/redis: ${fmtRatio(subject.loaded, baseline.loaded)}; growth ratio: ${fmtRatio(subject.loaded - subject.idle, baseline.loaded - baseline.idle)}\n`);
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`memory bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
