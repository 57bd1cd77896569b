/**
 * Lua's `cmsgpack`, as lua-cmsgpack 0.4 (Redis's copy) encodes and decodes:
 * pack(...) concatenates one MessagePack object per argument; unpack,
 * unpack_one and unpack_limit read them back. Whole numbers pack as the
 * smallest integer type, others as float32 when exact, else float64; a table
 * whose keys are 1..n is an array, any other a map; tables nest to depth 16,
 * deeper ones pack as nil (so a cycle packs as a bounded deep copy). Part of
 * the prelude (lua-prelude.ts), written with Lua 5.4's string.pack.
 */
export const CMSGPACK_LUA = String.raw`
do
local spack, sunpack, concat, mtype = string.pack, string.unpack, table.concat, math.type
local MAX_NESTING = 16

local function pack_int(n)
  if n >= 0 then
    if n < 128 then return spack('B', n) end
    if n < 0x100 then return spack('>BB', 0xcc, n) end
    if n < 0x10000 then return spack('>BI2', 0xcd, n) end
    if n < 0x100000000 then return spack('>BI4', 0xce, n) end
    return spack('>Bi8', 0xcf, n)
  end
  if n >= -32 then return spack('b', n) end
  if n >= -128 then return spack('>Bb', 0xd0, n) end
  if n >= -32768 then return spack('>Bi2', 0xd1, n) end
  if n >= -2147483648 then return spack('>Bi4', 0xd2, n) end
  return spack('>Bi8', 0xd3, n)
end

local function pack_number(n)
  local i = mtype(n) == 'integer' and n or math.tointeger(n)
  if i then return pack_int(i) end
  if sunpack('<f', spack('<f', n)) == n then return spack('>Bf', 0xca, n) end
  return spack('>Bd', 0xcb, n)
end

local function pack_string(s)
  local len = #s
  if len < 32 then return spack('B', 0xa0 | len) .. s end
  if len < 0x100 then return spack('>BB', 0xd9, len) .. s end
  if len < 0x10000 then return spack('>BI2', 0xda, len) .. s end
  return spack('>BI4', 0xdb, len) .. s
end

local function header(len, small, tag16, tag32)
  if len < 16 then return spack('B', small | len) end
  if len < 0x10000 then return spack('>BI2', tag16, len) end
  return spack('>BI4', tag32, len)
end

-- lua-cmsgpack's test: every key a positive whole number and as many keys as the largest.
local function array_length(t)
  local count, max = 0, 0
  for k in pairs(t) do
    if mtype(k) == 'float' then k = math.tointeger(k) end
    if mtype(k) ~= 'integer' or k < 1 then return nil end
    count = count + 1
    if k > max then max = k end
  end
  if max == count then return max end
  return nil
end

local pack_value
local function pack_table(t, level, out)
  local n = array_length(t)
  if n then
    out[#out + 1] = header(n, 0x90, 0xdc, 0xdd)
    for i = 1, n do pack_value(t[i], level + 1, out) end
    return
  end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  out[#out + 1] = header(count, 0x80, 0xde, 0xdf)
  for k, v in pairs(t) do
    pack_value(k, level + 1, out)
    pack_value(v, level + 1, out)
  end
end

pack_value = function(v, level, out)
  local t = type(v)
  if t == 'table' and level == MAX_NESTING then t = 'nil' end
  if t == 'number' then out[#out + 1] = pack_number(v)
  elseif t == 'string' then out[#out + 1] = pack_string(v)
  elseif t == 'boolean' then out[#out + 1] = v and '\xc3' or '\xc2'
  elseif t == 'table' then pack_table(v, level, out)
  else out[#out + 1] = '\xc0' end
end

local function need(s, pos, n)
  if pos + n - 1 > #s then error('Missing bytes in input.', 0) end
end

local unpack_value
local function unpack_items(s, pos, count, map)
  local t = {}
  for i = 1, count do
    local k, v
    if map then
      k, pos = unpack_value(s, pos)
      v, pos = unpack_value(s, pos)
      if k ~= nil then t[k] = v end
    else
      v, pos = unpack_value(s, pos)
      t[i] = v
    end
  end
  return t, pos
end

local function fixed(s, pos, fmt, size)
  need(s, pos, size)
  return (sunpack(fmt, s, pos)), pos + size
end

local function bytes(s, pos, len)
  need(s, pos, len)
  return s:sub(pos, pos + len - 1), pos + len
end

-- Decodes one object at pos (1-based); returns it and the position after it.
unpack_value = function(s, pos)
  need(s, pos, 1)
  local c = s:byte(pos)
  pos = pos + 1
  if c < 0x80 then return c, pos end
  if c >= 0xe0 then return c - 0x100, pos end
  if c >= 0xa0 and c < 0xc0 then return bytes(s, pos, c & 0x1f) end
  if c >= 0x90 and c < 0xa0 then return unpack_items(s, pos, c & 0x0f, false) end
  if c < 0x90 then return unpack_items(s, pos, c & 0x0f, true) end
  if c == 0xc0 then return nil, pos end
  if c == 0xc2 then return false, pos end
  if c == 0xc3 then return true, pos end
  if c == 0xca then return fixed(s, pos, '>f', 4) end
  if c == 0xcb then return fixed(s, pos, '>d', 8) end
  if c == 0xcc then return fixed(s, pos, '>B', 1) end
  if c == 0xcd then return fixed(s, pos, '>I2', 2) end
  if c == 0xce then return fixed(s, pos, '>I4', 4) end
  if c == 0xcf then return fixed(s, pos, '>i8', 8) end
  if c == 0xd0 then return fixed(s, pos, '>b', 1) end
  if c == 0xd1 then return fixed(s, pos, '>i2', 2) end
  if c == 0xd2 then return fixed(s, pos, '>i4', 4) end
  if c == 0xd3 then return fixed(s, pos, '>i8', 8) end
  local len
  if c == 0xc4 or c == 0xd9 then len, pos = fixed(s, pos, '>B', 1) return bytes(s, pos, len) end
  if c == 0xc5 or c == 0xda then len, pos = fixed(s, pos, '>I2', 2) return bytes(s, pos, len) end
  if c == 0xc6 or c == 0xdb then len, pos = fixed(s, pos, '>I4', 4) return bytes(s, pos, len) end
  if c == 0xdc then len, pos = fixed(s, pos, '>I2', 2) return unpack_items(s, pos, len, false) end
  if c == 0xdd then len, pos = fixed(s, pos, '>I4', 4) return unpack_items(s, pos, len, false) end
  if c == 0xde then len, pos = fixed(s, pos, '>I2', 2) return unpack_items(s, pos, len, true) end
  if c == 0xdf then len, pos = fixed(s, pos, '>I4', 4) return unpack_items(s, pos, len, true) end
  error('Bad data format in input.', 0)
end

-- Up to limit objects (0: all) from a 0-based offset: the next offset (-1 at the end) and the objects.
local function unpack_from(s, limit, offset)
  if type(s) ~= 'string' then error('bad argument #1 to \'unpack\' (string expected, got ' .. type(s) .. ')', 3) end
  if offset < 0 or offset > #s then error('Start offset ' .. offset .. ' greater than input length ' .. #s .. '.', 3) end
  local out, n, pos = {}, 0, offset + 1
  while pos <= #s and (limit == 0 or n < limit) do
    n = n + 1
    out[n], pos = unpack_value(s, pos)
  end
  local next_offset = pos > #s and -1 or pos - 1
  return next_offset, out, n
end

cmsgpack = {
  pack = function(...)
    local n = select('#', ...)
    if n == 0 then error('MessagePack pack needs input.', 2) end
    local out = {}
    for i = 1, n do pack_value((select(i, ...)), 0, out) end
    return concat(out)
  end,
  unpack = function(s)
    local _, out, n = unpack_from(s, 0, 0)
    return table.unpack(out, 1, n)
  end,
  unpack_one = function(s, offset)
    local next_offset, out, n = unpack_from(s, 1, offset or 0)
    return next_offset, table.unpack(out, 1, n)
  end,
  unpack_limit = function(s, limit, offset)
    local next_offset, out, n = unpack_from(s, limit or 0, offset or 0)
    return next_offset, table.unpack(out, 1, n)
  end,
  _NAME = 'cmsgpack', _VERSION = 'lua-cmsgpack 0.4.0',
}
end
`;
