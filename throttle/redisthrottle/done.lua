-- Done after a success: reset the username+address counter (and the
-- username counter when the address was not known), mark the address as
-- known for the user, and give the reservation back on the others.
--
-- KEYS[1]     the "known address" mark
-- KEYS[2..6]  counters user, userip, ip, net, global
-- ARGV[1]     now, Unix ms
-- ARGV[2]     how long the mark lasts, ms
-- ARGV[3..17] for ip, net, global: on, free, forgive ms, delay ms, max delay ms
local now = tonumber(ARGV[1])
local mark = redis.call('GET', KEYS[1])
if not (mark and tonumber(mark) > now) then
  -- the username counter applied to this address (see throttle.Limiter.Done)
  redis.call('DEL', KEYS[2])
end
redis.call('DEL', KEYS[3])
redis.call('SET', KEYS[1], string.format('%d', now + tonumber(ARGV[2])), 'PX', ARGV[2])
for i = 1, 3 do
  local b = 3 + (i - 1) * 5
  local key = KEYS[i + 3]
  if ARGV[b] == '1' then
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
