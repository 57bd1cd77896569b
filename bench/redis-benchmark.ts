/**
 * Throughput and latency of a QuorumKV node (N=1, WAL on, no fsync) against a
 * redis-server (AOF on, fsync every second) measured in the same run, on
 * loopback, with redis-benchmark: SET and GET, with and without pipelining,
 * each target in turn, repeated; prints the medians and the ratios.
 *
 *   npm run bench                     # full run: -n 200000, 3 repeats
 *   npm run bench -- --quick          # -n 50000, 1 repeat
 *   npm run bench -- --subject redis  # redis against redis: checks the benchmark itself
 */
import { positiveInt } from './lib/args.js';
import { compareMedians, type CompareSample, type ComparisonRow } from './lib/compare.js';
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { spawnSync } from 'node:child_process';
import { runRedisBenchmark } from './lib/redis-benchmark-run.js';
import { startBaseline, startSubject, stopAll, type Started, type SubjectKind } from './lib/servers.js';
import { fmtNumber, fmtRatio, formatTable, median } from './lib/stats.js';
import { cpuSeconds, gcSeconds } from './lib/process-cpu.js';

const REDIS_PERSISTENCE = ['--appendonly', 'yes', '--appendfsync', 'everysec'];

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    requests: { type: 'string', short: 'n' },
    repeats: { type: 'string' },
    clients: { type: 'string', short: 'c', default: '50' },
    size: { type: 'string', short: 'd', default: '1024' },
    keyspace: { type: 'string', short: 'r', default: '100000' },
    pipeline: { type: 'string', short: 'P', default: '16' },
    tests: { type: 'string', short: 't', default: 'set,get' },
    subject: { type: 'string', default: 'quorumkv' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opts.help) {
  process.stdout.write(
    'usage: npm run bench -- [--quick] [-n requests] [--repeats R] [-c clients] [-d bytes] [-r keyspace]\n' +
      '                        [-P pipeline] [-t set,get] [--subject quorumkv|redis] [--json out.json]\n',
  );
  process.exit(0);
}

const int = positiveInt;
const requests = int(opts.requests, opts.quick ? 50_000 : 200_000, 'requests');
const repeats = int(opts.repeats, opts.quick ? 1 : 3, 'repeats');
const clients = int(opts.clients, 50, 'clients');
const dataSize = int(opts.size, 1024, 'size');
const keyspace = int(opts.keyspace, 100_000, 'keyspace');
const deepPipeline = int(opts.pipeline, 16, 'pipeline');
const tests = (opts.tests ?? 'set,get').split(',').filter((s) => s !== '');
if (opts.subject !== 'quorumkv' && opts.subject !== 'redis') throw new Error('--subject is quorumkv or redis');
const subjectKind: SubjectKind = opts.subject;

for (const tool of ['redis-benchmark', 'redis-server']) {
  if (spawnSync(tool, ['--version']).status !== 0) {
    process.stderr.write(`${tool} is required (apt-get install -y redis-tools redis-server)\n`);
    process.exit(1);
  }
}

type Sample = CompareSample<'subject' | 'baseline'>;

