import type { Socket } from 'node:net';
import { error } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { ProtocolError, ReplyEncoder, RequestParser } from '../../resp/index.js';
import type { ParserLimits } from '../../resp/index.js';
import { isQkvError } from '../core/errors.js';
import { NO_REPLY, replySilenced } from '../commands/client-reply.js';
import { ERR_NOAUTH } from '../commands/errors.js';
import { commandKeys, resolveCommand } from '../commands/table.js';
import { QUEUED, queuesInTransaction, refuseQueued } from '../commands/transactions.js';
import type { AclApi, CommandContext, CommandSpec, Session } from '../commands/types.js';
import type { Logger } from './logger.js';
import type { ClientMemory, MemoryHolder } from './client-memory.js';
import type { SlowLog } from './slowlog.js';
import { approximateReplyBytes } from '../../resp/reply.js';
import { endSubscriptions, subscribedModeRefusal } from '../commands/pubsub.js';
import type { ClassLimit } from '../config/output-limits.js';
import { OutputLimitTracker } from './output-limit.js';
import { aclOf, requestRefusal } from '../commands/acl-guard.js';

/** What a connection needs from the node, so it never reaches further. */
export interface ConnectionDeps {
  /** Builds the per-command context for a session (shared parts are the node's). */
  context(session: Session): CommandContext;
  /** Limits for a new connection's parser, read when it connects (CONFIG SET may change them). */
  parserLimits(): Partial<ParserLimits>;
  /** Bytes of unsent replies after which the client is disconnected. */
  outputBufferLimit(): number;
  /** client-output-buffer-limit's pubsub class, for a subscribed client; without it the plain bound applies. */
  pubsubOutputLimit?(): ClassLimit;
  log: Logger;
  observe: ConnectionObserver;
  /** Wall-clock ms, for idle tracking. */
  now(): number;
  /** Monotonic ms, for command latency. */
  monotonic(): number;
  /** The memory of all clients together (maxmemory-clients); without it only per-client bounds apply. */
  memory?: ClientMemory;
  /** Where slow commands are logged (SLOWLOG). */
  slowlog?: SlowLog;
}

export interface ConnectionObserver {
  command(name: string, ok: boolean, seconds: number): void;
  /** A command refused before it ran (NOAUTH). */
  rejected(name: string): void;
  bytesRead(n: number): void;
  bytesWritten(n: number): void;
  protocolError(): void;
  /** An error reply about to be sent (INFO errorstats). */
  errorReply?(text: string): void;
}

/** A reply slot: replies go out in request order even when commands finish out of order. */
interface Slot {
  reply: Reply | null;
  protocol: 2 | 3;
  /** The connection closes once this reply is written; replies queued after it are dropped (QUIT, protocol errors). */
  last?: boolean;
  /** About what the reply takes while it waits to be written (counted in queuedReplyBytes). */
  bytes?: number;
  /** CLIENT REPLY OFF or SKIP: the reply is dropped. */
  silent?: boolean;
}

/** Commands parsed but not yet answered; above this the socket stops being read. */
const PAUSE_AT = 4096;
const RESUME_AT = 1024;
/** Replies of one flush up to this size go out as one copied buffer. */
const COALESCE_MAX_BYTES = 64 * 1024;
/** Unsent reply bytes above which reading pauses until the socket drains. */
const READ_PAUSE_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * One client connection: parses requests, runs commands, writes replies in
 * order. Commands in a pipeline run concurrently, except that a command waits
 * for earlier ones on the same keys, and keyless commands (AUTH, HELLO,
 * CLIENT, FLUSHALL, ...) act as barriers, so a pipeline behaves as if run one
 * by one while independent keys still share a storage batch.
 */
export class Connection implements MemoryHolder {
  private readonly parser: RequestParser;
  /** Replies finished but waiting behind an earlier, slower command: they count as output. */
  private queuedReplyBytes = 0;
  private readonly encoder = new ReplyEncoder();
  private readonly ctx: CommandContext;
  private readonly acl: AclApi;
  private readonly queue: Slot[] = [];
  private readonly keyTails = new Map<string, Promise<void>>();
  private barrierTail: Promise<void> | null = null;
  private waitingBarriers: Array<{ slot: Slot; run: () => void }> = [];
  private flushScheduled = false;
  /** No more input is read (a protocol error, a kill or the end of the connection). */
  private closing = false;
  /** Closed by kill(): nothing more runs or is written. */
  private killed = false;
  /** The client has sent all it will (half-closed): end once every reply is written. */
  private inputEnded = false;
  private paused = false;
  private readonly pubsubLimit = new OutputLimitTracker();
  lastActivity: number;

