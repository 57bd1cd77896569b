import t from 'tap';
import { join } from 'node:path';
import { startTarget } from './support/target.js';
import { run } from './support/run.js';
import { requireTool, PYTHON_REDIS, PYTHON_REDIS_HINT } from './support/outside-tool.js';
import { REPO_ROOT } from '../test/support/node-process.js';

// redis-py from Debian's python3-redis, run by /usr/bin/python3 on purpose: a
// python3 earlier on PATH may be another interpreter without the package.

interface CheckLine {
  readonly check: string;
  readonly ok: boolean;
  readonly expected: unknown;
  readonly got: unknown;
}
interface DoneLine {
  readonly done: true;
  readonly redis_py: string;
  readonly protocol3: 'checked' | 'unsupported';
}

if (requireTool(t, 'redis-py', PYTHON_REDIS, ['-c', 'import redis'], PYTHON_REDIS_HINT)) {
  const server = await startTarget(t);

  t.test('redis-py operations (compat/py/client_ops.py)', async (t) => {
    const res = await run(PYTHON_REDIS, [join(REPO_ROOT, 'compat', 'py', 'client_ops.py'), '--port', String(server.port)], {
      timeoutMs: 60_000,
    });
    let done: DoneLine | undefined;
    let checks = 0;
    for (const line of res.stdout.split('\n').filter((l) => l.trim() !== '')) {
      const parsed = JSON.parse(line) as CheckLine | DoneLine;
      if ('done' in parsed) {
        done = parsed;
        continue;
      }
      checks++;
      t.ok(parsed.ok, parsed.check, parsed.ok ? {} : { expected: parsed.expected, got: parsed.got });
    }
    t.ok(done !== undefined, 'the script ran to the end', { stderr: res.stderr.slice(-4000) });
    t.equal(res.code, 0, 'the script exits 0', { stderr: res.stderr.slice(-4000) });
    t.ok(checks >= 50, `ran ${checks} checks`);
    if (done !== undefined) {
      t.comment(`redis-py ${done.redis_py}; RESP3 (protocol=3): ${done.protocol3 === 'checked' ? 'checked' : 'not supported by this redis-py, RESP2 only'}`);
    }
  });
}
