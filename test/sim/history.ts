import { createHash, type Hash } from 'node:crypto';
import type { NetworkEvent } from '../../src/transport/memory-network.js';

/**
 * Everything that happened in one run, in order: client operations and their
 * outcomes, faults, and (hashed, and printed when verbose) every network
 * send, delivery and drop. Two runs of one seed must give the same hash.
 */
export class History {
  private readonly hash: Hash = createHash('sha256');
  private readonly lines: string[] = [];
  events = 0;
  private closed = false;

  constructor(
    private readonly now: () => number,
    /** Keep lines to print (verbose, or a failure to explain); hashing always happens. */
    private readonly keepLines: boolean,
    private readonly keepNetwork: boolean,
  ) {}

  /** A step the reader cares about: an operation, its outcome, a fault. */
  note(text: string): void {
    if (this.closed) return;
    const line = `${this.now()} ${text}`;
    this.hash.update(line);
    this.hash.update('\n');
    this.events++;
    if (this.keepLines) this.lines.push(line);
  }

  network(e: NetworkEvent): void {
    if (this.closed) return;
    const line = `${e.at} net #${e.seq} ${e.kind} ${e.from}->${e.to} ${e.event}${e.reason ? ` (${e.reason})` : ''}`;
    this.hash.update(line);
    this.hash.update('\n');
    this.events++;
    if (this.keepLines && this.keepNetwork) this.lines.push(line);
  }

  /** Ends the history: what the teardown does is not part of the run. */
  close(): void {
    this.closed = true;
  }

  digest(): string {
    return this.hash.copy().digest('hex');
  }

  /** The kept lines, optionally only the last `tail` of them. */
  text(tail?: number): string {
    const lines = tail === undefined ? this.lines : this.lines.slice(-tail);
    return lines.join('\n');
  }
}