  constructor(
    private readonly socket: Socket,
    readonly session: Session,
    private readonly deps: ConnectionDeps,
  ) {
    this.parser = new RequestParser(deps.parserLimits());
    this.parser.authenticated = session.authenticated;
    this.ctx = deps.context(session);
    this.acl = aclOf(this.ctx);
    this.lastActivity = deps.now();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('end', () => this.onEnd());
    // Pub/Sub messages come out of turn; a closed client's subscriptions end with it.
    session.deliver = (reply) => this.deliver(reply);
    socket.on('close', () => endSubscriptions(this.ctx));
    if (deps.memory) {
      const memory = deps.memory;
      socket.on('close', () => memory.forget(this));
    }
  }

  /** What this client holds: its request being read (with the arguments' overhead), replies queued and unsent. */
  heldBytes(): number {
    return this.parser.heldBytes() + this.queuedReplyBytes + this.outputBufferBytes;
  }

  /** Closed because all clients together held too much (maxmemory-clients). */
  evict(reason: string): void {
    if (this.killed) return;
    this.deps.log.warn('client evicted', { client: this.session.id, addr: this.session.remoteAddress, reason });
    this.kill();
  }

  private reportMemory(): void {
    if (this.deps.memory && !this.killed) this.deps.memory.report(this, this.heldBytes());
  }

  get queryBufferBytes(): number {
    return this.parser.bufferedBytes();
  }

  get outputBufferBytes(): number {
    return this.socket.writableLength + this.encoder.pendingBytes + this.queuedReplyBytes;
  }

  /** Closes the connection now (CLIENT KILL, idle timeout, shutdown). */
  kill(): void {
    this.closing = true;
    this.killed = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.lastActivity = this.deps.now();
    this.deps.observe.bytesRead(chunk.length);
    // One request at a time, as Redis does: a request runs before the next is
    // parsed, so AUTH lifts the unauthenticated limits for what follows it, and
    // requests before a protocol error are answered before the error.
    let request = this.nextRequest(chunk);
    while (request !== null && !this.closing) {
      this.dispatch(request);
      request = this.nextRequest();
    }
    this.flush();
    if (this.queue.length > PAUSE_AT || this.socket.writableLength > READ_PAUSE_OUTPUT_BYTES) this.pause();
    this.reportMemory();
  }

  /** The client finished sending (printf ... | nc): answer what it sent, then close, as Redis does. */
  private onEnd(): void {
    this.inputEnded = true;
    this.closing = true;
    if (this.queue.length === 0 && !this.killed && !this.socket.writableEnded) this.socket.end();
  }

  /** The next whole request, or null when more input is needed or the connection is closing after a protocol error. */
  private nextRequest(chunk?: Buffer): Buffer[] | null {
    try {
      if (chunk) this.parser.push(chunk);
      return this.parser.next();
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.deps.observe.protocolError();
      this.deps.log.debug('protocol error', { client: this.session.id, addr: this.session.remoteAddress, error: e.message });
      if (e.silent) {
        // Past the query buffer limit Redis closes the connection without a word.
        this.kill();
        return null;
      }
      this.push({ reply: error(e.message), protocol: this.session.protocol, last: true });
      this.closing = true;
      this.socket.pause();
      return null;
    }
  }

  private push(slot: Slot): void {
    this.queue.push(slot);
  }

  private dispatch(request: Buffer[]): void {
    const slot: Slot = { reply: null, protocol: this.session.protocol };
    this.push(slot);
    const resolved = resolveCommand(this.ctx.table, request);
    const queue = this.session.transaction?.multi != null && queuesInTransaction(this.session, request[0]!.toString('latin1').toLowerCase());
    if (!('spec' in resolved)) {
      // Refused while queued: the whole transaction will be (EXECABORT).
      if (queue) refuseQueued(this.session);
      if (replySilenced(this.session, request[0]!.toString('latin1').toLowerCase())) slot.silent = true;
      this.complete(slot, resolved);
      return;
    }
    const { spec, fullName, args } = resolved;
    if (queue) {
      const refused = this.aclRefusal(spec, fullName, request, 'multi');
      if (refused) {
        refuseQueued(this.session);
        this.complete(slot, refused);
        return;
      }
      this.session.transaction!.multi!.commands.push({ spec, args, fullName, argv: request });
      if (replySilenced(this.session, fullName)) slot.silent = true;
      this.complete(slot, QUEUED);
      return;
    }
    const keys = commandKeys(spec, request);
    const run = (): Promise<void> | undefined => this.execute(slot, spec, fullName, args, request, keys);
    if (keys === null) {
      this.runBarrier(slot, run);
      return;
    }
    let wait: Promise<unknown> | null = this.barrierTail;
    for (const key of keys) {
      const tail = this.keyTails.get(key.toString('latin1'));
      if (tail) wait = wait ? Promise.all([wait, tail]) : tail;
    }
    const done = wait ? wait.then(run) : run();
    if (done) this.trackKeys(keys, done);
  }

