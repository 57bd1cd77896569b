import { EXPIRED, GENERIC, HASH, KEYEVENT, KEYSPACE, NEW, SET, STRING } from '../config/keyspace-flags.js';

/** The event classes QuorumKV's commands publish (notify-keyspace-events letters g $ s h x n). */
export type EventClass = 'generic' | 'string' | 'set' | 'hash' | 'expired' | 'new';

const CLASS_BITS: Readonly<Record<EventClass, number>> = { generic: GENERIC, string: STRING, set: SET, hash: HASH, expired: EXPIRED, new: NEW };

const KEYSPACE_PREFIX = Buffer.from('__keyspace@0__:', 'latin1');
const KEYEVENT_PREFIX = '__keyevent@0__:';

/** What the notifier publishes through: the node's Pub/Sub (PubSubHub), which also hands it to every other node. */
export interface Publisher {
  publish(channel: Buffer, message: Buffer): number;
}

/**
 * Keyspace notifications, as Redis's notifyKeyspaceEvent: a command that
 * changed a key calls notify(class, event, key) after its write succeeded,
 * on the node that coordinated it; the message goes out on
 * __keyspace@0__:<key> (message: the event) and __keyevent@0__:<event>
 * (message: the key) as K and E ask. With notify-keyspace-events '' (the
 * default) a call is one bit test: nothing is built.
 */
export class KeyspaceNotifier {
  /** notify-keyspace-events as bits; set at start and by CONFIG SET. */
  flags = 0;

  constructor(private readonly publisher: Publisher) {}

  /** True when anything is published at all (K or E is on): callers skip working out events otherwise. */
  enabled(): boolean {
    return (this.flags & (KEYSPACE | KEYEVENT)) !== 0;
  }

  /** True when an event of this class would be published (for callers that must read to know the event). */
  wants(cls: EventClass): boolean {
    return (this.flags & CLASS_BITS[cls]) !== 0 && (this.flags & (KEYSPACE | KEYEVENT)) !== 0;
  }

  notify(cls: EventClass, event: string, key: Buffer): void {
    const flags = this.flags;
    if ((flags & CLASS_BITS[cls]) === 0) return;
    if (flags & KEYSPACE) this.publisher.publish(Buffer.concat([KEYSPACE_PREFIX, key]), Buffer.from(event, 'latin1'));
    if (flags & KEYEVENT) this.publisher.publish(Buffer.from(KEYEVENT_PREFIX + event, 'latin1'), key);
  }
}
