/**
 * Throughput and latency of a QuorumKV node (N=1, WAL on, no fsync) against a
 * redis-server (AOF on, fsync every second) measured in the same run, on
 * loopback, with redis-benchmark: SET, GET and INCR over a keyspace, HSET and
 * HGET of one hash, SADD to one set, with and without pipelining, each target
 * in turn, repeated; prints the medians and the ratios.
 *
 * The hash and set rows work on one collection of --fields fields or members
 * (redis-benchmark -r), filled before the measured runs so that every HGET
 * finds its field: HSET is redis-benchmark's own (`HSET myhash
 * element:__rand_int__ <-d bytes>`), HGET its custom-command form (`hget
 * myhash element:__rand_int__`), SADD its own (`SADD myset
 * element:__rand_int__`). They run --collection-requests requests each,
 * since a QuorumKV collection is one record, rewritten by every write.
 * EVALSHA runs a small INCR-and-PEXPIRE script (loaded first with SCRIPT
 * LOAD) over the keyspace, also --collection-requests requests.
 *
 *   npm run bench                     # full run: -n 200000 (20000 for hash and set rows), 3 repeats
 *   npm run bench -- --quick          # -n 50000 (5000), 1 repeat
 *   npm run bench -- -t hset,hget,sadd --fields 1000
 *   npm run bench -- --subject redis  # redis against redis: checks the benchmark itself
 *
 * The TLS rows are SET and GET through the TLS ports of a second pair of
 * servers (bench/lib/tls-rows.ts), with redis-benchmark --tls.
 *
 * The publish row is PUBLISH/SUBSCRIBE throughput, measured by an in-process
 * client loop (bench/lib/pubsub-throughput.ts): messages per second
 * delivered to one subscriber, PUBLISH pipelined 1 and -P deep.
 */
