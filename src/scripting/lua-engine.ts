import { createHash } from 'node:crypto';
import { error, type Reply } from '../../resp/reply.js';
import { formatDouble } from '../../resp/format-double.js';
import { LUA_MASKCOUNT, LUA_OK, LUA_REGISTRYINDEX, LUA_YIELD, LuaApi, LuaType, loadLuaModule } from './lua-api.js';
import { errorText, pushReply, readReply } from './lua-convert.js';
import { PRELUDE, SCRIPT_KILLED } from './lua-prelude.js';

export { SCRIPT_KILLED };
import { parseShebang, type ScriptFlag } from './shebang.js';

/** What a running script asks of the node: run one command, log a line. */
export interface ScriptHost {
  /** Runs one command from the script; refusals come back as error replies, never as throws. */
  call(args: Buffer[]): Reply | Promise<Reply>;
  log(level: number, message: string): void;
  /** RESP version the script's caller speaks (redis.setresp starts at 2 as in Redis). */
  readonly clientProtocol: 2 | 3;
  /** redis.acl_check_cmd: whether the caller's ACL user may run this command; a string is an error to raise. Absent: always true. */
  aclCheck?(args: Buffer[]): boolean | string;
}

/** One script in execution, as SCRIPT KILL and the time bound see it. */
export interface ScriptRun {
  readonly sha: string;
  /** Monotonic ms when it started. */
  readonly startedAt: number;
  /** SCRIPT KILL asked it to stop; it stops at its next instruction-count check. */
  killed: boolean;
  /** It has run a write command (SCRIPT KILL refuses then: UNKILLABLE). */
  wrote: boolean;
}

/** Bytes of the WebAssembly heap one node's Lua state may hold (scripts and the script cache together). */
export const LUA_MEMORY_LIMIT = 128 * 1024 * 1024;

/** Instructions between two checks of the kill flag and the time slice. */
const HOOK_EVERY = 10_000;
/** A CPU-bound script gives the event loop a turn this often (other clients then get BUSY, SCRIPT KILL is read). */
const SLICE_MS = 10;

export function sha1hex(body: Buffer | string): string {
  return createHash('sha1').update(body).digest('hex');
}

interface Active extends ScriptRun {
  readonly thread: number;
  readonly host: ScriptHost;
  resp: 2 | 3;
  /** Registry references of its KEYS and ARGV tables, made the globals again before each resume. */
  readonly keysRef: number;
  readonly argvRef: number;
  pending: Promise<Reply> | null;
  result: Reply | null;
  sliceStart: number;
}

/**
 * One node's Lua state: compiled scripts by SHA1 (the script cache), and
 * scripts run one at a time as coroutines, so redis.call can wait for a
 * command that answers asynchronously (a quorum write) and a long script
 * yields to the event loop every SLICE_MS from an instruction-count hook.
 */
export class LuaEngine {
  /** Each cached script's compiled function (a registry reference), its shebang flags and its source (sent to the node that runs it in a cluster). */
  private readonly compiled = new Map<string, { ref: number; flags: ReadonlySet<ScriptFlag>; body: Buffer }>();
  /** Scripts started and not finished (several, when they hold different keys and wait for the store in turn). */
  private readonly runs = new Set<Active>();
  /** The one whose Lua is executing now (natives and the hook run inside a resume, synchronously). */
  private active: Active | null = null;
  private readonly runner: number;
  private readonly hook: number;
  private readonly resultCount: number;
  private readonly continuation: number;

  private constructor(
    private readonly api: LuaApi,
    private readonly L: number,
    private readonly monotonic: () => number,
    /** Bytes the Lua state holds now (INFO memory's used_memory_lua). */
    readonly usedBytes: () => number,
  ) {
    const m = api.m;
    this.resultCount = m._malloc(4);
    const natives = [(T: number) => this.nativeCall(T, true), (T: number) => this.nativeCall(T, false), this.nativeSha1, this.nativeLog, this.nativeSetresp, this.nativeAclCheck].map(
      (fn) => m.addFunction(fn.bind(this), 'ii'),
    );
    this.continuation = m.addFunction((T: number, _status: number, raise: number) => this.finishCall(T, raise === 1), 'iiii');
    if (api.load(L, PRELUDE, '=prelude') !== LUA_OK) throw new Error(`Lua prelude: ${api.toText(L, -1)}`);
    for (const p of natives) m._lua_pushcclosure(L, p, 0);
    m.setValue(this.resultCount, 0, 'i32');
    const status = m._lua_resume(L, 0, natives.length, this.resultCount);
    if (status !== LUA_OK) throw new Error(`Lua prelude: ${api.toText(L, -1)}`);
    this.runner = m._luaL_ref(L, LUA_REGISTRYINDEX);
    m._lua_settop(L, 0);
    this.hook = m.addFunction((T: number) => this.onHook(T), 'vii');
  }

