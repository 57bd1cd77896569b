import type { ChannelAccess, KeyAccess } from '../acl/check.js';
import { commandKeys } from './table.js';
import type { CommandSpec } from './types.js';

/**
 * What a request does to each of its keys and which channels it names, for
 * the ACL check. Key access follows Redis 7's key specs: ACCESS (the value
 * is read) needs a read pattern (~ or %R~); INSERT, UPDATE or DELETE need a
 * write pattern (~ or %W~); a key that is only looked at (EXISTS, TYPE,
 * STRLEN) needs any matching pattern. Specs are per key position: the first
 * for the first key, the last for every key after (RENAME, SMOVE, *STORE).
 */

type Access = '' | 'r' | 'w' | 'rw';

/** Redis 7.0's key-spec flags reduced to read/write, for commands that differ from readonly→r, write→rw. */
const SPECS: Record<string, readonly Access[]> = {
  append: ['w'], del: ['w'], unlink: ['w'], exists: [''], expire: ['w'], expireat: ['w'], pexpire: ['w'], pexpireat: ['w'],
  persist: ['w'], hdel: ['w'], hexists: [''], hlen: [''], hmset: ['w'], hset: ['w'], hsetnx: ['w'], hstrlen: [''],
  mset: ['w'], msetnx: ['w'], psetex: ['w'], setex: ['w'], setnx: ['w'], setrange: ['w'], sadd: ['w'], srem: ['w'],
  scard: [''], sismember: [''], strlen: [''], type: [''], rename: ['rw', 'w'], smove: ['rw', 'w'],
  sdiffstore: ['w', 'r'], sinterstore: ['w', 'r'], sunionstore: ['w', 'r'],
  // QuorumKV's own: blind writes, and a key named only to find its replicas.
  qset: ['w'], qdel: ['w'], 'qkv.replicas': [''],
};

/** Shard channel commands name channels where the table has keys. */
const SHARD_CHANNELS = new Set(['spublish', 'ssubscribe', 'sunsubscribe']);

function accessOf(spec: CommandSpec, fullName: string, argv: readonly Buffer[], index: number): Access {
  // SET is write-only unless GET reads the old value (Redis's variable flags).
  if (fullName === 'set') return argv.slice(3).some((a) => a.length === 3 && a.toString('latin1').toUpperCase() === 'GET') ? 'rw' : 'w';
  const specs = SPECS[fullName];
  if (specs) return specs[Math.min(index, specs.length - 1)]!;
  return spec.flags.includes('readonly') ? 'r' : 'rw';
}

export function keyAccesses(spec: CommandSpec, fullName: string, argv: readonly Buffer[]): KeyAccess[] {
  if (SHARD_CHANNELS.has(fullName)) return [];
  let keys: readonly Buffer[] | null;
  if (fullName === 'watch') keys = argv.slice(1);
  else if (spec.group === 'scripting' && argv.length >= 3 && /^eval/.test(fullName)) keys = scriptKeys(argv);
  else keys = commandKeys(spec, argv);
  if (!keys) return [];
  return keys.map((key, i) => {
    const a = fullName === 'watch' ? '' : /^eval(sha)?$/.test(fullName) ? 'rw' : accessOf(spec, fullName, argv, i);
    return { key, read: a.includes('r'), write: a.includes('w') };
  });
}

/** EVAL's declared keys (numkeys at argv[2]); none when numkeys is not a number (the command fails on its own). */
function scriptKeys(argv: readonly Buffer[]): Buffer[] {
  const n = Number(argv[2]!.toString('latin1'));
  if (!Number.isInteger(n) || n < 0 || n > argv.length - 3) return [];
  return argv.slice(3, 3 + n);
}

export function channelAccesses(fullName: string, argv: readonly Buffer[]): ChannelAccess[] {
  switch (fullName) {
    case 'publish':
    case 'spublish':
      return argv.length > 1 ? [{ channel: argv[1]!, isPattern: false }] : [];
    case 'subscribe':
    case 'ssubscribe':
      return argv.slice(1).map((channel) => ({ channel, isPattern: false }));
    case 'psubscribe':
      return argv.slice(1).map((channel) => ({ channel, isPattern: true }));
    default:
      return [];
  }
}
