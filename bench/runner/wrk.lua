-- wrk script for scripts/bench.sh: one request shape, set from the environment,
-- and a machine-readable summary line.
--
--   BENCH_METHOD       GET or POST (default GET)
--   BENCH_BODY_FILE    file whose bytes are the request body
--   BENCH_CT           Content-Type of the body
--   BENCH_AUTH         Authorization header value
--   BENCH_STOP_AFTER   stop each thread after this many responses and print
--                      BENCH_STOPPED (the runner then interrupts wrk, which
--                      otherwise waits out -d); 0: run for -d

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local ct = os.getenv("BENCH_CT")
if ct and ct ~= "" then wrk.headers["Content-Type"] = ct end
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
local bodyFile = os.getenv("BENCH_BODY_FILE")
if bodyFile and bodyFile ~= "" then
  local f = assert(io.open(bodyFile, "rb"))
  wrk.body = f:read("*a")
  f:close()
end

local stopAfter = tonumber(os.getenv("BENCH_STOP_AFTER") or "0") or 0
if stopAfter > 0 then
  local seen = 0
  function response(status, headers, body)
    seen = seen + 1
    if seen == stopAfter then
      io.write("BENCH_STOPPED\n")
      io.stdout:flush()
      wrk.thread:stop()
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), math.floor(latency.mean),
    e.status, e.connect + e.read + e.write + e.timeout))
end
