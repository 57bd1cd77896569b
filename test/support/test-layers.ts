import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * Which layer each test file belongs to, decided from the source alone, so a
 * new file is classified without anyone remembering to label it:
 *
 * - compat: everything under compat/ (real clients against a real node);
 * - proc:   a test that starts processes: it, or any file it imports
 *           (transitively, relative imports into test/, src/, resp/, ...),
 *           loads a process-starting module (node:child_process and the like)
 *           or calls tap's spawn method;
 * - unit:   the rest: one process, no children.
 *
 * Type-only imports are skipped (they vanish at run time), so a unit test may
 * borrow a type from test/support/node-process.ts without becoming proc.
 */
export type TestLayer = 'unit' | 'proc' | 'compat';
export const TEST_LAYERS: readonly TestLayer[] = ['unit', 'proc', 'compat'];

/** Modules that start other processes; loading one marks the importer (and all its importers) proc. */
export const PROCESS_MODULES: readonly string[] = ['child_process', 'node:child_process', 'execa', 'cross-spawn'];

// tap's spawn method runs a child process without any import; a call is code
// on a line with no quote, slash or star before it (not a comment or a string).
const TAP_SPAWN_RE = /^[^'"\/*\n]*\bt\.spawn\(/m;

/** Reads a file's text, or undefined when it does not exist; a parameter so tests can use fixtures. */
export type ReadSource = (path: string) => string | undefined;

export const readFromDisk: ReadSource = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // missing, or a directory
  }
};

// `import x from 'm'`, `import { a } from 'm'`, `export { a } from 'm'`, `import 'm'`, `import('m')`, `require('m')`.
// A leading `import type` / `export type` is captured so it can be skipped.
const STATIC_IMPORT_RE = /^\s*(import|export)(\s+type)?\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const BARE_IMPORT_RE = /^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT_RE = /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The module specifiers a source loads at run time (type-only imports left out). */
export function runtimeImports(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(STATIC_IMPORT_RE)) {
    if (m[2] === undefined) found.push(m[3]!);
  }
  for (const m of source.matchAll(BARE_IMPORT_RE)) found.push(m[1]!);
  for (const m of source.matchAll(DYNAMIC_IMPORT_RE)) found.push(m[1]!);
  return found;
}

/** The file a relative specifier names: TypeScript sources are imported by their '.js' name. */
export function resolveLocal(fromFile: string, specifier: string, read: ReadSource): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => read(c) !== undefined);
}

/** The process-starting module that file, or a file it imports, loads; undefined when none does. */
export function processModuleReached(file: string, read: ReadSource): { module: string; via: string[] } | undefined {
  const seen = new Set<string>();
  const visit = (path: string, chain: string[]): { module: string; via: string[] } | undefined => {
    if (seen.has(path)) return undefined;
    seen.add(path);
    const source = read(path);
    if (source === undefined) return undefined;
    if (TAP_SPAWN_RE.test(source)) return { module: 't.spawn', via: [...chain, path] };
    for (const spec of runtimeImports(source)) {
      if (PROCESS_MODULES.includes(spec)) return { module: spec, via: [...chain, path] };
      if (!spec.startsWith('.')) continue;
      const next = resolveLocal(path, spec, read);
      const hit = next === undefined ? undefined : visit(next, [...chain, path]);
      if (hit) return hit;
    }
    return undefined;
  };
  return visit(file, []);
}

/** The layer of one test file; root is the repository, file absolute. */
export function layerOf(root: string, file: string, read: ReadSource = readFromDisk): TestLayer {
  if (relative(root, file).split(sep)[0] === 'compat') return 'compat';
  return processModuleReached(file, read) ? 'proc' : 'unit';
}

/** Every test file tap runs (.taprc: test/**\/*.test.ts and compat/**\/*.test.ts), sorted, relative to root. */
export function listTestFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.test.ts')) files.push(relative(root, path));
    }
  };
  for (const top of ['test', 'compat']) if (existsSync(join(root, top))) walk(join(root, top));
  return files.sort();
}

/** A reader that reads each file once: most tests share their helpers and src/ files. */
export function cachedReader(read: ReadSource): ReadSource {
  const cache = new Map<string, string | undefined>();
  return (path) => {
    if (!cache.has(path)) cache.set(path, read(path));
    return cache.get(path);
  };
}

/** The test files of each layer, relative to root. */
export function testLayers(root: string, read: ReadSource = readFromDisk): Record<TestLayer, string[]> {
  const layers: Record<TestLayer, string[]> = { unit: [], proc: [], compat: [] };
  const cached = cachedReader(read);
  for (const file of listTestFiles(root)) layers[layerOf(root, join(root, file), cached)].push(file);
  return layers;
}
