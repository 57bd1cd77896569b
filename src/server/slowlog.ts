import type { SlowLogEntry, SlowLogView } from '../commands/types.js';

/** Redis's bounds on what one entry keeps (slowlog.h). */
export const SLOWLOG_MAX_ARGS = 32;
export const SLOWLOG_MAX_ARG_BYTES = 128;

/** Commands never logged: their arguments hold passwords, or their own commands are logged (Redis skips these too). */
const NOT_LOGGED = new Set(['auth', 'hello', 'exec']);
/** CONFIG SET values kept out of the log, shown as Redis shows them. */
const SENSITIVE_PARAMS = new Set(['requirepass', 'masterauth', 'cluster-secret']);
const REDACTED = Buffer.from('(redacted)');

export interface SlowLogSettings {
  /** Microseconds from which a command is logged; negative: none. */
  slowerThan(): number;
  maxLen(): number;
}

/**
 * The slow-command log: commands that took at least slowlog-log-slower-than
 * microseconds, newest first, at most slowlog-max-len of them, with their
 * arguments shortened as Redis shortens them. Checking a command costs one
 * comparison; only slow ones are copied.
 */
export class SlowLog implements SlowLogView {
  private readonly log: SlowLogEntry[] = [];
  private nextId = 0;

  constructor(private readonly settings: SlowLogSettings) {}

  /** Logs the command (argv as the client sent it, name first) when it was slow enough. */
  consider(name: string, argv: readonly Buffer[], usec: number, clock: { now(): number }, client: { readonly remoteAddress: string; readonly name: string }): void {
    const threshold = this.settings.slowerThan();
    if (threshold < 0 || usec < threshold || NOT_LOGGED.has(name)) return;
    const max = this.settings.maxLen();
    const entry = { id: this.nextId++, time: Math.floor(clock.now() / 1000), usec: Math.round(usec), args: shorten(redactSecrets(name, argv)), addr: client.remoteAddress, clientName: client.name };
    this.log.unshift(entry);
    if (this.log.length > max) this.log.length = max;
  }

  entries(count: number): readonly SlowLogEntry[] {
    return count < 0 ? [...this.log] : this.log.slice(0, count);
  }

  get length(): number {
    return this.log.length;
  }

  reset(): void {
    this.log.length = 0;
  }
}

/** The command's arguments as Redis keeps them: at most 32, each at most 128 bytes plus a note; copies, not the parser's buffers. */
function shorten(all: readonly Buffer[]): Buffer[] {
  const kept = all.length > SLOWLOG_MAX_ARGS ? all.slice(0, SLOWLOG_MAX_ARGS - 1) : all;
  const out = kept.map((a) =>
    a.length > SLOWLOG_MAX_ARG_BYTES
      ? Buffer.concat([a.subarray(0, SLOWLOG_MAX_ARG_BYTES), Buffer.from(`... (${a.length - SLOWLOG_MAX_ARG_BYTES} more bytes)`)])
      : Buffer.from(a),
  );
  if (all.length > SLOWLOG_MAX_ARGS) out.push(Buffer.from(`... (${all.length - SLOWLOG_MAX_ARGS + 1} more arguments)`));
  return out;
}

/** CONFIG SET requirepass <password> is logged as CONFIG SET requirepass (redacted), as Redis 7 does. */
function redactSecrets(name: string, argv: readonly Buffer[]): readonly Buffer[] {
  // ACL SETUSER's rules may carry passwords: logged as ACL SETUSER <user> (redacted)..., as Redis 7 does.
  if (name === 'acl|setuser') return argv.map((a, i) => (i >= 3 ? REDACTED : a));
  if (name.split('|')[0] !== 'config' || argv[1]?.toString('latin1').toLowerCase() !== 'set') return argv;
  return argv.map((a, i) => (i >= 3 && i % 2 === 1 && SENSITIVE_PARAMS.has(argv[i - 1]!.toString('latin1').toLowerCase()) ? REDACTED : a));
}