async function main(): Promise<void> {
  let subject: Started;
  let baseline: Started;
  try {
    subject = await startSubject(subjectKind, REDIS_PERSISTENCE);
    baseline = await startBaseline(REDIS_PERSISTENCE);
    const targets = [
      { key: 'subject' as const, server: subject },
      { key: 'baseline' as const, server: baseline },
    ];
    const base = { tests, clients, dataSize, keyspace };
    process.stderr.write(`subject: ${subject.name} on port ${subject.proc.port}; baseline: redis-server on port ${baseline.proc.port}\n`);

    // A short unmeasured run first: the subject's JIT warms up and both keyspaces fill.
    for (const { server } of targets) {
      await runRedisBenchmark({ ...base, port: server.proc.port, requests: Math.min(requests, 50_000), pipeline: deepPipeline });
    }

    const samples: Sample[] = [];
    const costs: CostSample[] = [];
    for (let rep = 1; rep <= repeats; rep++) {
      for (const pipeline of [1, deepPipeline]) {
        for (const { key, server } of targets) {
          // One test at a time, so each one's CPU (and the subject's GC) is its own.
          const rows = [];
          for (const test of tests) {
            const cpu0 = await cpuSeconds(server.proc.pid);
            const gc0 = server.metricsPort === undefined ? 0 : await gcSeconds(server.metricsPort);
            const [row] = await runRedisBenchmark({ ...base, tests: [test], port: server.proc.port, requests, pipeline });
            const cpu = (await cpuSeconds(server.proc.pid)) - cpu0;
            const gc = server.metricsPort === undefined ? null : (await gcSeconds(server.metricsPort)) - gc0;
            if (row === undefined) continue;
            rows.push(row);
            samples.push({ target: key, pipeline, row });
            costs.push({ target: key, pipeline, test: row.test, cpuUsPerOp: (cpu * 1e6) / requests, gcShare: gc === null || cpu <= 0 ? null : gc / cpu });
          }
          const summary = rows.map((r) => `${r.test} ${fmtNumber(r.rps)}/s`).join(', ');
          process.stderr.write(`  run ${rep}/${repeats} -P ${pipeline} ${key === 'subject' ? subject.name : 'redis-server'}: ${summary}\n`);
        }
      }
    }
    const report = summarize(samples);
    process.stdout.write(`\n${header(subject.name)}\n\n${report.table}\n\n${costTable(costs)}\n`);
    if (opts.json !== undefined) await writeFile(opts.json, `${JSON.stringify({ params: params(subject.name), rows: report.rows }, null, 2)}\n`);
  } finally {
    await stopAll();
  }
}

function params(subjectName: string): Record<string, unknown> {
  return { subject: subjectName, baseline: 'redis-server (appendonly yes, appendfsync everysec)', requests, repeats, clients, dataSize, keyspace, pipeline: deepPipeline, tests };
}

function header(subjectName: string): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  const rb = spawnSync('redis-benchmark', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const rs = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ').slice(0, 3).join(' ');
  return [
    `QuorumKV vs Redis, medians of ${repeats} run(s); ${cpus().length} x ${cpu}; node ${process.version}; ${rs}; ${rb}`,
    `subject: ${subjectName}, ${subjectKind === 'quorumkv' ? 'N=1, WAL on, no fsync' : 'appendonly yes, appendfsync everysec'} | baseline: redis-server, appendonly yes, appendfsync everysec`,
    `redis-benchmark -t ${tests.join(',')} -n ${requests} -c ${clients} -d ${dataSize} -r ${keyspace} --csv [-P ${deepPipeline}]`,
  ].join('\n');
}

interface CostSample {
  readonly target: 'subject' | 'baseline';
  readonly pipeline: number;
  readonly test: string;
  /** Server CPU (user + system, all threads) per request, in microseconds. */
  readonly cpuUsPerOp: number;
  /** Share of that CPU the subject spent in garbage collection (null for redis). */
  readonly gcShare: number | null;
}

/** Medians of the servers' CPU per request and of the subject's GC share. */
function costTable(costs: readonly CostSample[]): string {
  const rows: string[][] = [];
  for (const pipeline of [1, deepPipeline]) {
    for (const test of [...new Set(costs.map((c) => c.test))]) {
      const of = (target: CostSample['target']): CostSample[] => costs.filter((c) => c.target === target && c.pipeline === pipeline && c.test === test);
      const subjectCpu = median(of('subject').map((c) => c.cpuUsPerOp));
      const redisCpu = median(of('baseline').map((c) => c.cpuUsPerOp));
      const gc = of('subject').flatMap((c) => (c.gcShare === null ? [] : [c.gcShare]));
      rows.push([
        `${test}${pipeline > 1 ? ` -P ${pipeline}` : ''}`,
        fmtNumber(subjectCpu, 1),
        fmtNumber(redisCpu, 1),
        fmtRatio(subjectCpu, redisCpu),
        gc.length === 0 ? '-' : `${(median(gc) * 100).toFixed(1)}%`,
      ]);
    }
  }
  return formatTable(['test', 'subject CPU us/op', 'redis CPU us/op', 'CPU subject/redis', 'subject GC share'], rows);
}

function summarize(samples: readonly Sample[]): { table: string; rows: ComparisonRow[] } {
  return compareMedians(samples, [1, deepPipeline], { subject: 'subject', baseline: 'baseline', subjectLabel: 'subject', baselineLabel: 'redis' });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
