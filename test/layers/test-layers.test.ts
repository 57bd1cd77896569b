import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { cachedReader, layerOf, listTestFiles, processModuleReached, readFromDisk, resolveLocal, runtimeImports, testLayers, type ReadSource } from '../support/test-layers.js';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const LAYERS = testLayers(ROOT);

/** An in-memory tree of sources under /repo. */
function fixture(files: Record<string, string>): ReadSource {
  return (path) => files[path.replace(/^\/repo\//, '')];
}

t.test('runtime imports: static, re-exports, bare, dynamic; type-only ones are left out', async (t) => {
  const source = [
    "import t from 'tap';",
    "import { spawn, type ChildProcess } from 'node:child_process';",
    "import type { Teardown } from '../support/node-process.js';",
    'import {',
    '  a,',
    '  b,',
    "} from './multi-line.js';",
    "export { c } from './re-export.js';",
    "export type { D } from './type-export.js';",
    "import './side-effect.js';",
    "const m = await import('./dynamic.js');",
  ].join('\n');
  t.same(runtimeImports(source).sort(), ['./dynamic.js', './multi-line.js', './re-export.js', './side-effect.js', 'node:child_process', 'tap']);
});

t.test('a test is proc when it or anything it imports loads child_process', async (t) => {
  const read = fixture({
    'test/a/direct.test.ts': "import { spawn } from 'node:child_process';",
    'test/a/via-helper.test.ts': "import { start } from '../support/starter.js';",
    'test/support/starter.ts': "export { start } from './spawner.js';",
    'test/support/spawner.ts': "import * as cp from 'child_process';\nexport const start = () => cp.spawn('x');",
    'test/a/dynamic.test.ts': "const { start } = await import('../support/starter.js');",
    'test/a/via-src.test.ts': "import { run } from '../../src/server/runner.js';",
    'src/server/runner.ts': "import { execa } from 'execa';",
    'test/a/types-only.test.ts': "import type { ChildProcess } from 'node:child_process';\nimport type { Teardown } from '../support/spawner.js';",
    'test/a/cycle.test.ts': "import './cycle-b.js';",
    'test/a/cycle-b.ts': "import './cycle.test.js';",
    'compat/client.test.ts': "import t from 'tap';",
    'test/a/tap-spawn.test.ts': "import t from 'tap';\n  await t.spawn(process.execPath, ['x.js']);",
    'test/a/names-only.test.ts': "// t.spawn( in a comment\nconst s = 'await t.spawn(';",
  });
  t.same(processModuleReached('/repo/test/a/via-helper.test.ts', read), {
    module: 'child_process',
    via: ['/repo/test/a/via-helper.test.ts', '/repo/test/support/starter.ts', '/repo/test/support/spawner.ts'],
  });
  const layers = Object.fromEntries(
    ['direct', 'via-helper', 'dynamic', 'via-src', 'tap-spawn', 'names-only', 'types-only', 'cycle'].map((n) => [n, layerOf('/repo', `/repo/test/a/${n}.test.ts`, read)]),
  );
  t.same(layers, { direct: 'proc', 'via-helper': 'proc', dynamic: 'proc', 'via-src': 'proc', 'tap-spawn': 'proc', 'names-only': 'unit', 'types-only': 'unit', cycle: 'unit' });
  t.equal(layerOf('/repo', '/repo/compat/client.test.ts', read), 'compat');
});

t.test("'.js' specifiers name the TypeScript file", async (t) => {
  const read = fixture({ 'test/support/x.ts': '', 'test/support/dir/index.ts': '' });
  t.equal(resolveLocal('/repo/test/a/b.test.ts', '../support/x.js', read), '/repo/test/support/x.ts');
  t.equal(resolveLocal('/repo/test/a/b.test.ts', '../support/dir', read), '/repo/test/support/dir/index.ts');
  t.equal(resolveLocal('/repo/test/a/b.test.ts', '../support/missing.js', read), undefined);
});

t.test('the layers split exactly the files tap runs', async (t) => {
  const include = [...readFileSync(join(ROOT, '.taprc'), 'utf8').matchAll(/^\s*-\s*"([^"]+)"/gm)].map((m) => m[1]);
  // listTestFiles walks these two patterns; another include pattern needs it taught first.
  t.same(include.filter((p) => p!.endsWith('.test.ts')), ['test/**/*.test.ts', 'compat/**/*.test.ts']);
  const { unit, proc, compat } = LAYERS;
  t.same([...unit, ...proc, ...compat].sort(), listTestFiles(ROOT), 'each test file in exactly one layer');
  t.ok(unit.length > 50 && proc.length > 10 && compat.length > 3, 'every layer has its tests');
});

// Independent of how the classifier decides: the text a unit test runs (it and
// its local imports, type-only imports dropped) names no way to start a process.
const STARTS_A_PROCESS = /child_process|\bspawn(Sync)?\(|\bexecSync\(|\bexecFile(Sync)?\(|\bfork\(|startRedisServer|node-process\.js|fault-cluster\.js|outside-tool|ip netns/;
// The classifier and this test name those modules in strings, starting nothing.
const NAMES_PROCESSES_ONLY = new Set(['test/support/test-layers.ts', 'test/layers/test-layers.test.ts']);

function runtimeText(source: string): string {
  return source.replace(/^\s*(import|export)\s+type\b[^;]*;/gm, '');
}

t.test('no unit test, nor anything it imports, starts a process', async (t) => {
  const read = cachedReader(readFromDisk);
  for (const file of LAYERS.unit) {
    const seen = new Set<string>();
    const pending = [join(ROOT, file)];
    while (pending.length > 0) {
      const path = pending.pop()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const source = read(path) ?? '';
      const hit = NAMES_PROCESSES_ONLY.has(path.slice(ROOT.length + 1)) ? null : STARTS_A_PROCESS.exec(runtimeText(source));
      if (hit) t.fail(`${file} is classified unit, but ${path.slice(ROOT.length + 1)} has '${hit[0]}'`);
      for (const spec of runtimeImports(source)) {
        const next = spec.startsWith('.') ? resolveLocal(path, spec, read) : undefined;
        if (next) pending.push(next);
      }
    }
  }
  t.pass('scanned every unit test');
});

t.test('the process helpers are recognised, and so are their users', async (t) => {
  for (const helper of ['test/support/node-process.ts', 'test/support/fault-cluster.ts', 'compat/support/run.ts', 'src/server/local-cluster.ts']) {
    t.ok(processModuleReached(join(ROOT, helper), readFromDisk), helper);
  }
  const { proc } = LAYERS;
  for (const file of ['test/cluster/three-processes.test.ts', 'test/faults/campaigns-process.test.ts', 'test/resp/redis-differential.test.ts']) {
    t.ok(proc.includes(file), `${file} is proc`);
  }
});