import { positiveInt } from './lib/args.js';
import { compareMedians, type CompareSample, type ComparisonRow } from './lib/compare.js';
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { runRedisBenchmark } from './lib/redis-benchmark-run.js';
import { startBaseline, startSubject, stopAll, type Started, type SubjectKind } from './lib/servers.js';
import { fmtNumber, fmtRatio, formatTable, median } from './lib/stats.js';
import { cpuSeconds, gcSeconds } from './lib/process-cpu.js';
import { RespClient } from '../src/server/resp-client.js';
import { pubsubThroughput } from './lib/pubsub-throughput.js';
import { tlsRows } from './lib/tls-rows.js';

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
    tests: { type: 'string', short: 't', default: 'set,get,incr,hset,hget,sadd,evalsha,publish,tls' },
    fields: { type: 'string', default: '100' },
    'collection-requests': { type: 'string' },
    subject: { type: 'string', default: 'quorumkv' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opts.help) {
  process.stdout.write(
    'usage: npm run bench -- [--quick] [-n requests] [--repeats R] [-c clients] [-d bytes] [-r keyspace]\n' +
      '                        [-P pipeline] [-t set,get,incr,hset,hget,sadd,evalsha,publish,tls] [--fields F] [--collection-requests M]\n' +
      '                        [--subject quorumkv|redis] [--json out.json]\n',
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
const fields = int(opts.fields, 100, 'fields');
const collectionRequests = int(opts['collection-requests'], Math.min(requests, opts.quick ? 5_000 : 20_000), 'collection-requests');
const allTests = (opts.tests ?? 'set,get,incr,hset,hget,sadd,evalsha,publish,tls').split(',').filter((s) => s !== '');
/** PUBLISH/SUBSCRIBE is measured by its own client loop, not redis-benchmark. */
const pubsubMessages = allTests.some((s) => s.toLowerCase() === 'publish') ? (opts.quick ? 20_000 : 100_000) : 0;
const withTls = allTests.some((s) => s.toLowerCase() === 'tls');
const tests = allTests.filter((s) => !['publish', 'tls'].includes(s.toLowerCase()));
if (opts.subject !== 'quorumkv' && opts.subject !== 'redis') throw new Error('--subject is quorumkv or redis');
const subjectKind: SubjectKind = opts.subject;

for (const tool of ['redis-benchmark', 'redis-server']) {
  if (spawnSync(tool, ['--version']).status !== 0) {
    process.stderr.write(`${tool} is required (apt-get install -y redis-tools redis-server)\n`);
    process.exit(1);
  }
}

type Sample = CompareSample<'subject' | 'baseline'>;

/** The benchmark hash and set (redis-benchmark's own key names). */
const HASH_KEY = 'myhash';
const SET_KEY = 'myset';

/** The EVALSHA row's script: a rate-limiter-like INCR and PEXPIRE of one key. */
const INCR_EXPIRE = "local v = redis.call('INCR', KEYS[1]) redis.call('PEXPIRE', KEYS[1], ARGV[1]) return v";
const INCR_EXPIRE_SHA = createHash('sha1').update(INCR_EXPIRE).digest('hex');

/** How one test runs: a built-in (-t) over the keyspace, or over the one hash or set, or a custom command. */
interface TestSpec {
  readonly name: string;
  readonly builtin?: string;
  readonly command?: { readonly args: readonly string[]; readonly label: string };
  readonly keyspace: number;
  readonly requests: number;
  /** Works on the one hash or set, filled before the measured runs. */
  readonly collection: boolean;
}

function spec(test: string): TestSpec {
  switch (test.toLowerCase()) {
    case 'hset':
    case 'sadd':
      return { name: test, builtin: test, keyspace: fields, requests: collectionRequests, collection: true };
    case 'evalsha':
      return {
        name: test,
        command: { args: ['evalsha', INCR_EXPIRE_SHA, '1', 'script:__rand_int__', '60000'], label: 'EVALSHA' },
        keyspace,
        requests: collectionRequests,
        collection: false,
      };
    case 'hget':
      return { name: test, command: { args: ['hget', HASH_KEY, 'element:__rand_int__'], label: 'HGET' }, keyspace: fields, requests: collectionRequests, collection: true };
    default:
      return { name: test, builtin: test, keyspace, requests, collection: false };
  }
}

const specs = tests.map(spec);

function runSpec(s: TestSpec, port: number, pipeline: number, requestsOverride?: number): ReturnType<typeof runRedisBenchmark> {
  return runRedisBenchmark({
    tests: s.builtin === undefined ? [] : [s.builtin],
    ...(s.command === undefined ? {} : { command: s.command }),
    clients,
    dataSize,
    keyspace: s.keyspace,
    port,
    requests: requestsOverride ?? s.requests,
    pipeline,
  });
}

/**
 * Fills the benchmark hash with every field redis-benchmark -r `fields` can
 * name (element:000000000000 ...), values of dataSize bytes, so every HGET
 * finds its field; and the set with as many members.
 */
async function fillCollections(port: number): Promise<void> {
  const c = await RespClient.connect({ host: '127.0.0.1', port, timeoutMs: 60_000 });
  try {
    await c.call('DEL', HASH_KEY, SET_KEY);
    const value = 'x'.repeat(dataSize);
    const name = (i: number): string => `element:${String(i).padStart(12, '0')}`;
    for (let i = 0; i < fields; i += 100) {
      const batch = Array.from({ length: Math.min(100, fields - i) }, (_, k) => name(i + k));
      await c.call('HSET', HASH_KEY, ...batch.flatMap((f) => [f, value]));
      await c.call('SADD', SET_KEY, ...batch);
    }
    const [hlen, scard] = [await c.call('HLEN', HASH_KEY), await c.call('SCARD', SET_KEY)];
    if (hlen !== fields || scard !== fields) throw new Error(`filling ${HASH_KEY} and ${SET_KEY} left ${String(hlen)} fields and ${String(scard)} members, not ${fields}`);
  } finally {
    c.close();
  }
}

/** Loads the EVALSHA row's script, as an application does once at start. */
async function loadScript(port: number): Promise<void> {
  const c = await RespClient.connect({ host: '127.0.0.1', port, timeoutMs: 60_000 });
  try {
    const sha = await c.call('SCRIPT', 'LOAD', INCR_EXPIRE);
    if (sha !== INCR_EXPIRE_SHA) throw new Error(`SCRIPT LOAD answered ${String(sha)}, not ${INCR_EXPIRE_SHA}`);
  } finally {
    c.close();
  }
}

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
    process.stderr.write(`subject: ${subject.name} on port ${subject.proc.port}; baseline: redis-server on port ${baseline.proc.port}\n`);

    // A short unmeasured run first: the subject's JIT warms up and both keyspaces fill; then the hash and the set are filled.
    for (const { server } of targets) {
      if (specs.some((s) => s.name === 'evalsha')) await loadScript(server.proc.port);
      for (const s of specs) await runSpec(s, server.proc.port, deepPipeline, Math.min(s.requests, 50_000));
      if (specs.some((s) => s.collection)) await fillCollections(server.proc.port);
    }

    const samples: Sample[] = [];
    const costs: CostSample[] = [];
    for (let rep = 1; rep <= repeats; rep++) {
      for (const pipeline of [1, deepPipeline]) {
        for (const { key, server } of targets) {
          // One test at a time, so each one's CPU (and the subject's GC) is its own.
          const rows = [];
          for (const s of specs) {
            const cpu0 = await cpuSeconds(server.proc.pid);
            const gc0 = server.metricsPort === undefined ? 0 : await gcSeconds(server.metricsPort);
            const [row] = await runSpec(s, server.proc.port, pipeline);
            const cpu = (await cpuSeconds(server.proc.pid)) - cpu0;
            const gc = server.metricsPort === undefined ? null : (await gcSeconds(server.metricsPort)) - gc0;
            if (row === undefined) continue;
            rows.push(row);
            samples.push({ target: key, pipeline, row });
            costs.push({ target: key, pipeline, test: row.test, cpuUsPerOp: (cpu * 1e6) / s.requests, gcShare: gc === null || cpu <= 0 ? null : gc / cpu });
          }
          const summary = rows.map((r) => `${r.test} ${fmtNumber(r.rps)}/s`).join(', ');
          process.stderr.write(`  run ${rep}/${repeats} -P ${pipeline} ${key === 'subject' ? subject.name : 'redis-server'}: ${summary}\n`);
        }
      }
    }
    const report = summarize(samples);
    const pubsub = pubsubMessages > 0 ? await pubsubTable(targets) : '';
    const tls = withTls
      ? await tlsRows({ subject: subjectKind, persistence: REDIS_PERSISTENCE, requests, clients, dataSize, keyspace, pipelines: [1, deepPipeline], repeats, log: (l) => process.stderr.write(l) })
      : '';
    const tables = specs.length > 0 ? `\n${report.table}\n\n${costTable(costs)}\n` : '';
    process.stdout.write(`\n${header(subject.name)}\n${tables}${pubsub}${tls}`);
    if (opts.json !== undefined) await writeFile(opts.json, `${JSON.stringify({ params: params(subject.name), rows: report.rows }, null, 2)}\n`);
  } finally {
    await stopAll();
  }
}

