import t from 'tap';
import { startTarget } from './support/target.js';
import { run } from './support/run.js';
import { requireTool, REDIS_TOOLS_HINT } from './support/outside-tool.js';

// redis-benchmark 7 exits non-zero at the first error reply ("Error from
// server: ...") and warns when CONFIG GET fails; either is a failure here.
// -q prints progress lines ending in \r, then one summary line per test.

const SUMMARY = /^([A-Z_]+(?: \(\d+ keys\))?): [\d.]+ requests per second, p50=[\d.]+ msec$/;
const PROGRESS = /rps=.*avg_msec=/;
const EXPECTED_TESTS = ['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'MSET (10 keys)'];

if (requireTool(t, 'redis-benchmark', 'redis-benchmark', ['--version'], REDIS_TOOLS_HINT)) {
  const server = await startTarget(t);

  for (const pipeline of [1, 8]) {
    t.test(`redis-benchmark -q${pipeline > 1 ? ` -P ${pipeline}` : ''}`, async (t) => {
      const args = ['-h', '127.0.0.1', '-p', String(server.port), '-t', 'ping,set,get,incr,mset', '-n', '2000', '-c', '10', '-q'];
      if (pipeline > 1) args.push('-P', String(pipeline));
      const res = await run('redis-benchmark', args, { timeoutMs: 60_000 });
      t.equal(res.code, 0, 'exits 0', { stdout: res.stdout.slice(-2000), stderr: res.stderr.slice(-2000) });
      t.equal(res.stderr.trim(), '', 'prints nothing on stderr');
      const lines = res.stdout
        .split(/[\r\n]+/)
        .map((l) => l.trim())
        .filter((l) => l !== '' && !PROGRESS.test(l));
      const strange = lines.filter((l) => !SUMMARY.test(l));
      t.same(strange, [], 'no error or warning lines');
      const names = lines.map((l) => SUMMARY.exec(l)?.[1]).filter((n): n is string => n !== undefined);
      t.same(names, EXPECTED_TESTS, 'every test ran to its summary');
    });
  }

  t.test('redis-benchmark -q: its hash and set tests, and HGET as a custom command', async (t) => {
    const base = ['-h', '127.0.0.1', '-p', String(server.port), '-n', '2000', '-c', '10', '-r', '100', '-q'];
    const builtins = await run('redis-benchmark', [...base, '-t', 'hset,sadd,spop'], { timeoutMs: 60_000 });
    t.equal(builtins.code, 0, 'exits 0', { stdout: builtins.stdout.slice(-2000), stderr: builtins.stderr.slice(-2000) });
    t.equal(builtins.stderr.trim(), '', 'prints nothing on stderr');
    const lines = builtins.stdout
      .split(/[\r\n]+/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !PROGRESS.test(l));
    t.same(lines.filter((l) => !SUMMARY.test(l)), [], 'no error or warning lines');
    t.same(
      lines.map((l) => SUMMARY.exec(l)?.[1]),
      ['SADD', 'HSET', 'SPOP'],
      'every test ran to its summary',
    );
    const custom = await run('redis-benchmark', [...base, '-P', '8', 'hget', 'myhash', 'element:__rand_int__'], { timeoutMs: 60_000 });
    t.equal(custom.code, 0, 'exits 0', { stdout: custom.stdout.slice(-2000), stderr: custom.stderr.slice(-2000) });
    t.equal(custom.stderr.trim(), '', 'prints nothing on stderr');
    const summaries = custom.stdout
      .split(/[\r\n]+/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !PROGRESS.test(l));
    t.match(summaries, [/^hget myhash element:__rand_int__: [\d.]+ requests per second, p50=[\d.]+ msec$/], 'one summary, no errors');
    t.equal(summaries.length, 1);
  });
}
