import { spawnSync } from 'node:child_process';

/** What the test runner's `t` offers that this needs; structural, so no tap import here. */
interface TestLike {
  fail(message: string): unknown;
  plan(n: number, comment?: string): void;
}

/**
 * Checks that an outside client is installed. Missing: under CI (env CI set)
 * the test fails, because a skipped compat test would hide a broken install
 * step; elsewhere it is skipped with a clear message. Returns whether to go on.
 */
export function requireTool(t: TestLike, name: string, command: string, args: readonly string[], installHint: string): boolean {
  const missing = toolProblem(name, command, args, installHint);
  if (missing === null) return true;
  if (underCi()) t.fail(missing);
  else t.plan(0, missing); // a plan of 0 with a reason marks the whole file skipped
  return false;
}

/**
 * For a file that checks several clients: a missing one fails under CI and
 * is left out with a comment elsewhere, while the file goes on with the others.
 */
export function optionalTool(t: TestLike & { comment(message: string): unknown }, name: string, command: string, args: readonly string[], installHint: string): boolean {
  const missing = toolProblem(name, command, args, installHint);
  if (missing === null) return true;
  if (underCi()) t.fail(missing);
  else t.comment(`skipped: ${missing}`);
  return false;
}

function underCi(): boolean {
  return process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
}

/** Why the tool cannot be used, or null when it runs. */
function toolProblem(name: string, command: string, args: readonly string[], installHint: string): string | null {
  const probe = spawnSync(command, [...args], { encoding: 'utf8', timeout: 15_000 });
  if (probe.error === undefined && probe.status === 0) return null;
  const why = probe.error?.message ?? `exit ${probe.status}: ${(probe.stderr ?? '').trim().split('\n').pop() ?? ''}`;
  return `${name} is not available (${command} ${args.join(' ')}: ${why}); install it with: ${installHint}`;
}

export const REDIS_TOOLS_HINT = 'apt-get install -y redis-tools';
export const PYTHON_REDIS = '/usr/bin/python3';
export const PYTHON_REDIS_HINT = 'apt-get install -y python3-redis';
