-- Allow: check every counter of an attempt; when none imposes a wait, count
-- the attempt on all of them. The arithmetic is that of package throttle.
--
-- KEYS[1]     the "known address" mark (value: its expiry, Unix ms)
-- KEYS[2..6]  counters user, userip, ip, net, global (hashes n, t, u)
-- ARGV[1]     now, Unix ms
-- ARGV[2..26] per counter: on ("1"/"0"), free, forgive ms, delay ms, max delay ms
-- returns the wait in ms (0: allowed and counted)
local now = tonumber(ARGV[1])
local mark = redis.call('GET', KEYS[1])
local known = mark and tonumber(mark) > now
local wait = 0
local live = {}
for i = 1, 5 do
  local b = 2 + (i - 1) * 5
  if ARGV[b] == '1' and not (i == 1 and known) then
    local v = redis.call('HMGET', KEYS[i + 1], 'n', 't', 'u')
    local u = tonumber(v[3]) or 0
    if u - now > wait then wait = u - now end
    live[#live + 1] = {KEYS[i + 1], tonumber(v[1]) or 0, tonumber(v[2]) or 0,
      tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])}
  end
end
if wait > 0 then return wait end
for _, c in ipairs(live) do
  local key, n, t, free, forgive, delay, maxd = c[1], c[2], c[3], c[4], c[5], c[6], c[7]
  if t ~= 0 and now > t then
    n = n - (now - t) / forgive
    if n < 0 then n = 0 end
  end
  n = n + 1
  local u = 0
  local over = math.ceil(n - 1e-9) - free - 1
  if over >= 0 then
    local d = maxd
    if over < 40 then d = math.min(delay * 2 ^ over, maxd) end
    u = now + d
  end
  local ttl = math.ceil(n * forgive)
  if u - now > ttl then ttl = u - now end
  if ttl < 1 then ttl = 1 end
  redis.call('HSET', key, 'n', string.format('%.17g', n), 't', string.format('%d', now), 'u', string.format('%d', u))
  redis.call('PEXPIRE', key, string.format('%d', ttl))
end
return 0
