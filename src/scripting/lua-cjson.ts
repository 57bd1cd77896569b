/**
 * Lua's `cjson`, as lua-cjson 2.1 (Redis's copy) behaves for what scripts
 * use: encode, decode, null and the settings (depth limits, number
 * precision, invalid numbers, keep_buffer), which persist in the node's Lua
 * state as they do in Redis's. Part of the prelude (lua-prelude.ts).
 */
export const CJSON_LUA = String.raw`
do
local cfg = { encode_max_depth = 1000, decode_max_depth = 1000, precision = 14, keep_buffer = true, encode_invalid = false, decode_invalid = true, sparse_convert = false, sparse_ratio = 2, sparse_safe = 10 }
local json_null = setmetatable({}, { __tostring = function() return 'null' end })
local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t', ['/'] = '\\/' }
local function encode(v, depth)
  local t = type(v)
  if v == nil or v == json_null then return 'null'
  elseif t == 'boolean' then return tostring(v)
  elseif t == 'number' then
    if v ~= v or v == math.huge or v == -math.huge then
      if not cfg.encode_invalid then error('Cannot serialise number: must not be NaN or Inf', 0) end
      if cfg.encode_invalid == 'null' then return 'null' end
      return v ~= v and 'nan' or (v > 0 and 'inf' or '-inf')
    end
    if math.type(v) == 'integer' then return tostring(v) end
    return string.format('%.' .. cfg.precision .. 'g', v)
  elseif t == 'string' then
    return '"' .. v:gsub('[%c"\\/]', function(c) return escapes[c] or string.format('\\u%04x', c:byte()) end) .. '"'
  elseif t == 'table' then
    if depth + 1 > cfg.encode_max_depth then error('Cannot serialise, excessive nesting (' .. (depth + 1) .. ')', 0) end
    local n, max = 0, 0
    for k in pairs(v) do
      if type(k) ~= 'number' or k < 1 or math.floor(k) ~= k then max = -1 break end
      n = n + 1
      if k > max then max = k end
    end
    local out = {}
    -- An array whose length is past sparse_safe and sparse_ratio times its items is excessively sparse.
    local sparse = max >= 0 and cfg.sparse_ratio > 0 and max > cfg.sparse_safe and max > n * cfg.sparse_ratio
    if sparse and not cfg.sparse_convert then error('Cannot serialise table: excessively sparse array', 0) end
    if max >= 0 and not sparse then
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
  local depth = 0
  local function nest()
    depth = depth + 1
    if depth > cfg.decode_max_depth then error('Found too many nested data structures (' .. depth .. ') at character ' .. pos, 0) end
  end
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
      nest()
      pos = pos + 1 ws()
      if s:sub(pos, pos) == '}' then pos = pos + 1 depth = depth - 1 return t end
      while true do
        ws()
        if s:sub(pos, pos) ~= '"' then fail('object key string') end
        local k = str() ws()
        if s:sub(pos, pos) ~= ':' then fail('colon') end
        pos = pos + 1
        t[k] = value() ws()
        local d = s:sub(pos, pos) pos = pos + 1
        if d == '}' then depth = depth - 1 return t end
        if d ~= ',' then fail('comma or object end') end
      end
    elseif c == '[' then
      local t, n = {}, 0
      nest()
      pos = pos + 1 ws()
      if s:sub(pos, pos) == ']' then pos = pos + 1 depth = depth - 1 return t end
      while true do
        n = n + 1
        t[n] = value() ws()
        local d = s:sub(pos, pos) pos = pos + 1
        if d == ']' then depth = depth - 1 return t end
        if d ~= ',' then fail('comma or array end') end
      end
    elseif c == '"' then return str()
    elseif s:sub(pos, pos + 3) == 'true' then pos = pos + 4 return true
    elseif s:sub(pos, pos + 4) == 'false' then pos = pos + 5 return false
    elseif s:sub(pos, pos + 3) == 'null' then pos = pos + 4 return json_null
    end
    if cfg.decode_invalid then
      local word = s:match('^-?[%a]+', pos)
      local special = ({ nan = 0 / 0, ['-nan'] = 0 / 0, inf = math.huge, ['-inf'] = -math.huge, infinity = math.huge, ['-infinity'] = -math.huge })[word and word:lower()]
      if special then pos = pos + #word return special end
    end
    local num = s:match('^-?%d+%.?%d*[eE]?[-+]?%d*', pos)
    if not num or num == '' then fail('value') end
    pos = pos + #num
    local n = tonumber(num) or fail('value')
    -- Lua 5.1 has one number type: a whole number reads back as one (tostring(0.0) is '0').
    return math.tointeger(n) or n
  end
  local v = value() ws()
  if pos <= #s then fail('the end') end
  return v
end

-- lua-cjson's settings: each call sets (when given a value) and returns the setting.
local function setting(name, n, min, max)
  if n ~= nil then
    n = tonumber(n)
    if not n or n < min or n > max or math.floor(n) ~= n then error('bad argument #1 to \'' .. name .. '\' (expected integer between ' .. min .. ' and ' .. max .. ')', 3) end
    cfg[name] = math.tointeger(n)
  end
  return cfg[name]
end
local function switch(name, on, allow_null)
  if on ~= nil then
    if allow_null and on == 'null' then cfg[name] = 'null'
    elseif type(on) == 'boolean' then cfg[name] = on
    elseif on == 'on' or on == 'off' then cfg[name] = on == 'on'
    else error('bad argument #1 to \'' .. name .. '\' (invalid option \'' .. tostring(on) .. '\')', 3) end
  end
  return cfg[name]
end

cjson = {
  encode = function(v) return encode(v, 0) end,
  decode = function(s)
    if type(s) ~= 'string' then error('bad argument #1 to \'decode\' (string expected)', 2) end
    return decode(s)
  end,
  null = json_null,
  encode_max_depth = function(n) return setting('encode_max_depth', n, 1, 2147483647) end,
  decode_max_depth = function(n) return setting('decode_max_depth', n, 1, 2147483647) end,
  encode_number_precision = function(n) return setting('precision', n, 1, 14) end,
  encode_keep_buffer = function(on) return switch('keep_buffer', on) end,
  encode_invalid_numbers = function(on) return switch('encode_invalid', on, true) end,
  decode_invalid_numbers = function(on) return switch('decode_invalid', on) end,
  encode_sparse_array = function(convert, ratio, safe)
    switch('sparse_convert', convert)
    setting('sparse_ratio', ratio, 0, 2147483647)
    setting('sparse_safe', safe, 0, 2147483647)
    return cfg.sparse_convert, cfg.sparse_ratio, cfg.sparse_safe
  end,
}
end
`;
