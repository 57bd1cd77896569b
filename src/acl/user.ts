/**
 * One ACL user as Redis 7 keeps it (the root selector only): on/off,
 * passwords as SHA-256 hex, which commands it may run, key patterns with
 * read/write flags (~, %R~, %W~), channel patterns (&). Plain data; the
 * rules that change it are in setuser.ts, the checks in check.ts.
 */

export interface KeyPattern {
  readonly pattern: string;
  /** The pattern's bytes, matched against keys. */
  readonly bytes: Buffer;
  read: boolean;
  write: boolean;
}

export class AclUser {
  enabled = false;
  nopass = false;
  /** 'sanitize-payload', 'skip-sanitize-payload' or neither (kept only to describe the user as Redis does). */
  sanitize: '' | 'sanitize-payload' | 'skip-sanitize-payload' = '';
  /** SHA-256 hex digests, in the order they were added. */
  passwords: string[] = [];
  /** Set by +@all / allcommands, cleared by -@all: described as '+@all ...' (Redis's "future commands" bit). */
  allCommandsBase = false;
  /** Full names ('get', 'client|id') this user may run. */
  allowed = new Set<string>();
  allKeys = false;
  keys: KeyPattern[] = [];
  allChannels = false;
  channels: string[] = [];
  /** Every command, key and channel allowed: the connection skips the check (kept by refresh()). */
  unrestricted = false;

  constructor(readonly name: string) {}

  clone(name = this.name): AclUser {
    const u = new AclUser(name);
    u.enabled = this.enabled;
    u.nopass = this.nopass;
    u.sanitize = this.sanitize;
    u.passwords = [...this.passwords];
    u.allCommandsBase = this.allCommandsBase;
    u.allowed = new Set(this.allowed);
    u.allKeys = this.allKeys;
    u.keys = this.keys.map((k) => ({ ...k }));
    u.allChannels = this.allChannels;
    u.channels = [...this.channels];
    u.unrestricted = this.unrestricted;
    return u;
  }

  /** Recomputes the fast flag after a change; `commandCount` is the number of commands in the catalog. */
  refresh(commandCount: number): void {
    this.unrestricted = this.allowed.size >= commandCount && this.allKeys && this.allChannels;
  }
}
