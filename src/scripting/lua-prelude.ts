import { CJSON_LUA } from './lua-cjson.js';
import { CMSGPACK_LUA } from './lua-cmsgpack.js';
import { STRUCT_LUA } from './lua-struct.js';
import { SANDBOX_LUA } from './lua-sandbox.js';

/**
 * Lua run once when a node's Lua state is made: the `redis` table around the
 * native redis.call and redis.pcall, what Redis scripts expect of Lua 5.1 (unpack,
 * table.getn, math.pow, bit, cjson, cmsgpack, struct), Redis 7's error handler (it
 * records the script line an error came from), and the sandbox
 * (lua-sandbox.ts): read-only globals and libraries, no I/O.
 */
/** What a script stopped by SCRIPT KILL fails with (raised from the instruction-count hook). */
export const SCRIPT_KILLED = 'Script killed by user with SCRIPT KILL...';

export const PRELUDE = String.raw`
local native_call, native_pcall, native_sha1, native_log, native_setresp, native_acl_check = ...
local dbg, setmetatable, type, tostring, error, select = debug, setmetatable, type, tostring, error, select
local runner_xpcall = xpcall

redis = {
  call = native_call,
  pcall = native_pcall,
  -- As Redis 7: '-CODE text' keeps its code, text without a space gets ERR.
  error_reply = function(msg)
    if type(msg) ~= 'string' then error('wrong number or type of arguments', 2) end
    local s = msg:sub(1, 1) == '-' and msg or '-' .. msg
    local space = s:find(' ', 1, true)
    local code, text = 'ERR', s:sub(2)
    if space then code, text = s:sub(2, space - 1), s:sub(space + 1) end
    text = text:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', '')
    return { err = code .. ' ' .. text }
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
  acl_check_cmd = native_acl_check,
  setresp = function(v)
    if v ~= 2 and v ~= 3 then error('RESP version must be 2 or 3.', 2) end
    native_setresp(v)
  end,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = '7.0.15', REDIS_VERSION_NUM = 0x07000f,
}

-- SCRIPT KILL's error passes through pcall and xpcall, so a script that catches every error still stops.
do
  local raw_pcall, raw_xpcall, killed = pcall, xpcall, '${SCRIPT_KILLED}'
  local function rethrow_kill(ok, ...)
    if not ok and (...) == killed then error(killed, 0) end
    return ok, ...
  end
  pcall = function(...) return rethrow_kill(raw_pcall(...)) end
  xpcall = function(f, handler, ...)
    return rethrow_kill(raw_xpcall(f, function(e) if e == killed then return e end return handler(e) end, ...))
  end
end

-- Scripts leave short-lived garbage (their coroutine, KEYS, ARGV, replies): a generational collector frees it young.
collectgarbage('generational')

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

${CJSON_LUA}
${CMSGPACK_LUA}
${STRUCT_LUA}
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

${SANDBOX_LUA}
local handler = __redis__err__handler
return function(f) return runner_xpcall(f, handler) end
`;
