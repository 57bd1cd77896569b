import { error, simple, type Reply } from '../../resp/reply.js';
import { formatDouble } from '../../resp/format-double.js';
import { LuaType, type LuaApi } from './lua-api.js';

/**
 * Redis's conversions between replies and Lua values (script_lua.c).
 * RESP to Lua (what redis.call returns): integer -> number, bulk -> string,
 * null -> false, array -> table, status -> {ok=...}, error -> {err=...};
 * under redis.setresp(3) also map -> {map=...}, set -> {set=...},
 * double -> {double=...}, null -> nil, bool -> boolean.
 * Lua to RESP (what a script returns): number -> integer (truncated),
 * string -> bulk, true -> 1, false and nil -> null, {ok=...} -> status,
 * {err=...} -> error, {double=...} -> double, {map=...} -> map, {set=...}
 * -> set (RESP2 clients get them as Redis degrades them), another table ->
 * array up to its first nil.
 */

/** Pushes a command's reply onto the Lua stack as Redis would, for RESP version resp. */
export function pushReply(api: LuaApi, L: number, r: Reply, resp: 2 | 3): void {
  const m = api.m;
  // Nested replies push a table per level: make room (command replies are a few levels deep at most).
  m._lua_checkstack(L, 4);
  switch (r.t) {
    case 'int':
      m._lua_pushinteger(L, BigInt(r.v));
      return;
    case 'bulk':
    case 'verbatim':
      api.pushBytes(L, r.v);
      return;
    case 'null':
    case 'nullarray':
      if (resp === 3) m._lua_pushnil(L);
      else m._lua_pushboolean(L, 0);
      return;
    case 'simple':
    case 'error':
      m._lua_createtable(L, 0, 1);
      api.pushBytes(L, r.v);
      api.setRawField(L, -2, r.t === 'simple' ? 'ok' : 'err');
      return;
    case 'array':
    case 'push':
      pushList(api, L, r.v, resp);
      return;
    case 'set':
      if (resp === 2) return pushList(api, L, r.v, resp);
      return pushWrapped(api, L, 'set', () => pushPairs(api, L, r.v.map((k) => [k, { t: 'bool', v: true }] as const), resp));
    case 'map':
      if (resp === 2) return pushList(api, L, r.v.flat(), resp);
      return pushWrapped(api, L, 'map', () => pushPairs(api, L, r.v, resp));
    case 'double':
      if (resp === 2) return api.pushBytes(L, formatDouble(r.v));
      return pushWrapped(api, L, 'double', () => m._lua_pushnumber(L, r.v));
    case 'bool':
      if (resp === 3) return m._lua_pushboolean(L, r.v ? 1 : 0);
      return m._lua_pushinteger(L, r.v ? 1n : 0n);
    case 'raw':
      return pushReply(api, L, parseRaw(r.v), resp);
  }
}

function pushList(api: LuaApi, L: number, items: readonly Reply[], resp: 2 | 3): void {
  api.m._lua_createtable(L, items.length, 0);
  items.forEach((item, i) => {
    pushReply(api, L, item, resp);
    api.m._lua_rawseti(L, -2, BigInt(i + 1));
  });
}

function pushPairs(api: LuaApi, L: number, pairs: ReadonlyArray<readonly [Reply, Reply]>, resp: 2 | 3): void {
  api.m._lua_createtable(L, 0, pairs.length);
  for (const [k, v] of pairs) {
    pushReply(api, L, k, resp);
    pushReply(api, L, v, resp);
    api.m._lua_rawset(L, -3);
  }
}

function pushWrapped(api: LuaApi, L: number, field: string, pushInner: () => void): void {
  api.m._lua_createtable(L, 0, 1);
  pushInner();
  api.setRawField(L, -2, field);
}

/** The pre-encoded replies handlers return (+OK, :0, :1, +QUEUED) as values. */
export function parseRaw(b: Buffer): Reply {
  const text = b.toString('latin1').replace(/\r\n$/, '');
  if (text[0] === ':') return { t: 'int', v: Number(text.slice(1)) };
  if (text[0] === '-') return error(text.slice(1));
  return simple(text.slice(1));
}

