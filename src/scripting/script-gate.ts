import { error, type Reply } from '../../resp/reply.js';

export const ERR_BUSY = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';

/** Keys (latin1 ids) a command or script touches; null: it may touch any key (keyless commands, scripts with no KEYS). */
export type KeyIds = ReadonlySet<string> | null;

interface ScriptHold {
  readonly session: number;
  readonly keys: KeyIds;
  readonly startedAt: number;
  timer: NodeJS.Timeout | null;
}

interface Waiter {
  readonly script: boolean;
  readonly session: number;
  readonly keys: KeyIds;
  start(): void;
  refuse(): void;
}

export function keyIds(keys: readonly Buffer[] | null): KeyIds {
  return keys === null ? null : new Set(keys.map((k) => k.toString('latin1')));
}

function conflict(a: KeyIds, b: KeyIds): boolean {
  if (a === null || b === null) return true;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const k of small) if (large.has(k)) return true;
  return false;
}

/**
 * Makes a script atomic on its node against other clients' commands on its
 * keys, as Redis's single thread does for all keys: a script starts once
 * the commands of other clients already running on its keys have finished,
 * and commands on its keys that arrive meanwhile wait for it (first come,
 * first served). Scripts and commands on other keys go on, so scripts on
 * different keys overlap their waits for the store. A script with no KEYS
 * and a keyless command (EXEC, FLUSHALL, SCAN, ...) count as touching every
 * key. Once a script has run longer than busy-reply-threshold, commands that
 * wait for it and new ones on its keys are answered BUSY instead, except
 * those flagged allow_busy (SCRIPT KILL, ...). A session's own keyless
 * command never holds up its script (EVAL inside EXEC).
 */
export class ScriptGate {
  /** Commands running, per key, and keyless ones (in all and per session). */
  private readonly keyInflight = new Map<string, number>();
  private keyless = 0;
  private readonly keylessBySession = new Map<number, number>();
  private readonly scripts = new Set<ScriptHold>();
  private readonly queue: Waiter[] = [];

  constructor(
    private readonly thresholdMs: () => number,
    private readonly monotonic: () => number,
  ) {}

  /** Some running script has run past the threshold. */
  get busy(): boolean {
    for (const s of this.scripts) if (this.over(s)) return true;
    return false;
  }

  private over(s: ScriptHold): boolean {
    return this.monotonic() - s.startedAt > this.thresholdMs();
  }

  /** Runs an ordinary command: now, or once the scripts on its keys have finished (BUSY when one is long). */
  admit(session: number, allowBusy: boolean, keys: readonly Buffer[] | null, fn: () => Reply | Promise<Reply>): Reply | Promise<Reply> {
    if (allowBusy) return fn();
    const ids = keyIds(keys);
    if (this.scripts.size === 0 && this.queue.length === 0) return this.hold(session, ids, fn);
    if (this.busyFor(ids)) return error(ERR_BUSY);
    if (!this.commandBlocked(ids, this.queue.length)) return this.hold(session, ids, fn);
    return new Promise<Reply>((resolve) => {
      this.queue.push({ script: false, session, keys: ids, start: () => resolve(this.hold(session, ids, fn)), refuse: () => resolve(error(ERR_BUSY)) });
    });
  }

  /** Runs a script alone on its keys; BUSY when a script in its way has run past the threshold. */
  async exclusive(session: number, keys: readonly Buffer[] | null, fn: () => Promise<Reply>): Promise<Reply> {
    const ids = keyIds(keys);
    if (this.busyFor(ids)) return error(ERR_BUSY);
    let hold: ScriptHold;
    if (this.scriptCanStart(session, ids, this.queue.length)) {
      hold = this.begin(session, ids);
    } else {
      const started = await new Promise<ScriptHold | null>((resolve) => {
        this.queue.push({ script: true, session, keys: ids, start: () => resolve(this.begin(session, ids)), refuse: () => resolve(null) });
      });
      if (!started) return error(ERR_BUSY);
      hold = started;
    }
    try {
      return await fn();
    } finally {
      clearTimeout(hold.timer!);
      this.scripts.delete(hold);
      this.pump();
    }
  }

  private busyFor(ids: KeyIds): boolean {
    for (const s of this.scripts) if (this.over(s) && conflict(s.keys, ids)) return true;
    return false;
  }

  /** A command waits for a running script on its keys, or one queued before it (queue[0..upto)). */
  private commandBlocked(ids: KeyIds, upto: number): boolean {
    for (const s of this.scripts) if (conflict(s.keys, ids)) return true;
    for (let i = 0; i < upto; i++) {
      const w = this.queue[i]!;
      if (w.script && conflict(w.keys, ids)) return true;
    }
    return false;
  }

  private scriptCanStart(session: number, ids: KeyIds, upto: number): boolean {
    if (this.commandBlocked(ids, upto)) return false;
    if (this.keyless - (this.keylessBySession.get(session) ?? 0) > 0) return false;
    if (ids === null) return this.keyInflight.size === 0;
    for (const k of ids) if (this.keyInflight.has(k)) return false;
    return true;
  }

  /** Marks the script as running (synchronously, so nothing admitted after it slips in before it starts). */
  private begin(session: number, keys: KeyIds): ScriptHold {
    const hold: ScriptHold = { session, keys, startedAt: this.monotonic(), timer: null };
    hold.timer = setTimeout(() => this.refuseWaiters(hold), this.thresholdMs() + 1);
    hold.timer.unref();
    this.scripts.add(hold);
    return hold;
  }

  private hold(session: number, ids: KeyIds, fn: () => Reply | Promise<Reply>): Reply | Promise<Reply> {
    this.enter(session, ids);
    let result: Reply | Promise<Reply>;
    try {
      result = fn();
    } catch (e) {
      this.leave(session, ids);
      throw e;
    }
    if (!(result instanceof Promise)) {
      this.leave(session, ids);
      return result;
    }
    return result.finally(() => this.leave(session, ids));
  }

  private enter(session: number, ids: KeyIds): void {
    if (ids === null) {
      this.keyless++;
      this.keylessBySession.set(session, (this.keylessBySession.get(session) ?? 0) + 1);
      return;
    }
    for (const k of ids) this.keyInflight.set(k, (this.keyInflight.get(k) ?? 0) + 1);
  }

  private leave(session: number, ids: KeyIds): void {
    if (ids === null) {
      this.keyless--;
      const n = this.keylessBySession.get(session)! - 1;
      if (n === 0) this.keylessBySession.delete(session);
      else this.keylessBySession.set(session, n);
    } else {
      for (const k of ids) {
        const n = this.keyInflight.get(k)! - 1;
        if (n === 0) this.keyInflight.delete(k);
        else this.keyInflight.set(k, n);
      }
    }
    if (this.queue.length > 0) this.pump();
  }

  /** Starts every waiter that may run now, in queue order. */
  private pump(): void {
    for (let i = 0; i < this.queue.length; ) {
      const w = this.queue[i]!;
      const can = w.script ? this.scriptCanStart(w.session, w.keys, i) : !this.commandBlocked(w.keys, i);
      if (!can) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      w.start();
    }
  }

  /** A script passed the threshold: whoever waits for it is answered BUSY now, as in Redis. */
  private refuseWaiters(hold: ScriptHold): void {
    if (!this.scripts.has(hold)) return;
    const refused = this.queue.filter((w) => conflict(w.keys, hold.keys));
    for (const w of refused) this.queue.splice(this.queue.indexOf(w), 1);
    for (const w of refused) w.refuse();
  }
}
