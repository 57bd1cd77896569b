import { globMatch } from '../core/glob.js';

/** What a subscriber is handed: a message on a channel it subscribed to, on a shard channel, or matching one of its patterns. */
export type Delivery =
  | { readonly kind: 'message'; readonly channel: Buffer; readonly message: Buffer }
  | { readonly kind: 'smessage'; readonly channel: Buffer; readonly message: Buffer }
  | { readonly kind: 'pmessage'; readonly pattern: Buffer; readonly channel: Buffer; readonly message: Buffer };

/** One subscribed client: what it is subscribed to, kept by the registry, and where its messages go. */
export class Subscriber {
  /** Keyed by the name's latin1 text (binary-safe), in subscription order. */
  readonly channels = new Map<string, Buffer>();
  readonly patterns = new Map<string, Buffer>();
  readonly shardChannels = new Map<string, Buffer>();

  constructor(readonly deliver: (d: Delivery) => void) {}

  /** Channels and patterns together: the count SUBSCRIBE and friends answer with (Redis 7 counts shard channels apart). */
  get count(): number {
    return this.channels.size + this.patterns.size;
  }

  /** Whether the client is in subscribed mode (any kind of subscription). */
  get subscribed(): boolean {
    return this.count + this.shardChannels.size > 0;
  }
}

type Kind = 'channels' | 'patterns' | 'shardChannels';

/**
 * Who is subscribed to what on this node: channel, pattern and shard
 * channel subscriptions, each a map from name to its subscribers (in
 * subscription order, so delivery order is stable). Publishing looks a
 * channel up directly and tries every pattern, as Redis does.
 */
export class PubSubRegistry {
  private readonly byKind: Record<Kind, Map<string, { readonly name: Buffer; readonly subs: Set<Subscriber> }>> = {
    channels: new Map(),
    patterns: new Map(),
    shardChannels: new Map(),
  };

  /** Adds one subscription; false when the subscriber already had it. */
  add(kind: Kind, sub: Subscriber, name: Buffer): boolean {
    const id = name.toString('latin1');
    if (sub[kind].has(id)) return false;
    sub[kind].set(id, name);
    const table = this.byKind[kind];
    let entry = table.get(id);
    if (!entry) {
      entry = { name, subs: new Set() };
      table.set(id, entry);
    }
    entry.subs.add(sub);
    return true;
  }

  /** Removes one subscription; false when the subscriber did not have it. */
  remove(kind: Kind, sub: Subscriber, name: Buffer): boolean {
    const id = name.toString('latin1');
    if (!sub[kind].delete(id)) return false;
    const table = this.byKind[kind];
    const entry = table.get(id)!;
    entry.subs.delete(sub);
    if (entry.subs.size === 0) table.delete(id);
    return true;
  }

  /** Drops every subscription of a client that goes away (disconnect, RESET). */
  removeAll(sub: Subscriber): void {
    for (const kind of ['channels', 'patterns', 'shardChannels'] as const) {
      for (const name of [...sub[kind].values()]) this.remove(kind, sub, name);
    }
  }

  /** Delivers a message to this node's subscribers of the channel and of matching patterns; returns how many got it. */
  publish(channel: Buffer, message: Buffer): number {
    let receivers = 0;
    const entry = this.byKind.channels.get(channel.toString('latin1'));
    // Copies: a subscriber may unsubscribe while its message is delivered.
    if (entry) {
      const subs = [...entry.subs];
      for (const sub of subs) sub.deliver({ kind: 'message', channel, message });
      receivers += subs.length;
    }
    for (const p of [...this.byKind.patterns.values()]) {
      if (!globMatch(p.name, channel)) continue;
      const subs = [...p.subs];
      for (const sub of subs) sub.deliver({ kind: 'pmessage', pattern: p.name, channel, message });
      receivers += subs.length;
    }
    return receivers;
  }

  /** Delivers a shard message (SPUBLISH) to this node's shard-channel subscribers. */
  publishShard(channel: Buffer, message: Buffer): number {
    const entry = this.byKind.shardChannels.get(channel.toString('latin1'));
    if (!entry) return 0;
    const subs = [...entry.subs];
    for (const sub of subs) sub.deliver({ kind: 'smessage', channel, message });
    return subs.length;
  }

  /** Channels (or shard channels) with at least one subscriber, optionally only those matching a glob. */
  activeChannels(kind: 'channels' | 'shardChannels', pattern?: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (const e of this.byKind[kind].values()) if (pattern === undefined || globMatch(pattern, e.name)) out.push(e.name);
    return out;
  }

  /** Subscribers of one channel (not counting pattern subscribers), as PUBSUB NUMSUB counts them. */
  subscriberCount(kind: 'channels' | 'shardChannels', channel: Buffer): number {
    return this.byKind[kind].get(channel.toString('latin1'))?.subs.size ?? 0;
  }

  /** Distinct patterns subscribed to (PUBSUB NUMPAT, INFO pubsub_patterns). */
  get patternCount(): number {
    return this.byKind.patterns.size;
  }

  /** Distinct channels subscribed to (INFO pubsub_channels). */
  get channelCount(): number {
    return this.byKind.channels.size;
  }

  get shardChannelCount(): number {
    return this.byKind.shardChannels.size;
  }
}