/** Messages/s delivered to one subscriber on each target, medians over the repeats, and their ratio. */
async function pubsubTable(targets: ReadonlyArray<{ key: 'subject' | 'baseline'; server: Started }>): Promise<string> {
  const rows: string[][] = [];
  for (const pipeline of [1, deepPipeline]) {
    const rates: Record<'subject' | 'baseline', number[]> = { subject: [], baseline: [] };
    for (let rep = 1; rep <= repeats; rep++) {
      for (const { key, server } of targets) {
        rates[key].push(await pubsubThroughput({ port: server.proc.port, messages: pubsubMessages, size: Math.min(dataSize, 256), pipeline }));
      }
    }
    const [s, r] = [median(rates.subject), median(rates.baseline)];
    process.stderr.write(`  publish -P ${pipeline}: subject ${fmtNumber(s)}/s, redis ${fmtNumber(r)}/s\n`);
    rows.push([`PUBLISH -> 1 subscriber${pipeline > 1 ? ` -P ${pipeline}` : ''}`, fmtNumber(s), fmtNumber(r), fmtRatio(s, r)]);
  }
  const size = Math.min(dataSize, 256);
  return `\n${pubsubMessages} messages of ${size} bytes, one publisher, one subscriber (bench/lib/pubsub-throughput.ts)\n${formatTable(['test', 'subject msg/s', 'redis msg/s', 'subject/redis'], rows)}\n`;
}

function params(subjectName: string): Record<string, unknown> {
  return {
    subject: subjectName,
    baseline: 'redis-server (appendonly yes, appendfsync everysec)',
    requests,
    collectionRequests,
    fields,
    repeats,
    clients,
    dataSize,
    keyspace,
    pipeline: deepPipeline,
    tests,
  };
}

function header(subjectName: string): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  const rb = spawnSync('redis-benchmark', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const rs = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ').slice(0, 3).join(' ');
  return [
    `QuorumKV vs Redis, medians of ${repeats} run(s); ${cpus().length} x ${cpu}; node ${process.version}; ${rs}; ${rb}`,
    `subject: ${subjectName}, ${subjectKind === 'quorumkv' ? 'N=1, WAL on, no fsync' : 'appendonly yes, appendfsync everysec'} | baseline: redis-server, appendonly yes, appendfsync everysec`,
    ...specs.map((s) => {
      const what = s.command === undefined ? `-t ${s.builtin}` : s.command.args.join(' ');
      return `${s.name}: redis-benchmark -n ${s.requests} -c ${clients} -d ${dataSize} -r ${s.keyspace} --csv [-P ${deepPipeline}] ${what}`;
    }),
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
