import { NULL_ARRAY, OK, array, error, type Reply } from '../../resp/reply.js';
import { clocksEqual } from '../versioning/clock.js';
import type { VersionVector } from '../versioning/types.js';
import { ERR_DISCARD_WITHOUT_MULTI, ERR_EXEC_WITHOUT_MULTI, ERR_EXECABORT, ERR_MULTI_NESTED, ERR_WATCH_IN_MULTI } from './errors.js';
import { defineCommand } from './table.js';
import { aclOf, authorize, sessionUser } from './acl-guard.js';
import { execDenialText } from '../acl/check.js';
import type { CommandContext, CommandSpec, Session, TransactionState } from './types.js';

/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH. Between MULTI and EXEC the
 * connection queues each command (`+QUEUED`) instead of running it
 * (connection.ts asks `queuesInTransaction`); a command refused while
 * queued (unknown, wrong arity) makes EXEC answer EXECABORT. EXEC runs the
 * queued commands in order, one after another, and answers their replies;
 * one failing does not stop the others, as in Redis.
 *
 * WATCH records each key's version (its causal clock, read at the
 * configured R, so a change through another node counts); EXEC reads them
 * again and answers a null array if any changed. The check and the writes
 * are separate steps: another client's write between them is not detected,
 * and the queued commands are not isolated from other clients' commands
 * (see README, "How QuorumKV differs").
 */

export function transactionOf(session: Session): TransactionState {
  return (session.transaction ??= { multi: null, watched: new Map() });
}

/** Commands that run even inside MULTI (the rest are queued). */
const CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'unwatch', 'quit', 'reset']);

/** Whether a command named `name` is queued rather than run on this session now. */
export function queuesInTransaction(session: Session, name: string): boolean {
  return session.transaction?.multi != null && !CONTROL.has(name);
}

/** A command refused while queued: the transaction will be discarded at EXEC. */
export function refuseQueued(session: Session): void {
  const multi = session.transaction?.multi;
  if (multi) multi.failed = true;
}

export const QUEUED: Reply = { t: 'raw', v: Buffer.from('+QUEUED\r\n') };

async function clockOf(ctx: CommandContext, key: Buffer): Promise<VersionVector> {
  return (await ctx.kv.read(key))?.clock ?? {};
}

async function exec(ctx: CommandContext): Promise<Reply> {
  const tx = transactionOf(ctx.session);
  const multi = tx.multi;
  if (!multi) return error(ERR_EXEC_WITHOUT_MULTI);
  tx.multi = null;
  const watched = [...tx.watched.values()];
  tx.watched.clear();
  if (multi.failed) return error(ERR_EXECABORT);
  for (const w of watched) {
    if (!clocksEqual(await clockOf(ctx, w.key), w.clock)) return NULL_ARRAY;
  }
  const replies: Reply[] = [];
  const acl = aclOf(ctx);
  for (const { spec, args, fullName, argv } of multi.commands) {
    // Permissions are checked again as the commands run: the ACL may have changed since they were queued.
    const user = sessionUser(acl, ctx.session);
    const denial = user ? authorize(ctx, user, spec, fullName, argv, 'multi') : { reason: 'command' as const, object: fullName };
    if (denial) {
      replies.push(error(execDenialText(denial)));
      continue;
    }
    try {
      replies.push(await spec.handler(ctx, args));
    } catch (e) {
      const err = e as { toReplyText?: () => string; message?: string };
      replies.push(error(typeof err.toReplyText === 'function' ? err.toReplyText() : `ERR ${err.message ?? String(e)}`));
    }
  }
  return array(replies);
}

export const transactionCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'multi',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    categories: ['fast', 'transaction'],
    summary: 'Starts a transaction.',
    group: 'transactions',
    handler: (ctx) => {
      const tx = transactionOf(ctx.session);
      if (tx.multi) return error(ERR_MULTI_NESTED);
      tx.multi = { commands: [], failed: false };
      return OK;
    },
  }),
  defineCommand({
    name: 'exec',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
    categories: ['slow', 'transaction'],
    summary: 'Executes all commands in a transaction.',
    group: 'transactions',
    handler: exec,
  }),
  defineCommand({
    name: 'discard',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    categories: ['fast', 'transaction'],
    summary: 'Discards a transaction.',
    group: 'transactions',
    handler: (ctx) => {
      const tx = transactionOf(ctx.session);
      if (!tx.multi) return error(ERR_DISCARD_WITHOUT_MULTI);
      tx.multi = null;
      tx.watched.clear();
      return OK;
    },
  }),
  defineCommand({
    name: 'watch',
    arity: -2,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    categories: ['fast', 'transaction'],
    summary: 'Monitors changes to keys to determine the execution of a transaction.',
    group: 'transactions',
    // Keyless in the table on purpose: it runs as a barrier, after every earlier command of the connection.
    handler: async (ctx, args) => {
      const tx = transactionOf(ctx.session);
      if (tx.multi) return error(ERR_WATCH_IN_MULTI);
      for (const key of args) {
        const id = key.toString('latin1');
        if (!tx.watched.has(id)) tx.watched.set(id, { key, clock: await clockOf(ctx, key) });
      }
      return OK;
    },
  }),
  defineCommand({
    name: 'unwatch',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    categories: ['fast', 'transaction'],
    summary: 'Forgets about watched keys of a transaction.',
    group: 'transactions',
    handler: (ctx) => {
      transactionOf(ctx.session).watched.clear();
      return OK;
    },
  }),
];
