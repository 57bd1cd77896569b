import { error, type Reply } from '../../resp/reply.js';
import { isQkvError } from '../core/errors.js';
import type { ScriptHost, ScriptRun } from '../scripting/index.js';
import { resolveCommand } from './table.js';
import type { CommandContext } from './types.js';

/** Redis 7's texts for a command a script may not run. */
export const ERR_SCRIPT_UNKNOWN_COMMAND = 'ERR Unknown Redis command called from script';
export const ERR_SCRIPT_WRONG_ARITY = 'ERR Wrong number of args calling Redis command from script';
export const ERR_SCRIPT_NOSCRIPT = 'ERR This Redis command is not allowed from script';
export const ERR_SCRIPT_READONLY = 'ERR Write commands are not allowed from read-only scripts.';

/**
 * What redis.call runs: the same command table and handlers clients use,
 * with the calling client's context. Refusals and failures come back as
 * error replies (redis.call raises them, redis.pcall returns them).
 */
export function scriptHost(ctx: CommandContext, readOnly: boolean, run: () => ScriptRun | null, log: ScriptHost['log']): ScriptHost {
  return {
    clientProtocol: ctx.session.protocol,
    log,
    call(argv: Buffer[]): Reply | Promise<Reply> {
      const resolved = resolveCommand(ctx.table, argv);
      if (!('spec' in resolved)) {
        if (!ctx.table.lookup(argv[0]!.toString('latin1').toLowerCase())) return error(ERR_SCRIPT_UNKNOWN_COMMAND);
        return resolved.t === 'error' && resolved.v.startsWith('ERR wrong number') ? error(ERR_SCRIPT_WRONG_ARITY) : resolved;
      }
      const { spec, args } = resolved;
      if (spec.flags.includes('noscript')) return error(ERR_SCRIPT_NOSCRIPT);
      if (spec.flags.includes('write')) {
        if (readOnly) return error(ERR_SCRIPT_READONLY);
        const current = run();
        if (current) current.wrote = true;
      }
      try {
        const reply = spec.handler(ctx, args);
        return reply instanceof Promise ? reply.catch(asReply) : reply;
      } catch (e) {
        return asReply(e);
      }
    },
  };
}

function asReply(e: unknown): Reply {
  if (isQkvError(e)) return error(e.toReplyText());
  return error(`ERR ${e instanceof Error ? e.message : String(e)}`);
}
