import { QkvError } from '../core/errors.js';

/**
 * The peer message of Pub/Sub: messages published on one node, handed to
 * each other node to deliver to its own subscribers.
 *
 * - p.publish  a batch of messages, in the order they were published on the sending node
 */
export const PUBLISH_BATCH = 'p.publish';

/** One message: a channel message (PUBLISH) or a shard channel message (SPUBLISH). */
export interface PublishedMessage {
  readonly shard: boolean;
  readonly channel: Buffer;
  readonly message: Buffer;
}

export interface PublishBatch {
  readonly type: typeof PUBLISH_BATCH;
  /** [shard ? 1 : 0, channel, message], compact on the wire. */
  readonly msgs: Array<[0 | 1, Buffer, Buffer]>;
}

/** Most messages one batch may carry; a peer sending more is refused. */
export const MAX_BATCH_MESSAGES = 4096;

export function isPubSubMessage(msg: unknown): boolean {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === PUBLISH_BATCH;
}

export function encodeBatch(msgs: readonly PublishedMessage[]): PublishBatch {
  return { type: PUBLISH_BATCH, msgs: msgs.map((m) => [m.shard ? 1 : 0, m.channel, m.message]) };
}

/** Validates a batch from a peer; throws QkvError ERR 'bad request: ...' on anything malformed. */
export function parseBatch(msg: unknown): PublishedMessage[] {
  const msgs = (msg as { msgs?: unknown }).msgs;
  if (!Array.isArray(msgs) || msgs.length > MAX_BATCH_MESSAGES) throw bad(`p.publish needs a list of at most ${MAX_BATCH_MESSAGES} messages`);
  return msgs.map((m: unknown) => {
    if (!Array.isArray(m) || m.length !== 3 || (m[0] !== 0 && m[0] !== 1) || !Buffer.isBuffer(m[1]) || !Buffer.isBuffer(m[2])) {
      throw bad('p.publish messages are [0|1, channel, message]');
    }
    return { shard: m[0] === 1, channel: m[1], message: m[2] };
  });
}

function bad(why: string): QkvError {
  return new QkvError('ERR', `bad request: ${why}`);
}
