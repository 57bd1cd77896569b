import { LuaFactory } from 'wasmoon';

/**
 * The Lua 5.4 C API of wasmoon's WebAssembly build, used directly (not
 * through wasmoon's JS object bridge) so strings stay binary-safe byte
 * strings and integers stay 64-bit, as Redis scripts expect.
 */

/** The emscripten module's raw exports this package uses. */
export interface LuaModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  addFunction(fn: (...a: number[]) => number | void, sig: string): number;
  removeFunction(p: number): void;
  getValue(p: number, type: string): number;
  setValue(p: number, v: number, type: string): void;
  _lua_newstate(alloc: number, ud: number): number;
  _luaL_newstate(): number;
  _realloc(p: number, n: number): number;
  _luaL_openlibs(L: number): void;
  _luaL_loadbufferx(L: number, buf: number, len: number, name: number, mode: number): number;
  _luaL_ref(L: number, t: number): number;
  _luaL_unref(L: number, t: number, ref: number): void;
  _lua_newthread(L: number): number;
  _lua_closethread?(L: number, from: number): number;
  _lua_resetthread(L: number): number;
  _lua_resume(L: number, from: number, nargs: number, nres: number): number;
  _lua_yieldk(L: number, n: number, ctx: number, k: number): number;
  _lua_error(L: number): number;
  _lua_isyieldable(L: number): number;
  _lua_sethook(L: number, f: number, mask: number, count: number): void;
  _lua_gettop(L: number): number;
  _lua_checkstack(L: number, n: number): number;
  _lua_settop(L: number, i: number): void;
  _lua_pushvalue(L: number, i: number): void;
  _lua_type(L: number, i: number): number;
  _lua_isinteger(L: number, i: number): number;
  _lua_tointegerx(L: number, i: number, isnum: number): bigint;
  _lua_tonumberx(L: number, i: number, isnum: number): number;
  _lua_toboolean(L: number, i: number): number;
  _lua_tolstring(L: number, i: number, len: number): number;
  _lua_rawlen(L: number, i: number): number;
  _lua_pushnil(L: number): void;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_pushnumber(L: number, n: number): void;
  _lua_pushboolean(L: number, b: number): void;
  _lua_pushlstring(L: number, p: number, len: number): number;
  _lua_pushcclosure(L: number, f: number, n: number): void;
  _lua_createtable(L: number, narr: number, nrec: number): void;
  _lua_rawseti(L: number, i: number, n: bigint): void;
  _lua_rawgeti(L: number, i: number, n: bigint): number;
  _lua_rawget(L: number, i: number): number;
  _lua_rawset(L: number, i: number): void;
  _lua_next(L: number, i: number): number;
  _lua_xmove(from: number, to: number, n: number): void;
}

export const LUA_REGISTRYINDEX = -1_000_000 - 1000;
export const LUA_RIDX_GLOBALS = 2n;
export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const LUA_MASKCOUNT = 8;

export const enum LuaType {
  Nil = 0,
  Boolean = 1,
  Number = 3,
  String = 4,
  Table = 5,
}

let modulePromise: Promise<LuaModule> | null = null;

/** Loads the WebAssembly Lua once per process (the compiled module is shared; each node makes its own state). */
export function loadLuaModule(): Promise<LuaModule> {
  modulePromise ??= new LuaFactory().getLuaModule().then((w) => (w as unknown as { module: LuaModule }).module);
  return modulePromise;
}

/** Binary-safe string transfer and table helpers over one module. */
export class LuaApi {
  private scratch = 0;
  private scratchSize = 0;
  private readonly lenPtr: number;

  constructor(readonly m: LuaModule) {
    this.lenPtr = m._malloc(8);
  }

  /** A buffer in wasm memory of at least n bytes, reused between calls. */
  private buffer(n: number): number {
    if (n > this.scratchSize) {
      if (this.scratch) this.m._free(this.scratch);
      this.scratchSize = Math.max(n, 256);
      this.scratch = this.m._malloc(this.scratchSize);
    }
    return this.scratch;
  }

  pushBytes(L: number, b: Buffer | string): void {
    const buf = typeof b === 'string' ? Buffer.from(b) : b;
    const p = this.buffer(buf.length + 1);
    this.m.HEAPU8.set(buf, p);
    this.m._lua_pushlstring(L, p, buf.length);
  }

  /** The string (or number, converted in place as lua_tolstring does) at index i, as bytes. */
  toBytes(L: number, i: number): Buffer {
    const p = this.m._lua_tolstring(L, i, this.lenPtr);
    if (!p) return Buffer.alloc(0);
    const len = this.m.getValue(this.lenPtr, 'i32');
    return Buffer.from(this.m.HEAPU8.subarray(p, p + len));
  }

  toText(L: number, i: number): string {
    return this.toBytes(L, i).toString();
  }

  /** Pushes t[name] of the table at index i (a stack index, not a pseudo-index; raw access, no metamethods). */
  rawField(L: number, i: number, name: string): number {
    const abs = i < 0 ? this.m._lua_gettop(L) + i + 1 : i;
    this.pushBytes(L, name);
    return this.m._lua_rawget(L, abs);
  }

  /** Sets field name of the table at index i to the value on top (popped). */
  setRawField(L: number, i: number, name: string): void {
    const abs = i < 0 ? this.m._lua_gettop(L) + i + 1 : i;
    this.pushBytes(L, name);
    this.m._lua_pushvalue(L, -2);
    this.m._lua_rawset(L, abs);
    this.m._lua_settop(L, -2);
  }

  /** Loads a chunk from bytes; returns the status (0 ok, the error message on top otherwise). */
  load(L: number, code: Buffer | string, chunkName: string): number {
    const body = typeof code === 'string' ? Buffer.from(code) : code;
    const name = Buffer.from(chunkName + '\0');
    const p = this.m._malloc(body.length + name.length + 1);
    try {
      this.m.HEAPU8.set(body, p);
      this.m.HEAPU8.set(name, p + body.length);
      return this.m._luaL_loadbufferx(L, p, body.length, p + body.length, 0);
    } finally {
      this.m._free(p);
    }
  }

  /** Pushes the global table. */
  pushGlobals(L: number): void {
    this.m._lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  }
}
