import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_LAYERS, testLayers, type TestLayer } from '../test/support/test-layers.js';

/**
 * Runs one layer of the tests (test/support/test-layers.ts says which file is
 * in which): `test-layer.ts unit|proc|compat [tap args...]`, or `--list` to
 * print the files instead. Coverage is off: the floor in .taprc holds for the
 * whole suite, which `npm test` runs.
 */
const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const [layer, ...rest] = process.argv.slice(2);

if (!TEST_LAYERS.includes(layer as TestLayer)) {
  process.stderr.write(`usage: test-layer.ts ${TEST_LAYERS.join('|')} [--list] [tap args...]\n`);
  process.exit(2);
}
const files = testLayers(root)[layer as TestLayer];
if (rest.includes('--list')) {
  process.stdout.write(files.map((f) => `${f}\n`).join(''));
} else {
  const tap = spawn(join(root, 'node_modules', '.bin', 'tap'), ['--disable-coverage', ...rest, ...files], { cwd: root, stdio: 'inherit' });
  tap.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}
