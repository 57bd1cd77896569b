import { timingSafeEqual } from 'node:crypto';
import type { AclCatalog } from './catalog.js';
import { describeUser } from './describe.js';
import { AclRuleError, applyRule, hashPassword } from './setuser.js';
import { AclUser } from './user.js';

/**
 * The node's ACL users. Every change bumps `generation` (connections
 * re-resolve their user when it moved) and, for changes made here, the
 * cluster-wide `version` (the newest wins; see acl-sync.ts). The state
 * travels and is saved as ACL file text, the format ACL SAVE writes.
 */

export interface AclVersion {
  /** Wall-clock ms of the change. */
  readonly at: number;
  /** The node that made it: breaks ties between equal times. */
  readonly node: string;
}

export function newerThan(a: AclVersion, b: AclVersion): boolean {
  return a.at !== b.at ? a.at > b.at : a.node > b.node;
}

export const DEFAULT_USER = 'default';
export const ERR_BAD_USERNAME = "ERR Usernames can't contain spaces or null characters";

/** Why SETUSER refused, in Redis's words: "Error in ACL SETUSER modifier '<op>': <reason>". */
export class SetUserError extends Error {
  constructor(readonly op: string, readonly reason: string) {
    super(`ERR Error in ACL SETUSER modifier '${op}': ${reason}`);
  }
}

export class AclStore {
  private users = new Map<string, AclUser>();
  /** Bumped on every change: sessions holding an older one look their user up again. */
  generation = 0;
  version: AclVersion;
  private readonly listeners: Array<(origin: 'local' | 'remote') => void> = [];

  constructor(
    readonly catalog: AclCatalog,
    private readonly node: string,
    private readonly now: () => number,
  ) {
    this.users.set(DEFAULT_USER, this.freshDefault());
    this.version = { at: 0, node };
  }

  /** Called after every change (local: made on this node; remote: adopted from a peer). */
  onChange(listener: (origin: 'local' | 'remote') => void): void {
    this.listeners.push(listener);
  }

  get(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  get defaultUser(): AclUser {
    return this.users.get(DEFAULT_USER)!;
  }

  /** Names in ACL USERS / ACL LIST order (byte order, as Redis's radix tree). */
  names(): string[] {
    return [...this.users.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  list(): string[] {
    return this.names().map((n) => describeUser(this.users.get(n)!, this.catalog));
  }

  /** The user if the name and password match an enabled user, else null. */
  authenticate(name: string, password: Buffer): AclUser | null {
    const user = this.users.get(name);
    if (!user || !user.enabled) return null;
    if (user.nopass) return user;
    const given = Buffer.from(hashPassword(password), 'hex');
    let ok = false;
    for (const h of user.passwords) if (timingSafeEqual(Buffer.from(h, 'hex'), given)) ok = true;
    return ok ? user : null;
  }

  /** ACL SETUSER: every rule or none (throws SetUserError naming the first bad one). */
  setUser(name: string, rules: readonly string[]): void {
    if (/[\s\0]/.test(name)) throw new Error(ERR_BAD_USERNAME);
    const existing = this.users.get(name);
    const user = existing ? existing.clone() : new AclUser(name);
    if (!existing) user.sanitize = '';
    for (const rule of rules) {
      try {
        applyRule(user, rule, this.catalog);
      } catch (e) {
        if (e instanceof AclRuleError) throw new SetUserError(rule, e.message);
        throw e;
      }
    }
    user.refresh(this.catalog.all().length);
    this.users.set(name, user);
    this.changed();
  }

  /** ACL DELUSER: how many of the names existed (the default user cannot go; the caller refuses it first). */
  deleteUsers(names: readonly string[]): number {
    let n = 0;
    for (const name of names) if (name !== DEFAULT_USER && this.users.delete(name)) n++;
    if (n > 0) this.changed();
    return n;
  }

  /** requirepass: the default user gets this password (resetpass >pass), or nopass when null, as Redis does. */
  setRequirePass(password: string | null, local = true): void {
    const user = this.defaultUser.clone();
    applyRule(user, 'resetpass', this.catalog);
    applyRule(user, password === null ? 'nopass' : `>${password}`, this.catalog);
    user.refresh(this.catalog.all().length);
    this.users.set(DEFAULT_USER, user);
    if (local) this.changed();
    else this.generation++;
  }

  /** The whole state as ACL file text, one `user` line each. */
  toText(): string {
    return this.list().map((l) => `${l}\n`).join('');
  }

  /**
   * Replaces every user with the text's (ACL LOAD, --aclfile, a peer's
   * state); nothing changes when any line is wrong. `source` names the
   * file in the error texts. A text without a default user keeps the default user as it is.
   */
  loadText(text: string, source: string, origin: 'local' | 'remote' | 'start', version?: AclVersion): void {
    const users = parseAclText(text, source, this.catalog);
    if (!users.has(DEFAULT_USER)) users.set(DEFAULT_USER, this.defaultUser.clone());
    this.users = users;
    if (origin === 'remote' || origin === 'start') {
      this.generation++;
      if (version) this.version = version;
      if (origin === 'remote') for (const l of this.listeners) l('remote');
      return;
    }
    this.changed();
  }

  private changed(): void {
    this.generation++;
    const at = Math.max(this.now(), this.version.at + 1);
    this.version = { at, node: this.node };
    for (const l of this.listeners) l('local');
  }

  private freshDefault(): AclUser {
    const user = new AclUser(DEFAULT_USER);
    for (const r of ['on', 'nopass', '~*', '&*', '+@all']) applyRule(user, r, this.catalog);
    user.refresh(this.catalog.all().length);
    return user;
  }
}

/** Parses ACL file text with Redis 7.0's error texts, all errors of the file in one message. */
export function parseAclText(text: string, source: string, catalog: AclCatalog): Map<string, AclUser> {
  const users = new Map<string, AclUser>();
  const errors: string[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const n = i + 1;
    if (line === '' || line.startsWith('#')) return;
    const words = line.split(/\s+/);
    if (words[0] !== 'user' || words.length < 2) {
      errors.push(`${source}:${n} should start with user keyword followed by the username. `);
      return;
    }
    const name = words[1]!;
    if (users.has(name)) {
      errors.push(`WARNING: Duplicate user '${name}' found on line ${n}. `);
      return;
    }
    const user = new AclUser(name);
    for (const rule of words.slice(2)) {
      try {
        applyRule(user, rule, catalog);
      } catch (e) {
        if (!(e instanceof AclRuleError)) throw e;
        errors.push(e.message === 'Syntax error' ? `${source}:${n}: Syntax error. ` : `${source}:${n}: Error in applying operation '${rule}': ${e.message}. `);
        return;
      }
    }
    user.refresh(catalog.all().length);
    users.set(name, user);
  });
  if (errors.length > 0) {
    throw new Error(`ERR ${errors.join('')}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`);
  }
  return users;
}
