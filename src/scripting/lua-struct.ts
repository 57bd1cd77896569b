/**
 * Lua's `struct` library as Redis ships it (Roberto Ierusalimschy's
 * struct.c): pack(fmt, ...), unpack(fmt, data [, init]) and size(fmt), with
 * its format: '<' '>' byte order, '!' and '!n' alignment, 'x' a zero byte,
 * 'b' 'B' 'h' 'H' 'l' 'L' 'T' 'i[n]' 'I[n]' integers (long and size_t are
 * 8 bytes, as on the 64-bit servers Redis runs on, not 4 as in this
 * WebAssembly Lua), 'f' 'd' floats, 's' a zero-terminated string, 'c[n]' n
 * bytes ('c0': the whole string when packing, the previous number's length
 * when unpacking). Integers pack as the low n bytes of their two's
 * complement, floats truncated toward zero as struct.c's C cast does. Each
 * item goes through Lua 5.4's string.pack with an explicit size. Part of the
 * prelude (lua-prelude.ts).
 */
export const STRUCT_LUA = String.raw`
do
local spack, sunpack, concat, rep = string.pack, string.unpack, table.concat, string.rep
local MAXINTSIZE, MAXALIGN = 32, 8

local function truncate(n)
  local i = math.tointeger(n)
  if i then return i end
  if n ~= n or n == math.huge or n == -math.huge then return 0 end
  if n >= 0x1p63 or n < -0x1p63 then return math.tointeger(math.fmod(n, 0x1p64) // 1) or 0 end
  return math.tointeger(n >= 0 and math.floor(n) or math.ceil(n))
end

local function argerror(n, fname, msg)
  error(string.format("bad argument #%d to '%s' (%s)", n, fname, msg), 0)
end

-- A library function whose errors name the script line that called it, as a C function's do.
local function public(fn)
  return function(...)
    local r = table.pack(pcall(fn, ...))
    if not r[1] then error(r[2], 2) end
    return table.unpack(r, 2, r.n)
  end
end

-- Calls item(opt, size, state) for each item of fmt; state holds the byte order and the alignment.
local function each(fmt, fname, item)
  local st = { endian = '<', align = 1 }
  local i, len = 1, #fmt
  while i <= len do
    local c = fmt:sub(i, i)
    i = i + 1
    local function num(default)
      local digits = fmt:match('^%d+', i)
      if not digits then return default end
      i = i + #digits
      return tonumber(digits)
    end
    if c == ' ' then
    elseif c == '>' or c == '<' then st.endian = c
    elseif c == '!' then
      local a = num(MAXALIGN)
      if a & (a - 1) ~= 0 then error(string.format('alignment %d is not a power of 2', a), 0) end
      st.align = a
    elseif c == 'x' or c == 'b' or c == 'B' then item(c, 1, st)
    elseif c == 'h' or c == 'H' then item(c, 2, st)
    elseif c == 'l' or c == 'L' or c == 'T' then item(c, 8, st)
    elseif c == 'i' or c == 'I' then
      local size = num(4)
      if size > MAXINTSIZE then error(string.format('integral size %d is larger than limit of %d', size, MAXINTSIZE), 0) end
      item(c, size, st)
    elseif c == 'f' then item(c, 4, st)
    elseif c == 'd' then item(c, 8, st)
    elseif c == 's' then item(c, 0, st)
    elseif c == 'c' then item(c, num(1), st)
    else argerror(1, fname, string.format("invalid format option '%s'", c)) end
  end
end

-- Bytes of padding before an item of size at pos (0-based), under the alignment in force.
local function padding(opt, size, pos, st)
  if size <= 1 or opt == 'c' then return 0 end
  local a = size < st.align and size or st.align
  return (a - (pos & (a - 1))) & (a - 1)
end


struct = {
  pack = public(function(fmt, ...)
    if type(fmt) ~= 'string' then argerror(1, 'pack', 'string expected') end
    local args = table.pack(...)
    local arg, out, pos = 1, {}, 0
    local function nextarg(kind)
      local v = args[arg]
      arg = arg + 1
      if kind == 'number' then
        local n = tonumber(v)
        if n == nil then argerror(arg, 'pack', 'number expected, got ' .. (arg > args.n + 1 and 'no value' or type(v))) end
        return n
      end
      if type(v) ~= 'string' and type(v) ~= 'number' then argerror(arg, 'pack', 'string expected, got ' .. (arg > args.n + 1 and 'no value' or type(v))) end
      return tostring(v)
    end
    each(fmt, 'pack', function(opt, size, st)
      local pad = padding(opt, size, pos, st)
      if pad > 0 then out[#out + 1] = rep('\0', pad) pos = pos + pad end
      if opt == 'x' then
        out[#out + 1] = '\0'
      elseif opt == 's' then
        local s = nextarg('string')
        out[#out + 1] = s .. '\0'
        size = #s + 1
      elseif opt == 'c' then
        local s = nextarg('string')
        if size == 0 then size = #s end
        if #s < size then argerror(arg + 1, 'pack', 'string too short') end
        out[#out + 1] = s:sub(1, size)
      elseif opt == 'f' or opt == 'd' then
        out[#out + 1] = spack(st.endian .. opt, nextarg('number'))
      else
        local v = truncate(nextarg('number'))
        if size < 8 then
          out[#out + 1] = spack(st.endian .. 'I' .. size, v & ((1 << (8 * size)) - 1))
        else
          -- Past 8 bytes struct.c writes zeros above the value's 64 bits.
          local wide = rep('\0', size - 8)
          out[#out + 1] = st.endian == '>' and wide .. spack('>i8', v) or spack('<i8', v) .. wide
        end
      end
      pos = pos + size
    end)
    return concat(out)
  end),

  unpack = public(function(fmt, data, init)
    if type(fmt) ~= 'string' then argerror(1, 'unpack', 'string expected') end
    if type(data) ~= 'string' then argerror(2, 'unpack', 'string expected') end
    local pos = (math.tointeger(init) or 1) - 1
    if pos < 0 then argerror(3, 'unpack', 'offset must be 1 or greater') end
    local ld = #data
    local res, n = {}, 0
    each(fmt, 'unpack', function(opt, size, st)
      pos = pos + padding(opt, size, pos, st)
      if pos + size > ld then argerror(2, 'unpack', 'data string too short') end
      if opt == 'x' then
      elseif opt == 's' then
        local e = data:find('\0', pos + 1, true)
        if not e then error('unfinished string in data', 0) end
        n = n + 1
        res[n] = data:sub(pos + 1, e - 1)
        size = e - pos
      elseif opt == 'c' then
        if size == 0 then
          if n == 0 or type(res[n]) ~= 'number' then error("format 'c0' needs a previous size", 0) end
          size = truncate(res[n])
          res[n] = nil
          n = n - 1
          if pos + size > ld then argerror(2, 'unpack', 'data string too short') end
        end
        n = n + 1
        res[n] = data:sub(pos + 1, pos + size)
      elseif opt == 'f' or opt == 'd' then
        n = n + 1
        res[n] = sunpack(st.endian .. opt, data, pos + 1)
      else
        local signed = opt == 'b' or opt == 'h' or opt == 'l' or opt == 'i'
        local at = (size > 8 and st.endian == '>') and pos + size - 8 or pos
        local v = sunpack(st.endian .. (signed and 'i' or 'I') .. (size > 8 and 8 or size), data, at + 1)
        -- An unsigned 8-byte value past 2^63 reads as a negative integer here; struct.c answers it as a float.
        if not signed and size >= 8 and v < 0 then v = v + 0x1p64 end
        n = n + 1
        res[n] = v
      end
      pos = pos + size
    end)
    n = n + 1
    res[n] = pos + 1
    return table.unpack(res, 1, n)
  end),

  size = public(function(fmt)
    if type(fmt) ~= 'string' then argerror(1, 'size', 'string expected') end
    local pos = 0
    each(fmt, 'size', function(opt, size, st)
      pos = pos + padding(opt, size, pos, st)
      if opt == 's' then argerror(1, 'size', "option 's' has no fixed size") end
      if opt == 'c' and size == 0 then argerror(1, 'size', "option 'c0' has no fixed size") end
      pos = pos + size
    end)
    return pos
  end),
}
end
`;