  /** A node's Lua state, allowed maxBytes of the WebAssembly heap (it never shrinks, so the bound is the node's cost). */
  static async create(monotonic: () => number, maxBytes = LUA_MEMORY_LIMIT): Promise<LuaEngine> {
    const m = await loadLuaModule();
    const api = new LuaApi(m);
    let used = 0;
    // Lua's allocator: past the bound an allocation fails, Lua collects garbage and retries, then raises 'not enough memory'.
    const alloc = m.addFunction((_ud: number, ptr: number, osize: number, nsize: number): number => {
      const old = ptr ? osize : 0;
      if (nsize === 0) {
        if (ptr) m._free(ptr);
        used -= old;
        return 0;
      }
      if (nsize > old && used + nsize - old > maxBytes) return 0;
      const next = m._realloc(ptr, nsize);
      if (next) used += nsize - old;
      return next;
    }, 'iiiii');
    const L = m._lua_newstate(alloc, 0);
    m._luaL_openlibs(L);
    return new LuaEngine(api, L, monotonic, () => used);
  }

  /** The script executing now (inside redis.call), if any. */
  get running(): ScriptRun | null {
    return this.active;
  }

  /** Every script started and not finished. */
  get inProgress(): readonly ScriptRun[] {
    return [...this.runs];
  }

  /** Scripts in the cache (INFO memory's number_of_cached_scripts). */
  get cachedScripts(): number {
    return this.compiled.size;
  }

  has(sha: string): boolean {
    return this.compiled.has(sha);
  }

  /** A cached script's source. */
  bodyOf(sha: string): Buffer | undefined {
    return this.compiled.get(sha)?.body;
  }

  /** Compiles and caches a script (its Lua after any shebang line); returns its SHA1 and flags, or the error as Redis words it. */
  load(body: Buffer): { sha: string; flags: ReadonlySet<ScriptFlag> } | { error: string } {
    const sha = sha1hex(body);
    const cached = this.compiled.get(sha);
    if (cached) return { sha, flags: cached.flags };
    const shebang = parseShebang(body);
    if ('error' in shebang) return { error: `ERR ${shebang.error}` };
    const m = this.api.m;
    if (this.api.load(this.L, body.subarray(shebang.bodyStart), '@user_script') !== LUA_OK) {
      const msg = this.api.toText(this.L, -1);
      m._lua_settop(this.L, 0);
      return { error: `ERR Error compiling script (new function): ${errorText(msg)}` };
    }
    this.compiled.set(sha, { ref: m._luaL_ref(this.L, LUA_REGISTRYINDEX), flags: shebang.flags, body: Buffer.from(body) });
    return { sha, flags: shebang.flags };
  }

  /** A cached script's shebang flags (none without a shebang), or undefined when it is not cached. */
  flagsOf(sha: string): ReadonlySet<ScriptFlag> | undefined {
    return this.compiled.get(sha)?.flags;
  }

  /** Forgets every cached script (SCRIPT FLUSH). */
  flush(): void {
    for (const { ref } of this.compiled.values()) this.api.m._luaL_unref(this.L, LUA_REGISTRYINDEX, ref);
    this.compiled.clear();
    // Redis starts a new Lua state here; this one gives back what the scripts held, now garbage.
    const { api, L } = this;
    if (api.load(L, 'collectgarbage("collect")', '=flush') === LUA_OK) {
      api.m.setValue(this.resultCount, 0, 'i32');
      api.m._lua_resume(L, 0, 0, this.resultCount);
    }
    api.m._lua_settop(L, 0);
  }

