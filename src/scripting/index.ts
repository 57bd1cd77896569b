import { LuaEngine } from './lua-engine.js';
import { ScriptGate } from './script-gate.js';

export { ERR_BUSY, ScriptGate } from './script-gate.js';
export { SCRIPT_FLAGS, parseShebang, type ScriptFlag } from './shebang.js';
export { LuaEngine, SCRIPT_KILLED, sha1hex, type ScriptHost, type ScriptRun } from './lua-engine.js';

/**
 * A node's scripting: its Lua state (made on the first script, so nodes that
 * never run one never load the WebAssembly) and the gate that makes each
 * script atomic on the node.
 */
export class Scripting {
  readonly gate: ScriptGate;
  private engineP: Promise<LuaEngine> | null = null;
  private loaded: LuaEngine | null = null;

  constructor(
    busyThresholdMs: () => number,
    private readonly monotonic: () => number,
    /** Where redis.log writes (level 0 debug .. 3 warning); nowhere by default. */
    readonly log: (level: number, message: string) => void = () => undefined,
  ) {
    this.gate = new ScriptGate(busyThresholdMs, monotonic);
  }

  engine(): Promise<LuaEngine> {
    this.engineP ??= LuaEngine.create(this.monotonic).then((e) => (this.loaded = e));
    return this.engineP;
  }

  /** What INFO memory shows of scripting: the Lua state's bytes and the cached scripts (none before the first script). */
  memory(): { readonly luaBytes: number; readonly cachedScripts: number } {
    return { luaBytes: this.loaded?.usedBytes() ?? 0, cachedScripts: this.loaded?.cachedScripts ?? 0 };
  }

  /** The engine once made, without waiting (SCRIPT KILL and EXISTS need no Lua state of their own). */
  get current(): LuaEngine | null {
    return this.loaded;
  }
}
