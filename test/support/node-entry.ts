import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How a test starts a QuorumKV node process, cheaply. A node started through
 * tsx under tap costs about 2.7 s of CPU before it answers PING: tsx compiles
 * every source, and tap's per-process hook (NODE_OPTIONS --import of
 * @tapjs/processinfo) loads in the child too. The built CLI without that hook
 * costs about 0.55 s. A suite starts hundreds of nodes on two cores, so this
 * decides much of its wall time.
 */

const SOURCE_DIRS = ['src', 'resp', 'types'];

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const freshness = new Map<string, boolean>();

/**
 * True when dist/ was built after every source file was last changed (`npm
 * test` builds first; `npm ci` builds through prepare). A source edited since
 * the last build makes this false, so a test never runs a stale build.
 */
export function builtEntryIsFresh(repoRoot: string): boolean {
  const known = freshness.get(repoRoot);
  if (known !== undefined) return known;
  let fresh = false;
  try {
    const builtMs = statSync(join(repoRoot, 'dist', 'src', 'server', 'cli.js')).mtimeMs;
    fresh = SOURCE_DIRS.every((d) => newestSourceMs(join(repoRoot, d)) <= builtMs);
  } catch {
    fresh = false;
  }
  freshness.set(repoRoot, fresh);
  return fresh;
}

/**
 * The environment for a node child of a test: it records no coverage (a
 * node's own coverage would corrupt the merged report) and loads none of
 * tap's per-process hooks, which would cost it a second of CPU at start.
 */
export function childNodeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' };
  const options = (env.NODE_OPTIONS ?? '')
    .split(/\s+/)
    .filter((o) => o !== '' && !o.includes('@tapjs/processinfo'))
    .join(' ');
  if (options === '') delete env.NODE_OPTIONS;
  else env.NODE_OPTIONS = options;
  return { ...env, ...extra };
}

/** The node arguments that run the QuorumKV CLI: the built one when fresh, else the sources through tsx. */
export function cliEntry(repoRoot: string): string[] {
  return builtEntryIsFresh(repoRoot) ? [join(repoRoot, 'bin', 'quorumkv.js')] : ['--import', 'tsx', join(repoRoot, 'src', 'server', 'main.ts')];
}
