import t from 'tap';
import { LuaApi, LuaType, loadLuaModule } from '../../src/scripting/lua-api.js';

/** The byte-level helpers over wasmoon's C API: strings in and out unchanged, tables by relative or absolute index. */

const m = await loadLuaModule();
const api = new LuaApi(m);
const L = m._luaL_newstate();

t.test('byte strings of any size go in and come out unchanged', async (t) => {
  const state = L;
  const big = Buffer.alloc(100_000, 7);
  api.pushBytes(state, 'small');
  api.pushBytes(state, big);
  api.pushBytes(state, Buffer.from([0, 1, 2]));
  t.same(api.toBytes(state, -1), Buffer.from([0, 1, 2]));
  t.same(api.toBytes(state, -2), big);
  t.equal(api.toText(state, -3), 'small');
  m._lua_pushnil(state);
  t.same(api.toBytes(state, -1), Buffer.alloc(0), 'nil reads as no bytes');
  m._lua_settop(state, 0);
});

t.test('table fields by relative and absolute index', async (t) => {
  const state = L;
  m._lua_createtable(state, 0, 1);
  api.pushBytes(state, 'v');
  api.setRawField(state, -2, 'f');
  t.equal(api.rawField(state, -1, 'f'), LuaType.String, 'relative index');
  t.equal(api.toText(state, -1), 'v');
  t.equal(api.rawField(state, 1, 'f'), LuaType.String, 'absolute index');
  t.equal(api.rawField(state, 1, 'missing'), LuaType.Nil);
  m._lua_settop(state, 0);
});
