-- wrk script of benchmarks/receive.py: form posts with a unique sender and text per request.
-- `wrk ... -s receive_wrk.lua URL -- RUNTAG`: RUNTAG keeps texts unique across runs so the
-- dedupe window never merges two requests; the bench counts rows by it afterwards.
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  tag = args[1] or "run"
  counter = 0
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
end

function request()
  counter = counter + 1
  local n = tid * 10000000 + counter
  local body = string.format("from=%%2B2507%08d&text=wrk+%s+%d", n % 100000000, tag, n)
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "status_errors": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