  /** Runs a cached script with KEYS and ARGV; the caller makes sure no other script runs meanwhile. */
  async run(sha: string, keys: readonly Buffer[], argv: readonly Buffer[], host: ScriptHost): Promise<Reply> {
    const ref = this.compiled.get(sha)?.ref;
    if (ref === undefined) return error('NOSCRIPT No matching script. Please use EVAL.');
    const { api, L } = this;
    const m = api.m;
    const T = m._lua_newthread(L);
    const threadRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
    const now = this.monotonic();
    const keysRef = this.listRef(T, keys);
    const argvRef = this.listRef(T, argv);
    const run: Active = { sha, startedAt: now, killed: false, wrote: false, thread: T, host, resp: 2, keysRef, argvRef, pending: null, result: null, sliceStart: now };
    this.runs.add(run);
    try {
      m._lua_rawgeti(T, LUA_REGISTRYINDEX, BigInt(this.runner));
      m._lua_rawgeti(T, LUA_REGISTRYINDEX, BigInt(ref));
      m._lua_sethook(T, this.hook, LUA_MASKCOUNT, HOOK_EVERY);
      let status = this.resume(run, 1);
      // Yields carry no values (the hook's and redis.call's), so the coroutine's stack is left alone between resumes.
      while (status === LUA_YIELD) {
        if (run.pending) {
          run.result = await run.pending.catch((e: unknown) => error(`ERR ${e instanceof Error ? e.message : String(e)}`));
          run.pending = null;
        } else {
          await new Promise((resolve) => setImmediate(resolve));
        }
        run.sliceStart = this.monotonic();
        status = this.resume(run, 0);
      }
      if (status !== LUA_OK) return error(`ERR ${errorText(api.toText(T, -1))}`);
      const n = m.getValue(this.resultCount, 'i32');
      const top = m._lua_gettop(T);
      if (!m._lua_toboolean(T, top - n + 1)) return this.errorReply(T, top, sha);
      return n < 2 ? { t: 'null' } : readReply(api, T, top - n + 2);
    } finally {
      this.active = null;
      this.runs.delete(run);
      m._lua_settop(T, 0);
      m._luaL_unref(L, LUA_REGISTRYINDEX, threadRef);
      m._luaL_unref(L, LUA_REGISTRYINDEX, keysRef);
      m._luaL_unref(L, LUA_REGISTRYINDEX, argvRef);
    }
  }

