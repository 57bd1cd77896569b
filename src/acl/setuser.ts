import { createHash } from 'node:crypto';
import { isCategory, type AclCatalog } from './catalog.js';
import { AclUser } from './user.js';

/**
 * ACL SETUSER's rules, applied one at a time to a user, with Redis 7's
 * error texts (the part after "Error in ACL SETUSER modifier '<op>': ").
 * Selectors ("(...)") and first-argument rules (+select|0) are not served.
 */

export class AclRuleError extends Error {}

export const RULE_SYNTAX = 'Syntax error';
export const RULE_UNKNOWN = 'Unknown command or category name in ACL';
export const RULE_KEYS_AFTER_ALL =
  "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
export const RULE_CHANNELS_AFTER_ALL =
  "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
export const RULE_BAD_HASH = 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
export const RULE_NO_SUCH_PASSWORD = 'The password you are trying to remove from the user does not exist';
export const RULE_SELECTORS = 'Selectors are not supported by QuorumKV';

/** SHA-256 hex of a password: the only form a password is kept in. */
export function hashPassword(password: string | Buffer): string {
  return createHash('sha256').update(password).digest('hex');
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Applies one rule; throws AclRuleError with Redis's reason. The caller refreshes the user's fast flag. */
export function applyRule(user: AclUser, rule: string, catalog: AclCatalog): void {
  const op = rule.toLowerCase();
  switch (op) {
    case 'on': user.enabled = true; return;
    case 'off': user.enabled = false; return;
    case 'nopass': user.nopass = true; user.passwords = []; return;
    case 'resetpass': user.nopass = false; user.passwords = []; return;
    case 'sanitize-payload': case 'skip-sanitize-payload': user.sanitize = op; return;
    case 'allkeys': case '~*': user.allKeys = true; user.keys = []; return;
    case 'resetkeys': user.allKeys = false; user.keys = []; return;
    case 'allchannels': case '&*': user.allChannels = true; user.channels = []; return;
    case 'resetchannels': user.allChannels = false; user.channels = []; return;
    case 'allcommands': case '+@all': allCommands(user, catalog, true); return;
    case 'nocommands': case '-@all': allCommands(user, catalog, false); return;
    case 'reset':
      for (const r of ['resetpass', 'resetkeys', 'resetchannels', 'off', '-@all']) applyRule(user, r, catalog);
      user.sanitize = 'sanitize-payload';
      return;
  }
  const first = rule[0];
  if (first === '>') return addPassword(user, hashPassword(rule.slice(1)));
  if (first === '<') return removePassword(user, hashPassword(rule.slice(1)));
  if (first === '#') {
    if (!HEX64.test(rule.slice(1))) throw new AclRuleError(RULE_BAD_HASH);
    return addPassword(user, rule.slice(1));
  }
  if (first === '!') {
    if (!HEX64.test(rule.slice(1))) throw new AclRuleError(RULE_BAD_HASH);
    return removePassword(user, rule.slice(1));
  }
  if (first === '~' || first === '%') return addKeyPattern(user, rule);
  if (first === '&') return addChannel(user, rule.slice(1));
  if (first === '+' || first === '-') return changeCommands(user, op.slice(1), first === '+', catalog);
  if (first === '(') throw new AclRuleError(RULE_SELECTORS);
  throw new AclRuleError(RULE_SYNTAX);
}

function addPassword(user: AclUser, hash: string): void {
  user.nopass = false;
  if (!user.passwords.includes(hash)) user.passwords.push(hash);
}

function removePassword(user: AclUser, hash: string): void {
  const i = user.passwords.indexOf(hash);
  if (i < 0) throw new AclRuleError(RULE_NO_SUCH_PASSWORD);
  user.passwords.splice(i, 1);
  user.nopass = false;
}

/** '~pat' (read and write), '%R~pat', '%W~pat', '%RW~pat'; '*' with both flags means allkeys. */
function addKeyPattern(user: AclUser, rule: string): void {
  let read = true;
  let write = true;
  let pattern: string;
  if (rule[0] === '%') {
    const tilde = rule.indexOf('~');
    const flags = tilde < 0 ? '' : rule.slice(1, tilde).toUpperCase();
    if (tilde < 0 || !/^(R|W|RW|WR)$/.test(flags)) throw new AclRuleError(RULE_SYNTAX);
    read = flags.includes('R');
    write = flags.includes('W');
    pattern = rule.slice(tilde + 1);
  } else {
    pattern = rule.slice(1);
  }
  if (user.allKeys) throw new AclRuleError(RULE_KEYS_AFTER_ALL);
  if (pattern === '*' && read && write) {
    user.allKeys = true;
    user.keys = [];
    return;
  }
  const existing = user.keys.find((k) => k.pattern === pattern);
  if (existing) {
    existing.read ||= read;
    existing.write ||= write;
  } else {
    user.keys.push({ pattern, bytes: Buffer.from(pattern), read, write });
  }
}

function addChannel(user: AclUser, pattern: string): void {
  if (user.allChannels) throw new AclRuleError(RULE_CHANNELS_AFTER_ALL);
  if (pattern === '*') {
    user.allChannels = true;
    user.channels = [];
  } else if (!user.channels.includes(pattern)) {
    user.channels.push(pattern);
  }
}

function allCommands(user: AclUser, catalog: AclCatalog, allow: boolean): void {
  user.allCommandsBase = allow;
  user.allowed = allow ? new Set(catalog.all().map((c) => c.fullName)) : new Set();
}

/** Allows or denies a command and its subcommands, as Redis's ACLChangeSelectorPerm. */
export function setCommand(user: AclUser, fullName: string, allow: boolean, catalog: AclCatalog): void {
  const cmd = catalog.lookup(fullName);
  if (!cmd) return;
  for (const name of [cmd.fullName, ...cmd.subcommands]) {
    if (allow) user.allowed.add(name);
    else user.allowed.delete(name);
  }
}

function changeCommands(user: AclUser, name: string, allow: boolean, catalog: AclCatalog): void {
  if (name.startsWith('@')) {
    const category = name.slice(1);
    if (!isCategory(category)) throw new AclRuleError(RULE_UNKNOWN);
    // Every command of the category, a container bringing all its subcommands (Redis does the same).
    for (const cmd of catalog.all()) if (cmd.categories.includes(category)) setCommand(user, cmd.fullName, allow, catalog);
    return;
  }
  const parts = name.split('|');
  const cmd = catalog.lookup(name);
  // 'cmd|sub' must name a subcommand; first-argument rules (+select|0) are not served.
  if (!cmd || parts.length > 2 || name === '' || parts.some((p) => p === '')) throw new AclRuleError(RULE_UNKNOWN);
  setCommand(user, name, allow, catalog);
}
