import type { Ring } from '../../src/ring/ring.js';
import type { World } from './world.js';

/** What an operator started and the world waits to see finished. */
type Change = { readonly kind: 'join' | 'leave' | 'remove'; readonly id: string; issuedIn?: number };

const PLURAL = { join: 'joins', leave: 'leaves', remove: 'removals' } as const;

/** How long the end of a run waits for joins and leaves under way to finish. */
const SETTLE_MS = 30_000;

/**
 * Operator-driven ring changes in a cluster-profile world, one at a time,
 * through the same entry points a server offers: a new node started
 * 'joining' (it streams its ranges in, then turns normal), QKV.LEAVE on a
 * member (it streams its ranges out, announces 'left' and stops), and
 * QKV.REMOVE of a dead member through a live one (the others rebuild its
 * ranges). A crashed leaving node is told to leave again once restarted,
 * and a leave that failed (a disk error) is issued again, as an operator
 * would.
 */
export class MembershipChanges {
  private readonly open: Change[] = [];

  constructor(private readonly world: World) {}

  /** Whether a join, leave or removal is under way. */
  get busy(): boolean {
    return this.open.length > 0;
  }

  /** Whether `id` is joining or leaving (destructive faults leave such nodes alone). */
  inTransition(id: string): boolean {
    return this.open.some((c) => c.id === id && c.kind !== 'remove');
  }

  /** Starts a new node that joins the ring. */
  join(): string {
    const node = this.world.addNode();
    this.world.count('joins');
    this.open.push({ kind: 'join', id: node.id });
    void node.start();
    return node.id;
  }

  /** QKV.LEAVE on `id` (up and normal). */
  leave(id: string): void {
    this.world.count('leaves');
    const change: Change = { kind: 'leave', id };
    this.open.push(change);
    this.issueLeave(change);
  }

  /** `id` (down) is declared gone for good with its disk; QKV.REMOVE is sent through a live member until one accepts it. */
  remove(id: string): void {
    this.world.count('removals');
    this.world.retire(id);
    this.world.oracle.observeDiskLoss(id, -Infinity);
    this.open.push({ kind: 'remove', id });
    this.step();
  }

  /** Moves every change under way one step: finished ones are closed, a restarted leaving node is told again, removals retried. */
  step(): void {
    for (const change of [...this.open]) {
      if (this.advance(change)) {
        this.open.splice(this.open.indexOf(change), 1);
        this.world.history.note(`${change.kind} of ${change.id} finished`);
        this.world.count(`${PLURAL[change.kind]} finished`);
      }
    }
  }

  /** Waits (in simulated time, with every node up) until the changes under way have finished; false if they did not. */
  async settle(): Promise<boolean> {
    const deadline = this.world.clock.now() + SETTLE_MS;
    for (;;) {
      this.step();
      if (!this.busy) return true;
      if (this.world.clock.now() >= deadline) return false;
      await this.world.idle(50);
    }
  }

  /** Describes what is still under way (for a failure report). */
  pending(): string {
    return this.open.map((c) => `${c.kind} of ${c.id}`).join(', ');
  }

  private advance(change: Change): boolean {
    const world = this.world;
    if (change.kind === 'join') {
      const node = world.nodes.find((n) => n.id === change.id);
      if (!node) return true;
      return node.assembled()?.membership()?.self.state === 'normal';
    }
    if (change.kind === 'leave') {
      if (!world.nodes.some((n) => n.id === change.id)) return true;
      this.issueLeave(change);
      return false;
    }
    // A removal is done once every live member's ring is without it.
    const live = world.nodes.filter((n) => n.up);
    if (live.every((n) => !ringOf(world, n.id)?.member(change.id))) return true;
    for (const node of live) {
      try {
        node.assembled()?.view.remove?.(change.id);
        return false;
      } catch {
        // Still reachable in that member's view (not yet declared dead), or already gone from it: try another.
      }
    }
    return false;
  }

  /** Starts the leave on the running incarnation of the node, and again once one failed (a disk error). */
  private issueLeave(change: Change): void {
    const node = this.world.nodes.find((n) => n.id === change.id);
    const assembled = node?.assembled();
    if (!node || !assembled || (change.issuedIn === node.incarnation && assembled.streaming.leaveUnderWay)) return;
    try {
      void assembled.view.leave?.();
      change.issuedIn = node.incarnation;
      this.world.history.note(`${change.id} leaves the cluster (incarnation ${node.incarnation})`);
    } catch {
      // Refused for now (its view does not show it normal yet): asked again at the next step.
    }
  }
}

function ringOf(world: World, id: string): Ring | undefined {
  return world.node(id).assembled()?.members.ring();
}
