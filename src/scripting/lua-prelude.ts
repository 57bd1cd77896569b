/**
 * Lua run once when a node's Lua state is made: the `redis` table around the
 * native redis.call and redis.pcall, what Redis scripts expect of Lua 5.1 (unpack,
 * table.getn, math.pow, bit, cjson), Redis 7's error handler (it records the
 * script line an error came from), and the sandbox: no io, os, package,
 * require, dofile, loadfile, load or debug, and a global table that refuses
 * new globals and reads of undefined ones with Redis's texts.
 */
export const PRELUDE = String.raw`
local native_call, native_pcall, native_sha1, native_log, native_setresp = ...
local dbg, setmetatable, type, tostring, error, select = debug, setmetatable, type, tostring, error, select

redis = {
  call = native_call,
  pcall = native_pcall,
  error_reply = function(msg)
    if type(msg) ~= 'string' then error('wrong number or type of arguments', 2) end
    return { err = msg }
  end,
  status_reply = function(msg)
    if type(msg) ~= 'string' then error('wrong number or type of arguments', 2) end
    return { ok = msg }
  end,
  sha1hex = function(s)
    if type(s) ~= 'string' and type(s) ~= 'number' then error('wrong number of arguments', 2) end
    return native_sha1(s)
  end,
  log = function(level, ...)
    if select('#', ...) == 0 then error('redis.log() requires two arguments or more.', 2) end
    if type(level) ~= 'number' or level < 0 or level > 3 then error('Invalid debug level.', 2) end
    local parts = {}
    for i = 1, select('#', ...) do parts[i] = tostring((select(i, ...))) end
    native_log(level, table.concat(parts, ' '))
  end,
  setresp = function(v)
    if v ~= 2 and v ~= 3 then error('RESP version must be 2 or 3.', 2) end
    native_setresp(v)
  end,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = '7.0.15', REDIS_VERSION_NUM = 0x07000f,
}

unpack = table.unpack
table.getn = function(t) return #t end
math.pow = function(a, b) return a ^ b end
math.mod = math.fmod

local function tobit(x)
  x = math.floor(tonumber(x)) & 0xffffffff
  if x >= 0x80000000 then x = x - 0x100000000 end
  return x
end
local function fold(op)
  return function(a, ...)
    local r = tobit(a)
    for i = 1, select('#', ...) do r = tobit(op(r, tobit((select(i, ...))))) end
    return r
  end
end
bit = {
  tobit = tobit,
  band = fold(function(a, b) return a & b end),
  bor = fold(function(a, b) return a | b end),
  bxor = fold(function(a, b) return a ~ b end),
  bnot = function(a) return tobit(~tobit(a)) end,
  lshift = function(a, n) return tobit((tobit(a) & 0xffffffff) << (tobit(n) & 31)) end,
  rshift = function(a, n) return tobit((tobit(a) & 0xffffffff) >> (tobit(n) & 31)) end,
  arshift = function(a, n) return tobit(tobit(a) // (1 << (tobit(n) & 31))) end,
  tohex = function(a, n)
    n = n or 8
    local s = string.format('%08x', tobit(a) & 0xffffffff)
    if n < 0 then return string.upper(s:sub(-(-n))) end
    return s:sub(-n)
  end,
}

-- cjson: encode and decode as lua-cjson does for the shapes scripts use.
local json_null = setmetatable({}, { __tostring = function() return 'null' end })
local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t', ['/'] = '\\/' }
local function encode(v, depth)
  if depth > 1000 then error('Cannot serialise, excessive nesting (1001)', 0) end
  local t = type(v)
  if v == nil or v == json_null then return 'null'
  elseif t == 'boolean' then return tostring(v)
  elseif t == 'number' then
    if v ~= v or v == math.huge or v == -math.huge then error('Cannot serialise number: must not be NaN or Inf', 0) end
    if math.type(v) == 'integer' then return tostring(v) end
    return string.format('%.14g', v)
  elseif t == 'string' then
    return '"' .. v:gsub('[%c"\\/]', function(c) return escapes[c] or string.format('\\u%04x', c:byte()) end) .. '"'
  elseif t == 'table' then
    local n, max = 0, 0
    for k in pairs(v) do
      if type(k) ~= 'number' or k < 1 or math.floor(k) ~= k then max = -1 break end
      n = n + 1
      if k > max then max = k end
    end
    local out = {}
    if max >= 0 and (n > 0 or next(v) == nil) and max <= n * 2 + 10 then
      if n == 0 then return '{}' end
      for i = 1, max do out[i] = encode(v[i], depth + 1) end
      return '[' .. table.concat(out, ',') .. ']'
    end
    for k, val in pairs(v) do
      if type(k) ~= 'string' and type(k) ~= 'number' then error('Cannot serialise table: table key must be a number or string', 0) end
      out[#out + 1] = encode(tostring(k), depth + 1) .. ':' .. encode(val, depth + 1)
    end
    return '{' .. table.concat(out, ',') .. '}'
  end
  error('Cannot serialise ' .. t .. ': type not supported', 0)
end

local function decode(s)
  local pos = 1
  local function fail(what) error('Expected ' .. what .. ' but found invalid token at character ' .. pos, 0) end
  local function ws() pos = s:find('[^ \t\r\n]', pos) or #s + 1 end
  local value
  local function str()
    local out, i = {}, pos + 1
    while true do
      local c = s:sub(i, i)
      if c == '' then fail('string') end
      if c == '"' then pos = i + 1 return table.concat(out) end
      if c == '\\' then
        local e = s:sub(i + 1, i + 1)
        local map = { b = '\b', f = '\f', n = '\n', r = '\r', t = '\t', ['"'] = '"', ['\\'] = '\\', ['/'] = '/' }
        if e == 'u' then
          out[#out + 1] = utf8.char(tonumber(s:sub(i + 2, i + 5), 16) or fail('unicode escape'))
          i = i + 6
        else
          out[#out + 1] = map[e] or fail('escape')
          i = i + 2
        end
      else
        out[#out + 1] = c
        i = i + 1
      end
    end
  end
  value = function()
    ws()
    local c = s:sub(pos, pos)
    if c == '{' then
      local t = {}
      pos = pos + 1 ws()
      if s:sub(pos, pos) == '}' then pos = pos + 1 return t end
      while true do
        ws()
        if s:sub(pos, pos) ~= '"' then fail('object key string') end
        local k = str() ws()
        if s:sub(pos, pos) ~= ':' then fail('colon') end
        pos = pos + 1
        t[k] = value() ws()
        local d = s:sub(pos, pos) pos = pos + 1
        if d == '}' then return t end
        if d ~= ',' then fail('comma or object end') end
      end
    elseif c == '[' then
      local t, n = {}, 0
      pos = pos + 1 ws()
      if s:sub(pos, pos) == ']' then pos = pos + 1 return t end
      while true do
        n = n + 1
        t[n] = value() ws()
        local d = s:sub(pos, pos) pos = pos + 1
        if d == ']' then return t end
        if d ~= ',' then fail('comma or array end') end
      end
    elseif c == '"' then return str()
    elseif s:sub(pos, pos + 3) == 'true' then pos = pos + 4 return true
    elseif s:sub(pos, pos + 4) == 'false' then pos = pos + 5 return false
    elseif s:sub(pos, pos + 3) == 'null' then pos = pos + 4 return json_null
    end
    local num = s:match('^-?%d+%.?%d*[eE]?[-+]?%d*', pos)
    if not num or num == '' then fail('value') end
    pos = pos + #num
    return tonumber(num) or fail('value')
  end
  local v = value() ws()
  if pos <= #s then fail('the end') end
  return v
end

cjson = {
  encode = function(v) return encode(v, 0) end,
  decode = function(s)
    if type(s) ~= 'string' then error('bad argument #1 to \'decode\' (string expected)', 2) end
    return decode(s)
  end,
  null = json_null,
}

-- Redis 7's error handler: errors become {err=...} tables that remember the user script's line.
function __redis__err__handler(err)
  local i, level = nil, 2
  while true do
    local info = dbg.getinfo(level, 'Sl')
    if not info then break end
    if info.source == '@user_script' then i = info break end
    level = level + 1
  end
  if type(err) ~= 'table' then err = { err = 'ERR ' .. tostring(err) } end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end

io, os, package, require, dofile, loadfile, load, debug = nil, nil, nil, nil, nil, nil, nil, nil
local allowed_nil = { loadstring = true, __qkv_env = true }
setmetatable(_G, {
  __index = function(_, k)
    if allowed_nil[k] then return nil end
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
  __metatable = false,
})

local xpcall, handler = xpcall, __redis__err__handler
return function(f) return xpcall(f, handler) end
`;
