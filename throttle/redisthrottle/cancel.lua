-- Cancel: give back the count of an allowed attempt that had no outcome.
--
-- KEYS[1]     the "known address" mark
-- KEYS[2..6]  counters user, userip, ip, net, global
-- ARGV[1]     now, Unix ms
-- ARGV[2..26] per counter: on, free, forgive ms, delay ms, max delay ms
local now = tonumber(ARGV[1])
local mark = redis.call('GET', KEYS[1])
local known = mark and tonumber(mark) > now
for i = 1, 5 do
  local b = 2 + (i - 1) * 5
  local key = KEYS[i + 1]
  if ARGV[b] == '1' and not (i == 1 and known) then
    local v = redis.call('HMGET', key, 'n', 't', 'u')
    if v[1] then
      local n, t, u = tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3]) or 0
      local free, forgive, delay, maxd = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
      if t ~= 0 and now > t then
        n = n - (now - t) / forgive
        if n < 0 then n = 0 end
      end
      n = n - 1
      if n < 0 then n = 0 end
      local over = math.ceil(n - 1e-9) - free - 1
      if over < 0 then
        u = 0
      else
        local d = maxd
        if over < 40 then d = math.min(delay * 2 ^ over, maxd) end
        u = math.min(u, now + d)
      end
      local ttl = math.ceil(n * forgive)
      if u - now > ttl then ttl = u - now end
      if ttl < 1 then ttl = 1 end
      redis.call('HSET', key, 'n', string.format('%.17g', n), 't', string.format('%d', now), 'u', string.format('%d', u))
      redis.call('PEXPIRE', key, string.format('%d', ttl))
    end
  end
end
return 0
