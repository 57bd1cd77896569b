import type { RpcTransport } from '../transport/types.js';
import { MAX_BATCH_MESSAGES, encodeBatch, type PublishedMessage } from './messages.js';

export interface FanoutOptions {
  readonly transport: Pick<RpcTransport, 'request'>;
  /** The peers that should hear this node's messages now (live members but this node). */
  readonly peers: () => readonly string[];
  /** Bytes of messages waiting for one peer beyond which new ones for it are dropped. */
  readonly maxQueuedBytes?: number;
  /** Bytes one request carries at most (a single larger message still goes alone). */
  readonly maxBatchBytes?: number;
  readonly onDropped?: (peer: string, messages: number, why: string) => void;
}

interface PeerQueue {
  readonly items: PublishedMessage[];
  bytes: number;
  sending: boolean;
}

const DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
/** What a message costs in a queue besides its bytes. */
const PER_MESSAGE_BYTES = 64;

/**
 * Hands every message published on this node to every other live node.
 * Per peer there is one queue and at most one request in flight, so a peer
 * receives this node's messages in the order they were published (hence in
 * publish order per publisher connection). Delivery is at most once: a
 * batch that fails or times out is not sent again (a retry could deliver a
 * message twice), and a peer that falls too far behind loses the newest
 * messages rather than growing this node's memory, as Redis Pub/Sub drops
 * messages for a subscriber it disconnects.
 */
export class PeerFanout {
  private readonly queues = new Map<string, PeerQueue>();
  private readonly maxQueuedBytes: number;
  private readonly maxBatchBytes: number;
  /** Messages dropped because a peer was too far behind or a batch failed. */
  dropped = 0;

  constructor(private readonly opts: FanoutOptions) {
    this.maxQueuedBytes = opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.maxBatchBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  }

  send(msg: PublishedMessage): void {
    const size = msg.channel.length + msg.message.length + PER_MESSAGE_BYTES;
    for (const peer of this.opts.peers()) {
      let q = this.queues.get(peer);
      if (!q) {
        q = { items: [], bytes: 0, sending: false };
        this.queues.set(peer, q);
      }
      if (q.bytes + size > this.maxQueuedBytes) {
        this.drop(peer, 1, 'queue full');
        continue;
      }
      q.items.push(msg);
      q.bytes += size;
      if (!q.sending) this.pump(peer, q);
    }
  }

  /** Messages waiting for peers, for tests and introspection. */
  queuedMessages(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.items.length;
    return n;
  }

  private pump(peer: string, q: PeerQueue): void {
    if (q.items.length === 0) {
      q.sending = false;
      this.queues.delete(peer);
      return;
    }
    q.sending = true;
    let count = 0;
    let bytes = 0;
    while (count < q.items.length && count < MAX_BATCH_MESSAGES) {
      const m = q.items[count]!;
      const size = m.channel.length + m.message.length + PER_MESSAGE_BYTES;
      if (count > 0 && bytes + size > this.maxBatchBytes) break;
      bytes += size;
      count++;
    }
    const batch = q.items.splice(0, count);
    q.bytes -= bytes;
    this.opts.transport.request(peer, encodeBatch(batch)).then(
      () => this.pump(peer, q),
      (e: unknown) => {
        this.drop(peer, batch.length, e instanceof Error ? e.message : String(e));
        this.pump(peer, q);
      },
    );
  }

  private drop(peer: string, messages: number, why: string): void {
    this.dropped += messages;
    this.opts.onDropped?.(peer, messages, why);
  }
}
