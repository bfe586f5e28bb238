-- Check-ins at the desk's JSON API (POST /api/onsite/queues/{id}/checkins), as scanners
-- would send them: new codes alternating between the session's two queues, and every
-- RESCAN_EVERY-th request a rescan of a code sent RESCAN_BACK requests earlier, at the other
-- queue (it answers 200 with the number it already has). When the slice of new codes is
-- used up the thread stops and says so in a file, so a run numbers exactly its slice. One wrk thread (-t1): the
-- counters live in that thread's Lua state.
--
-- Environment: GRADPHOTO_BENCH_DIR (codes, token, queues from prepare.py),
-- GRADPHOTO_BENCH_FROM (first code, 0-based), GRADPHOTO_BENCH_COUNT (new codes to send).
local dir = os.getenv("GRADPHOTO_BENCH_DIR")
local from = tonumber(os.getenv("GRADPHOTO_BENCH_FROM") or "0")
local count = tonumber(os.getenv("GRADPHOTO_BENCH_COUNT") or "1000")
local RESCAN_EVERY = 10
local RESCAN_BACK = 50

local function lines(name)
  local out = {}
  for l in io.lines(dir .. "/" .. name) do
    if l ~= "" then out[#out + 1] = l end
  end
  return out
end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  local all = lines("codes")
  codes = {}
  for i = from + 1, math.min(from + count, #all) do codes[#codes + 1] = all[i] end
  local q = lines("queues")
  queues = { q[1], q[2] }
  token = lines("token")[1]
  sent, next_new, verified = 0, 1, false
  created, rescanned, refused, other = 0, 0, 0, 0
  last_body = ""
end

local function post(queue, code)
  return wrk.format("POST", "/api/onsite/queues/" .. queue .. "/checkins",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" },
    '{"code":"' .. code .. '"}')
end

function request()
  -- wrk calls request() once before any connection, to see whether it pipelines: that
  -- request is never sent, so it must not use up a code.
  if not verified then
    verified = true
    return post(queues[1], codes[1])
  end
  sent = sent + 1
  local n = next_new
  if (sent % RESCAN_EVERY == 0 and n > RESCAN_BACK) or n > #codes then
    local old = math.max(1, n - RESCAN_BACK)
    return post(queues[(old % 2) + 1], codes[old])
  end
  next_new = n + 1
  return post(queues[((n - 1) % 2) + 1], codes[n])
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status == 200 then
    rescanned = rescanned + 1
  elseif status >= 400 and status < 500 then
    refused = refused + 1
    last_body = body
  else
    other = other + 1
    last_body = body
  end
  -- Every new code answered (refusals count: a refused code is not retried).
  if created + refused + other >= #codes and not finished then
    finished = true
    -- wrk runs for its whole -d; run stops it (SIGINT, which reports the time actually
    -- elapsed) when this file appears.
    local f = io.open(dir .. "/done-" .. from, "w")
    if f then f:close() end
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  local t = threads[1]
  local c, r, f, o = t:get("created"), t:get("rescanned"), t:get("refused"), t:get("other")
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + f + o
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f new=%d new_per_s=%.1f rescans=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d\n",
    summary.requests, secs, summary.requests / secs, c, c / secs, r,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors))
  if f + o > 0 then io.write("LAST_ERROR " .. tostring(t:get("last_body")) .. "\n") end
end
