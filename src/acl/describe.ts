import { ACL_CATEGORIES, type AclCatalog } from './catalog.js';
import type { AclUser } from './user.js';

/**
 * A user as ACL LIST, ACL GETUSER and the ACL file show it, in Redis 7.0's
 * shape. The command rules are rebuilt from the allowed set the way
 * Redis 7.0 does (ACLDescribeSelectorCommandRules): start from +@all or
 * -@all, add the categories that fit best, then single commands. Commands
 * come in table order where Redis uses its hash order.
 */

export function describeFlags(user: AclUser): string[] {
  const flags = [user.enabled ? 'on' : 'off'];
  if (user.nopass) flags.push('nopass');
  if (user.sanitize) flags.push(user.sanitize);
  return flags;
}

export function describeKeys(user: AclUser): string {
  if (user.allKeys) return '~*';
  return user.keys.map((k) => (k.read && k.write ? `~${k.pattern}` : `%${k.read ? 'R' : 'W'}~${k.pattern}`)).join(' ');
}

export function describeChannels(user: AclUser): string {
  if (user.allChannels) return '&*';
  return user.channels.map((c) => `&${c}`).join(' ');
}

/** The ACL LIST line and the ACL file line: `user <name> <rules>`. */
export function describeUser(user: AclUser, catalog: AclCatalog): string {
  const parts = ['user', user.name, ...describeFlags(user), ...user.passwords.map((h) => `#${h}`)];
  const keys = describeKeys(user);
  if (keys) parts.push(keys);
  parts.push(user.allChannels ? '&*' : ['resetchannels', describeChannels(user)].filter(Boolean).join(' '));
  parts.push(describeCommands(user, catalog));
  return parts.join(' ');
}

function countCategory(bits: ReadonlySet<string>, category: string, catalog: AclCatalog): { on: number; off: number } {
  let on = 0;
  let off = 0;
  for (const c of catalog.all()) {
    if (!c.categories.includes(category)) continue;
    if (bits.has(c.fullName)) on++;
    else off++;
  }
  return { on, off };
}

function setCategory(bits: Set<string>, category: string, allow: boolean, catalog: AclCatalog): void {
  for (const c of catalog.all()) {
    if (!c.categories.includes(category)) continue;
    setWithSubs(bits, c.fullName, allow, catalog);
  }
}

function setWithSubs(bits: Set<string>, fullName: string, allow: boolean, catalog: AclCatalog): void {
  const cmd = catalog.lookup(fullName);
  for (const n of [fullName, ...(cmd?.subcommands ?? [])]) {
    if (allow) bits.add(n);
    else bits.delete(n);
  }
}

export function describeCommands(user: AclUser, catalog: AclCatalog): string {
  const additive = !user.allCommandsBase;
  const rules = [additive ? '-@all' : '+@all'];
  const fake = new Set<string>(additive ? [] : catalog.all().map((c) => c.fullName));
  const temp = new Set(user.allowed);
  const applied = new Set<string>();
  for (;;) {
    let best: string | null = null;
    let minDiff = Infinity;
    let maxSame = 0;
    for (const category of ACL_CATEGORIES) {
      if (applied.has(category)) continue;
      const { on, off } = countCategory(temp, category, catalog);
      const diff = additive ? off : on;
      const same = additive ? on : off;
      if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
        best = category;
        minDiff = diff;
        maxSame = same;
      }
    }
    if (best === null) break;
    setCategory(fake, best, additive, catalog);
    setCategory(temp, best, !additive, catalog);
    rules.push(`${additive ? '+' : '-'}@${best}`);
    applied.add(best);
  }
  // Then the single commands that still differ, each command before its subcommands.
  for (const c of catalog.all()) {
    const mine = user.allowed.has(c.fullName);
    if (mine !== fake.has(c.fullName)) {
      rules.push(`${mine ? '+' : '-'}${c.fullName}`);
      setWithSubs(fake, c.fullName, mine, catalog);
    }
  }
  return rules.join(' ');
}
