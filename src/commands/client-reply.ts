import { OK, error, type Reply } from '../../resp/reply.js';
import { ERR_SYNTAX } from './errors.js';
import type { CommandContext, Session } from './types.js';

/**
 * CLIENT REPLY ON|OFF|SKIP: a client that sends commands without reading
 * replies. OFF silences every reply until ON, SKIP the next command's; the
 * OFF and SKIP commands themselves answer nothing, ON answers OK. As in
 * Redis 7, what Pub/Sub pushes (messages, and the confirmations of
 * (P|S)SUBSCRIBE and their UNSUBSCRIBEs) still reaches the client.
 */

/** A reply that writes nothing. */
export const NO_REPLY: Reply = { t: 'raw', v: Buffer.alloc(0) };

const PUSHING_COMMANDS = new Set(['subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe']);

export function clientReply(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const mode = args[0]!.toString('latin1').toLowerCase();
  if (mode === 'on') {
    delete ctx.session.replies;
    return OK;
  }
  if (mode !== 'off' && mode !== 'skip') return error(ERR_SYNTAX);
  // SKIP under OFF changes nothing: everything is already silenced.
  if (mode === 'off' || ctx.session.replies !== 'off') ctx.session.replies = mode;
  return NO_REPLY;
}

/**
 * Whether the reply of the command starting now (fullName as `client|reply`)
 * is dropped; a SKIP is used up by the command it silences.
 */
export function replySilenced(session: Session, fullName: string): boolean {
  const mode = session.replies;
  if (mode === undefined || fullName === 'client|reply') return false;
  if (mode === 'skip') delete session.replies;
  return !PUSHING_COMMANDS.has(fullName);
}
