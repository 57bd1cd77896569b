import { spawn } from 'node:child_process';

/** One summary row of `redis-benchmark --csv`. */
export interface BenchRow {
  readonly test: string;
  readonly rps: number;
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface BenchRun {
  readonly port: number;
  /** Built-in tests (-t); ignored when `command` is given. */
  readonly tests: readonly string[];
  /** A custom command instead of -t (`redis-benchmark ... hget myhash element:__rand_int__`), its row named `label`. */
  readonly command?: { readonly args: readonly string[]; readonly label: string };
  readonly requests: number;
  readonly clients: number;
  readonly dataSize: number;
  readonly keyspace: number;
  readonly pipeline: number;
  /** Over TLS (redis-benchmark --tls) with this CA and client certificate. */
  readonly tls?: { readonly cacert: string; readonly cert: string; readonly key: string };
}

/** Parses redis-benchmark 7 --csv output: a quoted header line, then one quoted row per test. */
export function parseBenchCsv(csv: string): BenchRow[] {
  const lines = csv.split(/\r?\n/).filter((l) => l.startsWith('"'));
  const [header, ...rows] = lines.map((l) => l.split(',').map((c) => c.replace(/^"|"$/g, '')));
  if (header === undefined || header[0] !== 'test') throw new Error(`not redis-benchmark --csv output: ${csv.slice(0, 300)}`);
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`redis-benchmark --csv has no "${name}" column: ${header.join(',')}`);
    return i;
  };
  const at = { rps: col('rps'), avg: col('avg_latency_ms'), p50: col('p50_latency_ms'), p99: col('p99_latency_ms'), max: col('max_latency_ms') };
  return rows.map((r) => ({
    test: r[0] ?? '',
    rps: Number(r[at.rps]),
    avgMs: Number(r[at.avg]),
    p50Ms: Number(r[at.p50]),
    p99Ms: Number(r[at.p99]),
    maxMs: Number(r[at.max]),
  }));
}

/** Runs redis-benchmark once against 127.0.0.1:port; rejects on a non-zero exit or error output. */
export function runRedisBenchmark(run: BenchRun): Promise<BenchRow[]> {
  const args = [
    '-h', '127.0.0.1',
    '-p', String(run.port),
    ...(run.command === undefined ? ['-t', run.tests.join(',')] : []),
    '-n', String(run.requests),
    '-c', String(run.clients),
    '-d', String(run.dataSize),
    '-r', String(run.keyspace),
    '--csv',
  ];
  if (run.pipeline > 1) args.push('-P', String(run.pipeline));
  if (run.tls !== undefined) args.push('--tls', '--cacert', run.tls.cacert, '--cert', run.tls.cert, '--key', run.tls.key);
  if (run.command !== undefined) args.push(...run.command.args);
  const label = run.command?.label;
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.once('error', reject);
    child.once('close', (code) => {
      const complaint = `${out}\n${err}`.split(/[\r\n]+/).find((l) => /error|warning/i.test(l));
      if (code !== 0 || complaint !== undefined) {
        reject(new Error(`redis-benchmark ${args.join(' ')} exited ${code}: ${complaint ?? err.trim()}`));
        return;
      }
      try {
        const rows = parseBenchCsv(out);
        resolve(label === undefined ? rows : rows.map((r) => ({ ...r, test: label })));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}
