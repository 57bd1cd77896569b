import type { SeedResult } from './simulate.js';

/**
 * Product bugs the simulation has found and that are not fixed yet. A seed
 * failing with one of these signatures is reported as a todo, not a
 * failure, so the sweep stays useful for everything else; the regression
 * seeds in regressions.test.ts keep each bug visible.
 */
export interface KnownBug {
  readonly name: string;
  readonly reason: string;
  readonly matches: (r: SeedResult) => boolean;
}

export const KNOWN_BUGS: readonly KnownBug[] = [
  {
    name: 'dot reuse after tombstone collection',
    reason:
      'a coordinator takes the next counter of a key from its stored clock; once anti-entropy collected the key\'s tombstones ' +
      'the clock is gone, so the next write of the key gets a dot already issued before, and a context that covered the old ' +
      'dot (held by a client since before the collection) silently supersedes the new write',
    matches: (r) => r.failure?.invariant === 'dot-unique' && r.failure.message.includes('collected'),
  },
];

export function knownBug(r: SeedResult): KnownBug | undefined {
  return KNOWN_BUGS.find((b) => b.matches(r));
}
