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
    name: 'dot reuse after a crash',
    reason:
      'a coordinator sends a new version to the other replicas before its own put is durable; if the process crashes first, ' +
      'the restarted node issues the same dot again for another write (the counter comes from the local copy, which lost it)',
    matches: (r) => r.failure?.invariant === 'dot-unique',
  },
];

export function knownBug(r: SeedResult): KnownBug | undefined {
  return KNOWN_BUGS.find((b) => b.matches(r));
}
