import type { Clock, TimerHandle } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import { newerThan, type AclStore, type AclVersion } from './acl-store.js';

/**
 * Carries ACL changes to every node: the whole ACL state (its ACL file
 * text) with a version (wall-clock ms of the change, node id as the
 * tie-break); the newest version wins everywhere (last writer wins).
 *
 * - A change made on a node (ACL SETUSER, DELUSER, LOAD, CONFIG SET
 *   requirepass) is pushed at once to every live member ('l.state').
 * - Every `intervalMs` each node sends its version alone to every live
 *   member ('l.version'); a peer that is behind asks for the state, a peer
 *   that is ahead answers with its own. So a node that was down, partitioned
 *   or joined later catches up within one interval.
 * - A state that does not parse is refused and the receiver keeps its own.
 *
 * Two changes on different nodes within the same interval are not merged:
 * the later one (by wall clock) replaces the earlier one whole.
 */

export const ACL_STATE = 'l.state';
export const ACL_VERSION = 'l.version';

interface StateMsg {
  readonly type: typeof ACL_STATE;
  readonly at: number;
  readonly node: string;
  readonly text: string;
}

interface VersionMsg {
  readonly type: typeof ACL_VERSION;
  readonly at: number;
  readonly node: string;
}

/** A reply: the responder's state when it is newer, `want` when it is older, else nothing. */
interface SyncReply {
  readonly want?: boolean;
  readonly state?: StateMsg;
}

export interface AclSyncOptions {
  readonly request: (peer: string, msg: unknown) => Promise<unknown>;
  /** Live members other than this node. */
  readonly peers: () => readonly string[];
  readonly clock: Clock;
  readonly intervalMs?: number;
  readonly log?: (level: 'debug' | 'warn', msg: string, fields: Record<string, unknown>) => void;
}

export class AclSync {
  private store: AclStore | null = null;
  private timer: TimerHandle | null = null;

  constructor(private readonly opts: AclSyncOptions) {}

  handles(msg: unknown): boolean {
    const type = typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
    return type === ACL_STATE || type === ACL_VERSION;
  }

  /** Starts pushing and comparing versions for this store (the command layer's). */
  attach(store: AclStore): void {
    this.store = store;
    store.onChange((origin) => {
      if (origin === 'local') this.pushToAll();
    });
    this.timer = this.opts.clock.setInterval(() => this.compareWithAll(), this.opts.intervalMs ?? 5_000);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  async handleRequest(from: string, msg: unknown): Promise<SyncReply> {
    const store = this.store;
    if (!store) return {};
    const m = msg as Partial<StateMsg>;
    if (typeof m.at !== 'number' || typeof m.node !== 'string') throw new QkvError('ERR', 'bad request: ACL sync needs at and node');
    const theirs: AclVersion = { at: m.at, node: m.node };
    if (newerThan(theirs, store.version)) {
      if (m.type !== ACL_STATE) return { want: true };
      if (typeof m.text !== 'string') throw new QkvError('ERR', 'bad request: l.state needs text');
      this.adopt(store, m as StateMsg, from);
      return {};
    }
    return newerThan(store.version, theirs) ? { state: this.stateMsg(store) } : {};
  }

  private stateMsg(store: AclStore): StateMsg {
    return { type: ACL_STATE, at: store.version.at, node: store.version.node, text: store.toText() };
  }

  private adopt(store: AclStore, msg: StateMsg, from: string): void {
    try {
      store.loadText(msg.text, 'peer state', 'remote', { at: msg.at, node: msg.node });
      this.opts.log?.('debug', 'ACL state adopted from a peer', { from, at: msg.at, node: msg.node });
    } catch (e) {
      this.opts.log?.('warn', 'ACL state from a peer refused', { from, error: e instanceof Error ? e.message : String(e) });
    }
  }

  private pushToAll(): void {
    const store = this.store;
    if (!store) return;
    const msg = this.stateMsg(store);
    for (const peer of this.opts.peers()) void this.exchange(peer, msg);
  }

  private compareWithAll(): void {
    const store = this.store;
    if (!store) return;
    const msg: VersionMsg = { type: ACL_VERSION, at: store.version.at, node: store.version.node };
    for (const peer of this.opts.peers()) void this.exchange(peer, msg);
  }

  private async exchange(peer: string, msg: StateMsg | VersionMsg): Promise<void> {
    const store = this.store!;
    try {
      const reply = (await this.opts.request(peer, msg)) as SyncReply | undefined;
      if (reply?.state && typeof reply.state.text === 'string' && newerThan(reply.state, store.version)) this.adopt(store, reply.state, peer);
      else if (reply?.want) await this.opts.request(peer, this.stateMsg(store));
    } catch (e) {
      this.opts.log?.('debug', 'ACL sync with a peer failed', { peer, error: e instanceof Error ? e.message : String(e) });
    }
  }
}
