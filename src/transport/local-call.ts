import { QkvError } from '../core/errors.js';
import { copyMessage } from './codec.js';
import { toQkvError } from './envelope.js';
import type { Message, RequestHandler } from './types.js';

/**
 * A request a node sends to itself (it is in its own preference list): the
 * handler runs directly, with the message and reply copied and errors shaped
 * exactly as if they had crossed the network.
 */
export async function localCall(nodeId: string, handler: RequestHandler | null, msg: Message): Promise<Message> {
  if (!handler) throw new QkvError('UNAVAILABLE', `${nodeId} is not serving requests yet`);
  let reply: Message;
  try {
    reply = await handler(nodeId, copyMessage(msg));
  } catch (err) {
    throw toQkvError(err);
  }
  return copyMessage(reply);
}
