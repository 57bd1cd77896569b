/**
 * What the ACL code knows of the command table: names and categories only,
 * so src/acl stays independent of the command layer (commands hands it a
 * catalog built from its table).
 */

/** Redis 7's ACL categories, in the order ACL CAT lists them. */
export const ACL_CATEGORIES: readonly string[] = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream',
  'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
];

export interface AclCommand {
  /** 'get', or 'client|id' for a subcommand. */
  readonly fullName: string;
  readonly categories: readonly string[];
  /** Full names of this command's subcommands (empty for plain commands and subcommands). */
  readonly subcommands: readonly string[];
}

export interface AclCatalog {
  lookup(fullName: string): AclCommand | undefined;
  /** Every command, each followed by its subcommands, in table order. */
  all(): readonly AclCommand[];
}

/** A catalog over a list of commands (subcommands included as their own entries). */
export function catalogOf(commands: readonly AclCommand[]): AclCatalog {
  const byName = new Map(commands.map((c) => [c.fullName, c]));
  return { lookup: (n) => byName.get(n), all: () => commands };
}

export function isCategory(name: string): boolean {
  return ACL_CATEGORIES.includes(name);
}
