import type { Ring } from '../ring/ring.js';
import type { MemberState } from '../ring/types.js';

/**
 * What range streaming needs from membership: the ring as this node sees
 * it, who answers, and a way to announce this node's own ring state. SWIM
 * gossip satisfies it structurally; tests drive a fake whose ring they set.
 */
export interface RingControl {
  readonly selfId: string;
  /** The current view: members with state joining, normal or leaving. */
  ring(): Ring;
  isReachable(id: string): boolean;
  /** Gossips this node's own ring state. */
  setSelfState(state: MemberState): void;
  /** Called on any membership or ring change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** A log line from the stream managers (the server passes its logger). */
export type StreamLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export const NO_LOG: StreamLog = () => undefined;
