import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNode, startRedisServer, type ServerProcess } from '../../test/support/node-process.js';
import { run } from '../support/run.js';
import { applyHarnessEdits } from './harness-edits.js';
import { parseSuiteOutput, type SuiteCounts } from './suite-output.js';
import { REQUIRED_RATIO, SUITE_UNITS, suiteFlags, type SuiteUnit } from './suite-plan.js';

/**
 * Runs units of Redis's own test suite (tcl/, tag 7.0.15) against a fresh
 * redis-server and a fresh single QuorumKV node, in external-server mode with
 * the same flags and skips, and compares how many tests pass on each.
 * `npm run redis-suite [unit ...]` prints the table; compat/redis-suite.test.ts
 * holds QuorumKV to REQUIRED_RATIO of redis-server's passes.
 */

export type ServerKind = 'redis-server' | 'quorumkv';

export interface UnitResult {
  readonly unit: SuiteUnit;
  readonly redis: SuiteCounts;
  readonly quorumkv: SuiteCounts;
  /** QuorumKV's passes over redis-server's. */
  readonly ratio: number;
}

const VENDORED = fileURLToPath(new URL('./tcl/', import.meta.url));

/** A temporary copy of the vendored suite with the harness edits applied; removed by the returned function. */
export function layOutSuite(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'qkv-redis-suite-'));
  cpSync(VENDORED, dir, { recursive: true });
  applyHarnessEdits(
    (file) => readFileSync(join(dir, file), 'utf8'),
    (file, text) => writeFileSync(join(dir, file), text),
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function startServer(kind: ServerKind): Promise<ServerProcess> {
  return kind === 'redis-server' ? startRedisServer() : startNode();
}

/** Runs one unit against a fresh server of `kind`, stopped afterwards. */
export async function runUnit(suiteDir: string, unit: SuiteUnit, kind: ServerKind, timeoutSeconds: number): Promise<SuiteCounts & { output: string }> {
  const server = await startServer(kind);
  try {
    const args = ['tests/test_helper.tcl', '--host', '127.0.0.1', '--port', String(server.port), '--single', unit, ...suiteFlags(timeoutSeconds)];
    const result = await run('tclsh', args, { cwd: suiteDir, timeoutMs: (timeoutSeconds + 30) * 1000 });
    const output = result.stdout + result.stderr;
    return { ...parseSuiteOutput(output), output };
  } finally {
    await server.dispose();
  }
}

/** Both servers, one unit; `timeoutSeconds` bounds the harness's wait for any one test. */
export async function compareUnit(suiteDir: string, unit: SuiteUnit, timeoutSeconds = 60): Promise<UnitResult> {
  const redis = await runUnit(suiteDir, unit, 'redis-server', timeoutSeconds);
  const quorumkv = await runUnit(suiteDir, unit, 'quorumkv', timeoutSeconds);
  const ratio = redis.passed.length === 0 ? 0 : quorumkv.passed.length / redis.passed.length;
  return { unit, redis, quorumkv, ratio };
}

export function formatResult(r: UnitResult): string {
  const lines = [`${r.unit}: redis-server ${r.redis.passed.length} passed, QuorumKV ${r.quorumkv.passed.length} passed, ratio ${r.ratio.toFixed(3)} (needed ${REQUIRED_RATIO})`];
  const onlyRedis = r.redis.passed.filter((name) => !r.quorumkv.passed.includes(name));
  for (const name of onlyRedis) lines.push(`  fails on QuorumKV: ${name}`);
  if (!r.redis.finished || !r.quorumkv.finished) lines.push(`  unit ended early (redis-server: ${r.redis.finished ? 'finished' : 'cut short'}, QuorumKV: ${r.quorumkv.finished ? 'finished' : 'cut short'})`);
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<void> {
  const units = argv.length > 0 ? argv : SUITE_UNITS;
  for (const unit of units) {
    if (!(SUITE_UNITS as readonly string[]).includes(unit)) throw new Error(`unknown unit ${unit}; one of ${SUITE_UNITS.join(', ')}`);
  }
  const suite = layOutSuite();
  try {
    let short = false;
    for (const unit of units as SuiteUnit[]) {
      const result = await compareUnit(suite.dir, unit);
      process.stdout.write(`${formatResult(result)}\n`);
      if (result.ratio < REQUIRED_RATIO) short = true;
    }
    process.exitCode = short ? 1 : 0;
  } finally {
    suite.remove();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
