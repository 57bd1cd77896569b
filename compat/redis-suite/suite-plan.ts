/**
 * What compat/redis-suite runs of Redis's own test suite (tag 7.0.15, tcl/),
 * and what it skips. The skips are the same for redis-server and QuorumKV, so
 * the two pass counts compare like with like.
 */

/** The units run, as test_helper.tcl names them. */
export const SUITE_UNITS = ['unit/scripting', 'unit/pubsub'] as const;
export type SuiteUnit = (typeof SUITE_UNITS)[number];

/** The share of redis-server's passes QuorumKV must reach per unit. */
export const REQUIRED_RATIO = 0.8;

/**
 * Tags whose tests need what one server driven from outside cannot give:
 * DEBUG, a replica, or a server that accepts `maxmemory 1` (the tests set the
 * limit below anything in use to provoke OOM refusals).
 */
export const DENIED_TAGS: readonly string[] = ['needs:debug', 'needs:repl', 'needs:config-maxmemory'];

/**
 * Tests skipped by name: they need replication but carry no needs:repl tag.
 * (Functions are skipped by harness-edits.ts, which runs scripting.tcl's
 * EVAL pass only; its FUNCTION pass repeats every test through FCALL.)
 */
export const SKIPPED_TESTS: readonly string[] = ['not enough good replicas'];

/** Flags for test_helper.tcl besides host, port and unit. */
export function suiteFlags(timeoutSeconds: number): string[] {
  const flags = [
    // QuorumKV has one database; with --singledb both servers run in db 0.
    '--singledb',
    // An exception inside a test fails that test instead of ending the unit.
    '--durable',
    '--timeout', String(timeoutSeconds),
    '--tags', DENIED_TAGS.map((tag) => `-${tag}`).join(' '),
  ];
  for (const name of SKIPPED_TESTS) flags.push('--skiptest', name);
  return flags;
}
