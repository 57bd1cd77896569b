import type { Ring } from '../ring/ring.js';
import type { MemberState } from '../ring/types.js';
import { formatAddress, type PeerAddress } from '../transport/types.js';

/**
 * Whether a node can serve requests that need the ring, and if not, why.
 * In a fresh cluster each node starts with a ring of itself and learns the
 * others over seconds; a request served meanwhile would go to replicas
 * chosen from a ring the other nodes do not share. So a node serves once:
 *
 * - its membership has started, and it is not joining (still streaming the
 *   ranges it will own);
 * - its ring has as many members owning ranges as the cluster is expected
 *   to have, up to N: min(N, the distinct --seeds, plus this node when it is
 *   not one of them). A node configured alone (no seeds) is ready at once.
 *
 * Once ready it stays ready for the life of the process: a member that dies
 * keeps its ranges, and routing around it is the quorum's business, not a
 * reason to stop serving. A node restarted with a stored member table knows
 * the ring at once, so it is ready as soon as its membership starts.
 */
export interface ReadinessInput {
  /** The ring as this node sees it, or null before its membership started. */
  readonly ring: Ring | null;
  readonly selfState: MemberState | null;
}

export class Readiness {
  private ready = false;
  private readonly expected: number;

  /** `ownSeed`: whether this node is one of its own seeds (see seed-role.ts). */
  /** `config`: the node's --seeds and --n (only these: the assembly builds it without the options module). */
  constructor(config: { readonly seeds: readonly PeerAddress[]; readonly n: number }, ownSeed: boolean) {
    const seeds = new Set(config.seeds.map(formatAddress)).size;
    const members = seeds === 0 ? 1 : ownSeed ? seeds : seeds + 1;
    this.expected = Math.max(1, Math.min(config.n, members));
  }

  /** Members owning ranges the ring must hold before this node serves. */
  get membersNeeded(): number {
    return this.expected;
  }

  /** Why this node cannot serve yet, or null once it can (and from then on). */
  notReady(input: ReadinessInput): string | null {
    if (this.ready) return null;
    if (!input.ring || input.selfState === null) return 'this node has not started its membership yet';
    if (input.selfState === 'joining') return 'this node is joining (streaming the ranges it will own)';
    const owners = input.ring.owners.length;
    if (owners < this.expected) return `${owners} of ${this.expected} members known so far`;
    this.ready = true;
    return null;
  }
}
