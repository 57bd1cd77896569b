import { error, type Reply } from '../../resp/reply.js';
import { isQkvError } from '../core/errors.js';
import type { ScriptHost, ScriptRun } from '../scripting/index.js';
import { resolveCommand } from './table.js';
import { aclOf, authorize, sessionUser } from './acl-guard.js';
import { channelAccesses, keyAccesses } from './acl-access.js';
import { checkAccess } from '../acl/check.js';
import type { CommandContext } from './types.js';

/** Redis 7's texts for a command a script may not run. */
export const ERR_SCRIPT_UNKNOWN_COMMAND = 'ERR Unknown Redis command called from script';
export const ERR_SCRIPT_WRONG_ARITY = 'ERR Wrong number of args calling Redis command from script';
export const ERR_SCRIPT_NOSCRIPT = 'ERR This Redis command is not allowed from script';
/** Redis 7.0's texts for a redis.call the script's user may not make. */
const SCRIPT_DENIAL = {
  command: "ERR The user executing the script can't run this command or subcommand",
  key: "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments",
  channel: "ERR The user executing the script can't publish to the channel mentioned in the command",
} as const;
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
    aclCheck(argv: Buffer[]): boolean | string {
      // Looked up by name only (no arity check), as Redis's acl_check_cmd does; nothing is logged.
      const name = argv[0]!.toString('latin1').toLowerCase();
      const top = ctx.table.lookup(name);
      const subName = top?.subcommands && argv.length > 1 ? argv[1]!.toString('latin1').toLowerCase() : undefined;
      const spec = subName !== undefined ? top?.subcommands?.find((s) => s.name === subName) : top;
      if (!spec) return 'ERR Invalid command passed to redis.acl_check_cmd()';
      const fullName = subName !== undefined ? `${name}|${subName}` : name;
      const user = sessionUser(aclOf(ctx), ctx.session);
      if (!user) return false;
      return user.unrestricted || checkAccess(user, fullName, keyAccesses(spec, fullName, argv), channelAccesses(fullName, argv)) === null;
    },
    call(argv: Buffer[]): Reply | Promise<Reply> {
      const resolved = resolveCommand(ctx.table, argv);
      if (!('spec' in resolved)) {
        if (!ctx.table.lookup(argv[0]!.toString('latin1').toLowerCase())) return error(ERR_SCRIPT_UNKNOWN_COMMAND);
        return resolved.t === 'error' && resolved.v.startsWith('ERR wrong number') ? error(ERR_SCRIPT_WRONG_ARITY) : resolved;
      }
      const { spec, args, fullName } = resolved;
      if (spec.flags.includes('noscript')) return error(ERR_SCRIPT_NOSCRIPT);
      const user = sessionUser(aclOf(ctx), ctx.session);
      // A user deleted (or not yet known on this node) may run nothing.
      const denial = user ? authorize(ctx, user, spec, fullName, argv, 'lua') : { reason: 'command' as const, object: fullName };
      if (denial) return error(SCRIPT_DENIAL[denial.reason]);
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