  /** A keyless command runs once every earlier command has finished; later ones wait for it. */
  private runBarrier(slot: Slot, run: () => unknown): void {
    // Every earlier slot answered means every earlier barrier finished too:
    // run now. (Waiting on barrierTail here would wait for a complete() that
    // never comes once an earlier async barrier has finished.)
    if (this.allBeforeDone(slot)) {
      run();
      if (slot.reply === null) {
        const tail = this.whenComplete(slot);
        this.barrierTail = tail;
        void tail.then(() => {
          if (this.barrierTail === tail) this.barrierTail = null;
        });
      }
      return;
    }
    const tail = new Promise<void>((resolve) => {
      this.waitingBarriers.push({
        slot,
        run: () => {
          run();
          void this.whenComplete(slot).then(resolve);
        },
      });
    });
    this.barrierTail = tail;
    void tail.then(() => {
      if (this.barrierTail === tail) this.barrierTail = null;
    });
  }

  private allBeforeDone(slot: Slot): boolean {
    for (const s of this.queue) {
      if (s === slot) return true;
      if (s.reply === null) return false;
    }
    return true;
  }

  private readonly completionWaiters = new Map<Slot, () => void>();

  private whenComplete(slot: Slot): Promise<void> {
    if (slot.reply !== null) return Promise.resolve();
    return new Promise((resolve) => this.completionWaiters.set(slot, resolve));
  }

  private trackKeys(keys: readonly Buffer[], done: Promise<unknown>): void {
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    for (const key of keys) {
      const id = key.toString('latin1');
      this.keyTails.set(id, settled);
      void settled.then(() => {
        if (this.keyTails.get(id) === settled) this.keyTails.delete(id);
      });
    }
  }

  /** Runs one command; returns its completion when it finishes later. */
  private execute(slot: Slot, spec: CommandSpec, fullName: string, args: readonly Buffer[], argv: readonly Buffer[], keys: Buffer[] | null): Promise<void> | undefined {
    if (this.killed || this.session.closeAfterReply) {
      // Never written: the connection closes before this slot (QUIT, CLIENT KILL of itself) or is gone.
      this.complete(slot, error('ERR connection closing'));
      return undefined;
    }
    this.session.lastCommand = fullName;
    this.session.currentArgv = argv;
    if (replySilenced(this.session, fullName)) slot.silent = true;
    if (!this.session.authenticated && !spec.flags.includes('no_auth')) {
      this.deps.observe.rejected(fullName);
      this.complete(slot, error(ERR_NOAUTH));
      return undefined;
    }
    const denied = this.aclRefusal(spec, fullName, argv, 'toplevel');
    if (denied) {
      this.deps.observe.rejected(fullName);
      this.complete(slot, denied);
      return undefined;
    }
    const refusal = subscribedModeRefusal(this.session, fullName);
    if (refusal) {
      this.deps.observe.rejected(fullName);
      this.complete(slot, refusal);
      return undefined;
    }
    const started = this.deps.monotonic();
    let result: Reply | Promise<Reply>;
    try {
      // While a script runs, other clients' commands wait for it or get BUSY (scripting/script-gate.ts).
      const gate = this.ctx.server?.scripts?.gate;
      result =
        gate && spec.group !== 'scripting'
          ? gate.admit(this.session.id, spec.flags.includes('allow_busy'), keys, () => spec.handler(this.ctx, args))
          : spec.handler(this.ctx, args);
    } catch (e) {
      this.finish(slot, fullName, argv, started, e);
      return undefined;
    }
    if (!(result instanceof Promise)) {
      if (this.session.closeAfterReply) slot.last = true;
      this.finish(slot, fullName, argv, started, undefined, result);
      return undefined;
    }
    return result.then(
      (reply) => this.finish(slot, fullName, argv, started, undefined, reply),
      (err: unknown) => this.finish(slot, fullName, argv, started, err),
    );
  }

  /** The ACL check (acl-guard.ts): null when the session's user may run this request. */
  private aclRefusal(spec: CommandSpec, fullName: string, argv: readonly Buffer[], context: 'toplevel' | 'multi'): Reply | null {
    const refusal = requestRefusal(this.acl, this.ctx, this.session, spec, fullName, argv, context);
    if (refusal?.closeConnection) this.kill();
    return refusal ? error(refusal.text) : null;
  }

