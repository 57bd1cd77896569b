import t from 'tap';
import { requireTool } from './support/outside-tool.js';
import { compareUnit, formatResult, layOutSuite } from './redis-suite/run-suite.js';
import { REQUIRED_RATIO, SUITE_UNITS } from './redis-suite/suite-plan.js';

// Redis's own tests for scripting and Pub/Sub (compat/redis-suite/tcl, tag
// 7.0.15), run against redis-server and against a QuorumKV node with the
// same skips: QuorumKV must pass REQUIRED_RATIO of what redis-server passes.

// A test that hangs is given up on after 20 s (the harness then ends the unit),
// so the file stays within tap's timeout.
const STALL_SECONDS = 20;

if (requireTool(t, 'tclsh', 'sh', ['-c', 'echo exit | tclsh'], 'apt-get install -y tcl') &&
    requireTool(t, 'redis-server', 'redis-server', ['--version'], 'apt-get install -y redis-server')) {
  const suite = layOutSuite();
  t.teardown(suite.remove);
  for (const unit of SUITE_UNITS) {
    t.test(unit, async (t) => {
      const result = await compareUnit(suite.dir, unit, STALL_SECONDS);
      t.comment(formatResult(result));
      t.ok(result.redis.finished, `redis-server ran ${unit} to its end`);
      t.ok(result.redis.passed.length > 0, 'redis-server passes tests of the unit');
      t.ok(result.ratio >= REQUIRED_RATIO, `QuorumKV passes ${result.quorumkv.passed.length} of redis-server's ${result.redis.passed.length} (${result.ratio.toFixed(3)} >= ${REQUIRED_RATIO})`);
    });
  }
}