/** Redis converts a script's returned tables at most this deep; deeper ones are refused. */
const MAX_DEPTH = 1000;

/** The Lua value at index i as the reply a script returns. */
export function readReply(api: LuaApi, L: number, i: number, depth = 0): Reply {
  const m = api.m;
  switch (m._lua_type(L, i)) {
    case LuaType.String:
      return { t: 'bulk', v: api.toBytes(L, i) };
    case LuaType.Boolean:
      return m._lua_toboolean(L, i) ? { t: 'int', v: 1 } : { t: 'null' };
    case LuaType.Number:
      return { t: 'int', v: luaNumberToInteger(api, L, i) };
    case LuaType.Table:
      if (depth >= MAX_DEPTH || !m._lua_checkstack(L, 4)) return error('ERR reached lua stack limit');
      return readTable(api, L, i, depth);
    default:
      return { t: 'null' };
  }
}

function luaNumberToInteger(api: LuaApi, L: number, i: number): number | bigint {
  if (api.m._lua_isinteger(L, i)) return narrow(api.m._lua_tointegerx(L, i, 0));
  const n = Math.trunc(api.m._lua_tonumberx(L, i, 0));
  // Redis casts to long long: out-of-range and NaN come out as its minimum.
  if (!Number.isFinite(n) || Math.abs(n) >= 2 ** 63) return -(2n ** 63n);
  return Number.isSafeInteger(n) ? n : BigInt(n);
}

function narrow(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function readTable(api: LuaApi, L: number, i: number, depth: number): Reply {
  const m = api.m;
  const abs = i < 0 ? m._lua_gettop(L) + i + 1 : i;
  const top = m._lua_gettop(L);
  try {
    if (api.rawField(L, abs, 'err') === LuaType.String) return error(errorText(api.toText(L, -1)));
    m._lua_settop(L, top);
    if (api.rawField(L, abs, 'ok') === LuaType.String) return simple(api.toText(L, -1).replace(/[\r\n]/g, ' '));
    m._lua_settop(L, top);
    if (api.rawField(L, abs, 'double') === LuaType.Number) return { t: 'double', v: m._lua_tonumberx(L, -1, 0) };
    m._lua_settop(L, top);
    if (api.rawField(L, abs, 'map') === LuaType.Table) {
      return { t: 'map', v: readPairs(api, L, depth) };
    }
    m._lua_settop(L, top);
    if (api.rawField(L, abs, 'set') === LuaType.Table) return { t: 'set', v: readPairs(api, L, depth).map(([k]) => k) };
    m._lua_settop(L, top);
    const items: Reply[] = [];
    for (let n = 1; ; n++) {
      const t = m._lua_rawgeti(L, abs, BigInt(n));
      if (t === LuaType.Nil) break;
      items.push(readReply(api, L, -1, depth + 1));
      m._lua_settop(L, top);
    }
    return { t: 'array', v: items };
  } finally {
    m._lua_settop(L, top);
  }
}

/** The entries of the table on top of the stack, each key and value converted (a {map=...} or {set=...} return). */
function readPairs(api: LuaApi, L: number, depth: number): Array<[Reply, Reply]> {
  const m = api.m;
  const table = m._lua_gettop(L);
  const pairs: Array<[Reply, Reply]> = [];
  m._lua_pushnil(L);
  while (m._lua_next(L, table) !== 0) {
    // Keys are read without lua_tolstring on numbers, so lua_next can go on from them.
    pairs.push([readReply(api, L, -2, depth + 1), readReply(api, L, -1, depth + 1)]);
    m._lua_settop(L, -2);
  }
  return pairs;
}

/** An error reply's text: one line, as Redis keeps it. */
export function errorText(s: string): string {
  return s.replace(/[\r\n]/g, ' ');
}
