import { globMatch } from '../core/glob.js';
import type { AclUser } from './user.js';

/**
 * Whether a user may run a command on its keys and channels, as Redis 7.0
 * decides it (ACLSelectorCheckCmd): the command first, then every key
 * against the patterns whose flags cover what the command does to it,
 * then every channel. Callers skip this for `user.unrestricted`.
 */

export interface KeyAccess {
  readonly key: Buffer;
  /** The command reads the key's value (Redis's ACCESS flag). */
  readonly read: boolean;
  /** The command inserts, updates or deletes (INSERT/UPDATE/DELETE). */
  readonly write: boolean;
}

export interface ChannelAccess {
  readonly channel: Buffer;
  /** PSUBSCRIBE's patterns must be allowed literally, not matched. */
  readonly isPattern: boolean;
}

export interface Denial {
  readonly reason: 'command' | 'key' | 'channel';
  /** The command's full name, the key or the channel refused. */
  readonly object: string;
}

export const NOPERM_COMMAND = (fullName: string): string => `NOPERM this user has no permissions to run the '${fullName}' command`;
export const NOPERM_KEY = 'NOPERM this user has no permissions to access one of the keys used as arguments';
export const NOPERM_CHANNEL = 'NOPERM this user has no permissions to access one of the channels used as arguments';

/** The client's error reply for a denial. */
export function denialText(d: Denial): string {
  return d.reason === 'command' ? NOPERM_COMMAND(d.object) : d.reason === 'key' ? NOPERM_KEY : NOPERM_CHANNEL;
}

/** EXEC's wording when the ACL changed after a command was queued (Redis 7.0's multi.c). */
export function execDenialText(d: Denial): string {
  const why =
    d.reason === 'command'
      ? 'no permission to execute the command or subcommand'
      : d.reason === 'key'
        ? 'no permission to touch the specified keys'
        : 'no permission to access one of the channels used as arguments';
  return `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${why}`;
}

/** ACL DRYRUN's wording of a denial. */
export function dryRunText(d: Denial): string {
  if (d.reason === 'command') return `This user has no permissions to run the '${d.object}' command`;
  return `This user has no permissions to access the '${d.object}' ${d.reason}`;
}

export function checkCommand(user: AclUser, fullName: string): Denial | null {
  return user.allowed.has(fullName) ? null : { reason: 'command', object: fullName };
}

export function checkKeys(user: AclUser, keys: readonly KeyAccess[]): Denial | null {
  if (user.allKeys) return null;
  for (const k of keys) {
    const ok = user.keys.some((p) => (p.read || !k.read) && (p.write || !k.write) && globMatch(p.bytes, k.key));
    if (!ok) return { reason: 'key', object: k.key.toString() };
  }
  return null;
}

export function checkChannels(user: AclUser, channels: readonly ChannelAccess[]): Denial | null {
  if (user.allChannels) return null;
  for (const c of channels) {
    const text = c.channel.toString();
    const ok = user.channels.some((p) => (c.isPattern ? p === text : globMatch(Buffer.from(p), c.channel)));
    if (!ok) return { reason: 'channel', object: text };
  }
  return null;
}

export function checkAccess(user: AclUser, fullName: string, keys: readonly KeyAccess[], channels: readonly ChannelAccess[]): Denial | null {
  return checkCommand(user, fullName) ?? checkKeys(user, keys) ?? checkChannels(user, channels);
}
