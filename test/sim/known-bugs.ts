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
    matches: (r) => r.failure?.invariant === 'dot-unique' && !r.failure.message.includes('collected'),
  },
  {
    name: 'dot reuse after tombstone collection',
    reason:
      'a coordinator takes the next counter of a key from its stored clock; once anti-entropy collected the key\'s tombstones ' +
      'the clock is gone, so the next write of the key gets a dot already issued before, and a context that covered the old ' +
      'dot (held by a client since before the collection) silently supersedes the new write',
    matches: (r) => r.failure?.invariant === 'dot-unique' && r.failure.message.includes('collected'),
  },
  {
    name: 'hint-only write lost',
    reason:
      'with the sloppy quorum (PW 0 by default) a write can be acknowledged by stand-ins\' hints alone when the coordinating ' +
      'replica\'s own put fails; hints older than the tombstone grace are dropped, so if the owners stay unreachable that long ' +
      'no replica ever holds the write as data and anti-entropy has nothing to repair from',
    matches: (r) => r.failure?.invariant === 'no-lost-write' && r.failure.message.includes('held only as hints'),
  },
];

export function knownBug(r: SeedResult): KnownBug | undefined {
  return KNOWN_BUGS.find((b) => b.matches(r));
}
