import { join } from 'node:path';
import type { Test } from 'tap';
import { REPO_ROOT } from '../../test/support/node-process.js';
import { PYTHON_REDIS } from './outside-tool.js';
import { run } from './run.js';

/**
 * Runs a redis-py script of compat/py (one that prints a JSON line per check,
 * then {"done": true}: cluster_checks.py) against two nodes, and turns each
 * line into an assertion; the script must run to the end with `expected` checks.
 */
export async function runPyChecks(t: Test, script: string, entry: number, other: number, expected: number): Promise<void> {
  const res = await run(PYTHON_REDIS, [join(REPO_ROOT, 'compat', 'py', script), '--entry', String(entry), '--other', String(other)], { timeoutMs: 120_000 });
  let done = false;
  let checks = 0;
  for (const line of res.stdout.split('\n').filter((l) => l.trim() !== '')) {
    const parsed = JSON.parse(line) as { check: string; ok: boolean; expected: unknown; got: unknown } | { done: true };
    if ('done' in parsed) {
      done = true;
      continue;
    }
    checks++;
    t.ok(parsed.ok, parsed.check, parsed.ok ? {} : { expected: parsed.expected, got: parsed.got });
  }
  t.ok(done, 'the script ran to the end', { stderr: res.stderr.slice(-4000) });
  t.equal(checks, expected, `${script} ran ${expected} checks`);
}
