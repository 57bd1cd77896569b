import { error, type Reply } from '../../resp/reply.js';

export const ERR_BUSY = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';

interface Waiter {
  readonly exclusive: boolean;
  readonly session: number;
  readonly allowBusy: boolean;
  start(): void;
  refuse(): void;
}

/**
 * Makes a script atomic on its node, as Redis's single thread does: a script
 * runs only when no other client's command is running, and commands that
 * arrive meanwhile wait for it (first come, first served). Once a script has
 * run longer than busy-reply-threshold, waiting and new commands are answered
 * BUSY instead, except those flagged allow_busy (SCRIPT KILL, ...).
 * A session's own commands never wait for its script (EVAL inside EXEC).
 */
export class ScriptGate {
  private running = 0;
  private readonly perSession = new Map<number, number>();
  private script: { session: number; startedAt: number } | null = null;
  private readonly queue: Waiter[] = [];
  private busyTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly thresholdMs: () => number,
    private readonly monotonic: () => number,
  ) {}

  /** A script has run past the threshold. */
  get busy(): boolean {
    return this.script !== null && this.monotonic() - this.script.startedAt > this.thresholdMs();
  }

  /** Runs an ordinary command: now, or once the script in the way has finished (BUSY when it is long). */
  admit(session: number, allowBusy: boolean, fn: () => Reply | Promise<Reply>): Reply | Promise<Reply> {
    if (allowBusy) return fn();
    if (this.script === null && this.queue.length === 0) return this.hold(session, fn);
    if (this.busy) return error(ERR_BUSY);
    return new Promise<Reply>((resolve) => {
      this.queue.push({
        exclusive: false,
        session,
        allowBusy,
        start: () => resolve(this.hold(session, fn)),
        refuse: () => resolve(error(ERR_BUSY)),
      });
    });
  }

  /** Runs a script alone: once every other client's running command has finished; BUSY when another script is long. */
  async exclusive(session: number, fn: () => Promise<Reply>): Promise<Reply> {
    if (this.busy) return error(ERR_BUSY);
    if (this.queue.length === 0 && this.canRunScript(session)) {
      this.begin(session);
    } else {
      const admitted = await new Promise<boolean>((resolve) => {
        const start = (): void => {
          this.begin(session);
          resolve(true);
        };
        this.queue.push({ exclusive: true, session, allowBusy: false, start, refuse: () => resolve(false) });
      });
      if (!admitted) return error(ERR_BUSY);
    }
    try {
      return await fn();
    } finally {
      clearTimeout(this.busyTimer!);
      this.busyTimer = null;
      this.script = null;
      this.pump();
    }
  }

  /** Marks the script as running (synchronously, so nothing admitted after it slips in before it starts). */
  private begin(session: number): void {
    this.script = { session, startedAt: this.monotonic() };
    this.busyTimer = setTimeout(() => this.refuseWaiters(), this.thresholdMs() + 1);
    this.busyTimer.unref();
  }

  private canRunScript(session: number): boolean {
    return this.script === null && this.running - (this.perSession.get(session) ?? 0) === 0;
  }

  private hold(session: number, fn: () => Reply | Promise<Reply>): Reply | Promise<Reply> {
    this.running++;
    this.perSession.set(session, (this.perSession.get(session) ?? 0) + 1);
    let result: Reply | Promise<Reply>;
    try {
      result = fn();
    } catch (e) {
      this.release(session);
      throw e;
    }
    if (!(result instanceof Promise)) {
      this.release(session);
      return result;
    }
    return result.finally(() => this.release(session));
  }

  private release(session: number): void {
    this.running--;
    const n = this.perSession.get(session)! - 1;
    if (n === 0) this.perSession.delete(session);
    else this.perSession.set(session, n);
    if (this.queue.length > 0) this.pump();
  }

  /** Starts waiters from the head of the queue while they may run. */
  private pump(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.exclusive ? !this.canRunScript(next.session) : this.script !== null) return;
      this.queue.shift();
      next.start();
      if (next.exclusive) return;
    }
  }

  /** The script passed the threshold: whoever waits for it is answered BUSY now, as in Redis. */
  private refuseWaiters(): void {
    const waiting = this.queue.splice(0);
    for (const w of waiting) w.refuse();
  }
}
