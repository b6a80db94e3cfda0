-- wrk script for bench/run's intake comparison: POSTs one signed GitHub
-- delivery (the body is fixed, so its X-Hub-Signature-256, computed by
-- bench/run with openssl, is too) with a fresh X-GitHub-Delivery on every
-- request, then prints the figures bench/run collects.
-- env: BODY_FILE, SIGNATURE (sha256=<hex>), RUN_ID (unique per run)
local counter = 0
local threads = {}
local prefix = ""

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-GitHub-Event"] = "issues"
  wrk.headers["X-Hub-Signature-256"] = os.getenv("SIGNATURE")
  wrk.headers["User-Agent"] = "GitHub-Hookshot/bench"
  prefix = os.getenv("RUN_ID") .. "-" .. tostring(tid) .. "-"
end

function request()
  counter = counter + 1
  wrk.headers["X-GitHub-Delivery"] = prefix .. counter
  return wrk.format()
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT requests=%d non2xx=%d socket_errors=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99), latency.max))
end
