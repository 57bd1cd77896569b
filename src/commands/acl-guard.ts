import { AclLog } from '../acl/acl-log.js';
import { AclStore, DEFAULT_USER } from '../acl/acl-store.js';
import { catalogOf, type AclCatalog, type AclCommand } from '../acl/catalog.js';
import { checkAccess, denialText, type Denial } from '../acl/check.js';
import type { AclUser } from '../acl/user.js';
import { channelAccesses, keyAccesses } from './acl-access.js';
import { clientLine } from './client.js';
import type { AclApi, CommandContext, CommandSpec, CommandTable, ServerApi, Session } from './types.js';

/**
 * Where commands meet the ACL: the catalog built from the command table,
 * the user a session runs as, the permission check with its ACL LOG entry.
 * The connection calls `authorize` only for users that are not
 * unrestricted, so the default user with every permission costs one
 * generation compare and one flag test per command.
 */

const catalogs = new WeakMap<CommandTable, AclCatalog>();

export function aclCatalog(table: CommandTable): AclCatalog {
  let catalog = catalogs.get(table);
  if (!catalog) {
    const entries: AclCommand[] = [];
    for (const spec of table.all()) {
      const subs = (spec.subcommands ?? []).map((s) => `${spec.name}|${s.name}`);
      entries.push({ fullName: spec.name, categories: spec.categories, subcommands: subs });
      for (const s of spec.subcommands ?? []) entries.push({ fullName: `${spec.name}|${s.name}`, categories: s.categories, subcommands: [] });
    }
    catalog = catalogOf(entries);
    catalogs.set(table, catalog);
  }
  return catalog;
}

const fallbacks = new WeakMap<ServerApi, AclApi>();

/** The node's ACL; where none is wired (command tests), a default user kept in step with requirePass. */
export function aclOf(ctx: CommandContext): AclApi {
  if (ctx.server.acl) return ctx.server.acl;
  let acl = fallbacks.get(ctx.server);
  if (!acl) {
    const store = new AclStore(aclCatalog(ctx.table), ctx.server.nodeId, () => ctx.clock.now());
    store.setRequirePass(ctx.server.requirePass(), false);
    const refuse = (): Promise<void> => Promise.reject(new Error('ERR no ACL file on this node'));
    acl = { store, log: new AclLog(), file: null, save: refuse, load: refuse };
    fallbacks.set(ctx.server, acl);
  }
  return acl;
}

/** The user the session runs as, looked up again after any ACL change; null once that user was deleted. */
export function sessionUser(acl: AclApi, session: Session): AclUser | null {
  if (session.aclGeneration === acl.store.generation && session.aclUser) return session.aclUser;
  const user = acl.store.get(session.user ?? DEFAULT_USER) ?? null;
  if (user) {
    session.aclUser = user;
    session.aclGeneration = acl.store.generation;
  }
  return user;
}

/** Checks a request against the session's user; logs and returns the denial, or null when allowed. */
export function authorize(
  ctx: CommandContext,
  user: AclUser,
  spec: CommandSpec,
  fullName: string,
  argv: readonly Buffer[],
  context: 'toplevel' | 'multi' | 'lua',
): Denial | null {
  if (user.unrestricted) return null;
  const denial = checkAccess(user, fullName, keyAccesses(spec, fullName, argv), channelAccesses(fullName, argv));
  if (denial) logDenial(ctx, denial.reason, denial.object, user.name, context);
  return denial;
}

export function logDenial(ctx: CommandContext, reason: 'command' | 'key' | 'channel' | 'auth', object: string, username: string, context: 'toplevel' | 'multi' | 'lua'): void {
  const now = ctx.clock.now();
  const clientInfo = clientLine({ session: ctx.session, idleSeconds: 0, queryBufferBytes: 0, outputBufferBytes: 0 }, now);
  aclOf(ctx).log.add({ reason, context, object, username, at: now, clientInfo });
}

/** Why a request may not run: the error text, and whether the connection closes (its user was deleted). */
export interface RequestRefusal {
  readonly text: string;
  readonly closeConnection: boolean;
}

/**
 * The ACL check of one request, made by the connection before it runs or
 * queues it: null when the session's user may run it. An unrestricted user
 * (the default user with every permission) costs a generation compare and a
 * flag test. A session whose user was deleted is closed, as Redis closes them.
 */
export function requestRefusal(
  acl: AclApi,
  ctx: CommandContext,
  session: Session,
  spec: CommandSpec,
  fullName: string,
  argv: readonly Buffer[],
  context: 'toplevel' | 'multi',
): RequestRefusal | null {
  const user = sessionUser(acl, session);
  if (!user) return { text: 'ERR connection closing', closeConnection: true };
  if (user.unrestricted || spec.flags.includes('no_auth')) return null;
  const denial = authorize(ctx, user, spec, fullName, argv, context);
  return denial ? { text: denialText(denial), closeConnection: false } : null;
}
