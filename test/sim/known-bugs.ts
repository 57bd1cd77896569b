import type { SeedResult } from './simulate.js';

/**
 * Product bugs the simulation has found and that are not fixed yet. A seed
 * failing with one of these signatures is reported as a todo, not a
 * failure, so the sweep stays useful for everything else; a regression seed
 * in regressions.test.ts keeps each bug visible. Empty: every bug found so
 * far is fixed.
 */
export interface KnownBug {
  readonly name: string;
  readonly reason: string;
  readonly matches: (r: SeedResult) => boolean;
}

export const KNOWN_BUGS: readonly KnownBug[] = [];

export function knownBug(r: SeedResult): KnownBug | undefined {
  return KNOWN_BUGS.find((b) => b.matches(r));
}