  /** Resumes a script's coroutine with its own KEYS and ARGV as the globals (scripts on other keys interleave at their waits). */
  private resume(run: Active, nargs: number): number {
    const m = this.api.m;
    const T = run.thread;
    // On the main state, never on the coroutine: one suspended in the hook must keep its stack as it is.
    const L = this.L;
    this.api.pushGlobals(L);
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(run.keysRef));
    this.api.setRawField(L, -2, 'KEYS');
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(run.argvRef));
    this.api.setRawField(L, -2, 'ARGV');
    m._lua_settop(L, -2);
    m.setValue(this.resultCount, 0, 'i32');
    this.active = run;
    try {
      return m._lua_resume(T, this.L, nargs, this.resultCount);
    } finally {
      this.active = null;
    }
  }

  /** A Lua list of the items, kept in the registry. */
  private listRef(T: number, items: readonly Buffer[]): number {
    const m = this.api.m;
    m._lua_createtable(T, items.length, 0);
    items.forEach((b, i) => {
      this.api.pushBytes(T, b);
      m._lua_rawseti(T, -2, BigInt(i + 1));
    });
    return m._luaL_ref(T, LUA_REGISTRYINDEX);
  }

  /** The error a script raised (a table from the error handler): its text, plus where, as Redis 7 reports it. */
  private errorReply(T: number, top: number, sha: string): Reply {
    const { api } = this;
    const m = api.m;
    if (m._lua_type(T, top) !== LuaType.Table) return error(`ERR ${errorText(api.toText(T, top))}`);
    const text = api.rawField(T, top, 'err') === LuaType.String ? errorText(api.toText(T, -1)) : 'ERR unknown error';
    m._lua_settop(T, top);
    const hasSource = api.rawField(T, top, 'source') === LuaType.String;
    const source = hasSource ? api.toText(T, -1) : '';
    m._lua_settop(T, top);
    const line = api.rawField(T, top, 'line') === LuaType.Number ? Number(m._lua_tointegerx(T, -1, 0)) : 0;
    m._lua_settop(T, top);
    return error(hasSource ? `${text} script: ${sha}, on ${source}:${line}.` : text);
  }

  private onHook(T: number): void {
    const run = this.active;
    if (!run) return;
    const m = this.api.m;
    if (run.killed) {
      this.api.pushBytes(T, SCRIPT_KILLED);
      m._lua_error(T);
      return;
    }
    if (T === run.thread && this.monotonic() - run.sliceStart >= SLICE_MS && m._lua_isyieldable(T)) m._lua_yieldk(T, 0, 0, 0);
  }

  /**
   * redis.call / redis.pcall: a C function (not Lua), so a script's
   * `return redis.call(...)` keeps its frame and errors name its line. A
   * command that answers later makes the script yield; finishCall pushes the
   * reply when the runner resumes it.
   */
  private nativeCall(T: number, raise: boolean): number {
    const run = this.active!;
    const m = this.api.m;
    const reply = this.startCall(T, m._lua_gettop(T), run);
    if (!(reply instanceof Promise)) {
      run.result = reply;
      return this.finishCall(T, raise);
    }
    run.pending = reply;
    return m._lua_yieldk(T, 0, raise ? 1 : 0, this.continuation);
  }

  private finishCall(T: number, raise: boolean): number {
    const run = this.active!;
    const reply = run.result ?? error('ERR no reply');
    run.result = null;
    pushReply(this.api, T, reply, run.resp);
    if (raise && reply.t === 'error') return this.api.m._lua_error(T);
    return 1;
  }

  private startCall(T: number, n: number, run: Active): Reply | Promise<Reply> {
    if (n === 0) return error('ERR Please specify at least one argument for this redis lib call');
    const args: Buffer[] = [];
    for (let i = 1; i <= n; i++) {
      const t = this.api.m._lua_type(T, i);
      if (t === LuaType.String) args.push(this.api.toBytes(T, i));
      else if (t === LuaType.Number) args.push(Buffer.from(this.numberArg(T, i)));
      else return error('ERR Lua redis lib command arguments must be strings or integers');
    }
    const reply = run.host.call(args);
    if (reply instanceof Promise && (T !== run.thread || !this.api.m._lua_isyieldable(T))) {
      // Only the script's own coroutine, outside C callbacks, can wait: the command still runs, its reply is dropped.
      void reply.catch(() => undefined);
      return error('ERR redis.call that waits is not supported inside a coroutine or a C callback');
    }
    return reply;
  }

  /** A number argument as Redis passes it: integers as such, other numbers as %.17g. */
  private numberArg(T: number, i: number): string {
    const m = this.api.m;
    if (m._lua_isinteger(T, i)) return m._lua_tointegerx(T, i, 0).toString();
    return formatDouble(m._lua_tonumberx(T, i, 0));
  }

  private nativeSha1(T: number): number {
    this.api.pushBytes(T, sha1hex(this.api.toBytes(T, 1)));
    return 1;
  }

  private nativeLog(T: number): number {
    this.active?.host.log(Number(this.api.m._lua_tointegerx(T, 1, 0)), this.api.toText(T, 2));
    return 0;
  }

  /** redis.acl_check_cmd(cmd, args...): true or false, or raises for a command that does not exist. */
  private nativeAclCheck(T: number): number {
    const run = this.active!;
    const m = this.api.m;
    const n = m._lua_gettop(T);
    const args: Buffer[] = [];
    for (let i = 1; i <= n; i++) {
      const t = m._lua_type(T, i);
      if (t === LuaType.String) args.push(this.api.toBytes(T, i));
      else if (t === LuaType.Number) args.push(Buffer.from(this.numberArg(T, i)));
      else return this.raise(T, run, 'ERR Lua redis lib command arguments must be strings or integers');
    }
    if (args.length === 0) return this.raise(T, run, 'ERR Please specify at least one argument for this redis lib call');
    const verdict = run.host.aclCheck ? run.host.aclCheck(args) : true;
    if (typeof verdict === 'string') return this.raise(T, run, verdict);
    m._lua_pushboolean(T, verdict ? 1 : 0);
    return 1;
  }

  private raise(T: number, run: Active, text: string): number {
    pushReply(this.api, T, error(text), run.resp);
    return this.api.m._lua_error(T);
  }

  private nativeSetresp(T: number): number {
    const run = this.active;
    if (run) run.resp = Number(this.api.m._lua_tointegerx(T, 1, 0)) === 3 ? 3 : 2;
    return 0;
  }
}