  private finish(slot: Slot, name: string, argv: readonly Buffer[], started: number, err: unknown, reply?: Reply): void {
    const seconds = (this.deps.monotonic() - started) / 1000;
    this.deps.slowlog?.consider(name, argv, seconds * 1e6, this.deps, this.session);
    if (err === undefined && reply) {
      this.deps.observe.command(name, reply.t !== 'error', seconds);
      this.complete(slot, reply);
      return;
    }
    this.deps.observe.command(name, false, seconds);
    if (isQkvError(err)) {
      this.complete(slot, error(err.toReplyText()));
    } else {
      this.deps.log.error('command failed', { command: name, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      this.complete(slot, error(`ERR internal error: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  private complete(slot: Slot, reply: Reply): void {
    slot.reply = slot.silent ? NO_REPLY : reply;
    if (reply.t === 'error') this.deps.observe.errorReply?.(reply.v);
    slot.protocol = this.session.protocol;
    if (slot !== this.queue[0]) {
      // It waits behind a slower command: what it holds counts toward the output bound now, not once written.
      slot.bytes = approximateReplyBytes(reply);
      this.queuedReplyBytes += slot.bytes;
      if (this.overOutputLimit()) return;
    }
    if (this.parser.authenticated !== this.session.authenticated) this.parser.authenticated = this.session.authenticated;
    const waiter = this.completionWaiters.get(slot);
    if (waiter) {
      this.completionWaiters.delete(slot);
      waiter();
    }
    const next = this.waitingBarriers[0];
    if (next && this.allBeforeDone(next.slot)) {
      this.waitingBarriers.shift();
      next.run();
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Writes every finished reply at the head of the queue in one socket write. */
  private flush(): void {
    if (this.killed || this.socket.writableEnded) return;
    let n = 0;
    let last = false;
    while (n < this.queue.length && this.queue[n]!.reply !== null) {
      const slot = this.queue[n]!;
      if (slot.bytes !== undefined) this.queuedReplyBytes -= slot.bytes;
      this.encoder.write(slot.reply!, slot.protocol);
      n++;
      if (slot.last) {
        last = true;
        break;
      }
    }
    if (n === 0) return;
    if (last) this.queue.length = 0;
    else this.queue.splice(0, n);
    const chunks = this.encoder.take();
    let bytes = 0;
    for (const c of chunks) bytes += c.length;
    if (chunks.length === 1) {
      this.socket.write(chunks[0]!);
    } else if (bytes <= COALESCE_MAX_BYTES) {
      // Copying a few small chunks costs less than the stream's cork and writev.
      this.socket.write(Buffer.concat(chunks, bytes));
    } else {
      this.socket.cork();
      for (const c of chunks) this.socket.write(c);
      this.socket.uncork();
    }
    this.deps.observe.bytesWritten(bytes);
    if (this.overOutputLimit()) return;
    this.reportMemory();
    if (last || (this.inputEnded && this.queue.length === 0)) {
      this.closing = true;
      this.socket.end();
      return;
    }
    this.maybeResume();
  }

  /** A published message for this subscriber: written after the replies before it, like any reply. */
  private deliver(reply: Reply): void {
    if (this.killed) return;
    const slot: Slot = { reply: null, protocol: this.session.protocol };
    this.push(slot);
    this.complete(slot, reply);
  }

  /**
   * Past client-output-buffer-limit (unsent bytes plus replies queued behind
   * a slow command) the client is closed; a subscribed client is held to the
   * pubsub class instead, as in Redis.
   */
  private overOutputLimit(): boolean {
    const bytes = this.socket.writableLength + this.queuedReplyBytes;
    const pubsub = this.session.pubsub?.subscribed && this.deps.pubsubOutputLimit ? this.deps.pubsubOutputLimit() : null;
    const why = pubsub
      ? this.pubsubLimit.check(bytes, pubsub, this.deps.monotonic())
      : bytes > this.deps.outputBufferLimit()
        ? 'over client-output-buffer-limit'
        : null;
    if (why === null) return false;
    this.deps.log.warn('client output buffer limit reached, closing', { client: this.session.id, bytes, why });
    this.kill();
    return true;
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.paused || this.closing) return;
    if (this.queue.length <= RESUME_AT && this.socket.writableLength <= READ_PAUSE_OUTPUT_BYTES / 2) {
      this.paused = false;
      this.socket.resume();
    }
  }
}
