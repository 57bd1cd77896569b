import { QkvError } from '../core/errors.js';

/**
 * Actors: who a dot names. A dot must never be issued twice for two different
 * writes: a replica that already holds (actor, counter) takes a second write
 * under the same dot for one it has seen and drops it, while still
 * acknowledging it. A node id alone cannot promise that: a node whose disk was
 * replaced, whose unsynced WAL tail was lost, whose records were collected,
 * or whose data dir came back from an old backup no longer knows which
 * counters it issued.
 *
 * So each start of a node gets a fresh actor, `<node id>~<epoch>` (epoch in
 * base 36): the epoch is the start time in ms, raised past the epoch of the
 * previous start when the data dir remembers one. And an actor's counter is
 * one sequence for all keys, kept in memory only (a new start is a new actor),
 * so a key whose record was collected cannot get a counter issued before.
 * Node ids cannot contain '~' (core/ids.ts), and a plain node id is the actor
 * of epoch 0: what versions written before actors existed carry.
 *
 * What a new actor per start costs is one more clock entry for each key the
 * new actor writes; retired actors are pruned from clocks (pruneRetiredActors).
 */
export const ACTOR_SEPARATOR = '~';

export function actorId(nodeId: string, epoch: number): string {
  return `${nodeId}${ACTOR_SEPARATOR}${epoch.toString(36)}`;
}

/** The node an actor belongs to (the actor itself when it is a plain node id). */
export function nodeOfActor(actor: string): string {
  const i = actor.lastIndexOf(ACTOR_SEPARATOR);
  return i < 0 ? actor : actor.slice(0, i);
}

/** The actor's epoch: 0 for a plain node id (and for a malformed one, as a forged context may carry). */
export function actorEpoch(actor: string): number {
  const i = actor.lastIndexOf(ACTOR_SEPARATOR);
  if (i < 0) return 0;
  const text = actor.slice(i + 1);
  return /^[0-9a-z]{1,10}$/.test(text) ? parseInt(text, 36) : 0;
}

/** The epoch for a node starting now, given the epoch of its previous start (0 when none is known). */
export function nextActorEpoch(now: number, previous: number): number {
  return Math.max(Math.floor(now), Math.floor(previous) + 1, 1);
}

/**
 * Issues the dots of one actor. The counter rises across all keys; `floor`
 * is the highest counter of this actor the key's clock or context already
 * holds, so a dot is always above them too.
 */
export class DotIssuer {
  private last = 0;

  constructor(readonly actor: string) {}

  /** The highest counter issued so far. */
  get issued(): number {
    return this.last;
  }

  next(floor = 0): number {
    const counter = Math.max(this.last, floor) + 1;
    // Past 2^53 - 1, +1 no longer counts and the dot would be issued twice. Only a forged context gets here.
    if (!Number.isSafeInteger(counter)) throw new QkvError('ERR', `the clock counter of ${this.actor} cannot advance`);
    this.last = counter;
    return counter;
  }
}
