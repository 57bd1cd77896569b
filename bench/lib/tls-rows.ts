import { makeTlsFiles, tlsServerArgs } from '../../test/support/tls-certs.js';
import { freePort } from '../../test/support/free-port.js';
import { runRedisBenchmark } from './redis-benchmark-run.js';
import { startBaseline, startSubject, type SubjectKind } from './servers.js';
import { fmtNumber, fmtRatio, formatTable, median } from './stats.js';

/**
 * The TLS rows of `npm run bench`: SET and GET through the TLS port of the
 * subject and of a redis-server, both started here with the same
 * certificates (made with openssl) and tls-auth-clients yes, and measured
 * with redis-benchmark --tls in the same run. Their own pair of servers, so
 * the plain rows are measured on servers that never did TLS.
 */
export interface TlsRowsSettings {
  readonly subject: SubjectKind;
  readonly persistence: readonly string[];
  readonly requests: number;
  readonly clients: number;
  readonly dataSize: number;
  readonly keyspace: number;
  readonly pipelines: readonly number[];
  readonly repeats: number;
  readonly log: (line: string) => void;
}

export async function tlsRows(s: TlsRowsSettings): Promise<string> {
  const cleanup: Array<() => unknown> = [];
  const files = await makeTlsFiles({ teardown: (fn) => cleanup.push(fn) });
  const [subjectPort, redisPort] = [await freePort(), await freePort()];
  const subject = await startSubject(s.subject, [...s.persistence, ...tlsServerArgs(files, subjectPort)], tlsServerArgs(files, subjectPort));
  const redis = await startBaseline([...s.persistence, ...tlsServerArgs(files, redisPort)]);
  const tls = { cacert: files.caCert, cert: files.clientCert, key: files.clientKey };
  const targets = [
    { key: 'subject' as const, port: subjectPort },
    { key: 'redis' as const, port: redisPort },
  ];
  const run = (port: number, test: string, pipeline: number, requests = s.requests) =>
    runRedisBenchmark({ port, tests: [test], requests, clients: s.clients, dataSize: s.dataSize, keyspace: s.keyspace, pipeline, tls });
  // Unmeasured: the subject's JIT warms up and GET finds the keys SET wrote.
  for (const t of targets) for (const test of ['set', 'get']) await run(t.port, test, s.pipelines[s.pipelines.length - 1]!, Math.min(s.requests, 50_000));
  const rows: string[][] = [];
  for (const pipeline of s.pipelines) {
    for (const test of ['set', 'get']) {
      const rps: Record<'subject' | 'redis', number[]> = { subject: [], redis: [] };
      const p99: Record<'subject' | 'redis', number[]> = { subject: [], redis: [] };
      for (let rep = 0; rep < s.repeats; rep++) {
        for (const t of targets) {
          const [row] = await run(t.port, test, pipeline);
          if (row === undefined) throw new Error(`redis-benchmark --tls -t ${test} gave no row`);
          rps[t.key].push(row.rps);
          p99[t.key].push(row.p99Ms);
        }
      }
      const [a, b] = [median(rps.subject), median(rps.redis)];
      s.log(`  TLS ${test} -P ${pipeline}: subject ${fmtNumber(a)}/s, redis ${fmtNumber(b)}/s\n`);
      rows.push([`${test.toUpperCase()} over TLS${pipeline > 1 ? ` -P ${pipeline}` : ''}`, fmtNumber(a), fmtNumber(b), fmtRatio(a, b), fmtNumber(median(p99.subject), 2), fmtNumber(median(p99.redis), 2)]);
    }
  }
  await Promise.allSettled([subject.proc.dispose(), redis.proc.dispose()]);
  for (const fn of cleanup) await fn();
  const heading = `\nTLS (TLSv1.3, client certificates, tls-auth-clients yes): redis-benchmark --tls -n ${s.requests} -c ${s.clients} -d ${s.dataSize} -r ${s.keyspace}, ${s.subject} vs redis-server\n`;
  return `${heading}${formatTable(['test', 'subject rps', 'redis rps', 'subject/redis', 'subject p99 ms', 'redis p99 ms'], rows)}\n`;
}
