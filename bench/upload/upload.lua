-- One student's photo upload (POST /student/photo, multipart), over and over: the body,
-- its content type and the session's cookies come from prepare.py.
local dir = os.getenv("GRADPHOTO_BENCH_DIR")
local function slurp(name)
  local f = assert(io.open(dir .. "/" .. name, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end
wrk.method = "POST"
wrk.body = slurp("body")
wrk.headers["Content-Type"] = slurp("content-type")
wrk.headers["Cookie"] = slurp("cookie")

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.2f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f errors=%d non2xx3xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors, summary.errors.status))
end
