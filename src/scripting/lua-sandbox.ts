/**
 * The end of the prelude (lua-prelude.ts): the sandbox Redis 7 puts scripts
 * in. No io, os, package, require, dofile, loadfile, load, debug or print;
 * reading an undefined global is an error; and the globals and the library
 * tables (redis, cjson, cmsgpack, struct, bit, string, table, math, ...) are read-only,
 * so one script cannot change what the next one runs ('Attempt to modify a
 * readonly table'). Lua 5.4 has no read-only flag, so the global table is
 * emptied into a backing table it reads through, each library table is
 * replaced by an empty view of it, and setmetatable and rawset refuse both.
 */
export const SANDBOX_LUA = String.raw`
do
io, os, package, require, dofile, loadfile, load, debug, print = nil, nil, nil, nil, nil, nil, nil, nil, nil
local raw_setmetatable, raw_rawset, next, type, error, tostring = setmetatable, rawset, next, type, error, tostring
local readonly = raw_setmetatable({}, { __mode = 'k' })
local function deny() error('Attempt to modify a readonly table', 2) end

-- The metatable of a table that reads through to 'index', refuses writes and iterates 'items'.
local function readonly_metatable(index, items)
  local mt = {
    __index = index,
    __newindex = deny,
    __pairs = function() return next, items, nil end,
    __len = function() return #items end,
  }
  local mt_view = raw_setmetatable({}, { __index = mt, __newindex = deny, __metatable = false })
  readonly[mt_view] = true
  mt.__metatable = mt_view
  return mt
end

-- An empty table in place of t: reads go to t, writes are refused.
local function view(t)
  local proxy = raw_setmetatable({}, readonly_metatable(t, t))
  readonly[proxy] = true
  return proxy
end

_G.setmetatable = function(t, mt)
  if readonly[t] then error('Attempt to modify a readonly table', 2) end
  return raw_setmetatable(t, mt)
end
_G.rawset = function(t, k, v)
  if readonly[t] then error('Attempt to modify a readonly table', 2) end
  return raw_rawset(t, k, v)
end

local G = _G
local globals = {}
for k, v in next, G do globals[k] = v end
for k in next, globals do G[k] = nil end
for k, v in next, globals do
  if type(v) == 'table' and v ~= G then globals[k] = view(v) end
end
local allowed_nil = { loadstring = true }
raw_setmetatable(globals, {
  __index = function(_, k)
    if allowed_nil[k] then return nil end
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end,
})
-- KEYS and ARGV are set on G itself, raw, before each script runs.
raw_setmetatable(G, readonly_metatable(globals, globals))
readonly[G] = true
end
`;
