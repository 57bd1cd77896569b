import type { PeerFanout } from './fanout.js';
import { parseBatch } from './messages.js';
import { PubSubRegistry } from './registry.js';

/**
 * A node's Pub/Sub: its subscribers (the registry) and, in a cluster, the
 * fan-out that hands what is published here to every other node. PUBLISH
 * answers the receivers on this node, as Redis Cluster does; subscribers on
 * other nodes get the message shortly after, at most once.
 */
export class PubSubHub {
  readonly registry = new PubSubRegistry();

  constructor(private readonly fanout: PeerFanout | null = null) {}

  /** PUBLISH: delivers here and sends to the other nodes; returns this node's receivers. */
  publish(channel: Buffer, message: Buffer): number {
    this.fanout?.send({ shard: false, channel, message });
    return this.registry.publish(channel, message);
  }

  /** SPUBLISH: shard channels have no shards to stay in here, so they reach every node too. */
  publishShard(channel: Buffer, message: Buffer): number {
    this.fanout?.send({ shard: true, channel, message });
    return this.registry.publishShard(channel, message);
  }

  /** A batch another node published: delivered to this node's subscribers only (never sent on). */
  handleRequest(_from: string, msg: unknown): { receivers: number } {
    let receivers = 0;
    for (const m of parseBatch(msg)) {
      receivers += m.shard ? this.registry.publishShard(m.channel, m.message) : this.registry.publish(m.channel, m.message);
    }
    return { receivers };
  }
}
