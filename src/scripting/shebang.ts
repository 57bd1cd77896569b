/**
 * Redis 7's script shebang: a first line `#!lua [flags=f1,f2,...]` declares
 * the engine and the script's flags. A script with a shebang is no longer in
 * EVAL's compatibility mode; of its flags, `no-writes` makes it read-only
 * (its writes are refused as under EVAL_RO). The others (allow-oom,
 * allow-stale, no-cluster, allow-cross-slot-keys) are accepted: they relax
 * refusals Redis makes for memory, replicas and Redis Cluster slots, none of
 * which a QuorumKV node makes of scripts.
 */
export const SCRIPT_FLAGS = ['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'] as const;
export type ScriptFlag = (typeof SCRIPT_FLAGS)[number];

export interface Shebang {
  readonly flags: ReadonlySet<ScriptFlag>;
  /** Where the Lua begins: the newline that ends the shebang, so error line numbers stay those of the whole body. */
  readonly bodyStart: number;
}

const NO_SHEBANG: Shebang = { flags: new Set(), bodyStart: 0 };

/** The script's shebang, or the error Redis answers for a malformed one (without the `ERR ` prefix). */
export function parseShebang(body: Buffer): Shebang | { error: string } {
  if (body.length < 2 || body[0] !== 0x23 || body[1] !== 0x21) return NO_SHEBANG;
  const end = body.indexOf(0x0a);
  if (end < 0) return { error: 'Invalid script shebang' };
  const parts = body.subarray(0, end).toString('latin1').split(/[ \t\r]+/).filter((p) => p !== '');
  if (parts[0] !== '#!lua') return { error: `Unexpected engine in script shebang: ${parts[0] ?? ''}` };
  const flags = new Set<ScriptFlag>();
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return { error: `Unknown lua shebang option: ${part}` };
    const listed = part.slice('flags='.length);
    for (const flag of listed === '' ? [] : listed.split(',')) {
      if (!(SCRIPT_FLAGS as readonly string[]).includes(flag)) return { error: `Unexpected flag in script shebang: ${flag}` };
      flags.add(flag as ScriptFlag);
    }
  }
  return { flags, bodyStart: end };
}
