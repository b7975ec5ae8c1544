-- wrk script of the benchmark: one GET path (BENCH_MODE=get, wrk's own request), GET paths taken in
-- turn from a file (BENCH_MODE=rotate, BENCH_PATHS_FILE: one path per line), or export jobs
-- (BENCH_MODE=export: create and poll alternate; a poll reads the job most recently created).
-- done() prints one line "BENCH_JSON {...}" with the counts and latency percentiles in microseconds.

local mode = os.getenv("BENCH_MODE") or "get"
local create_path = os.getenv("BENCH_CREATE_PATH")
local create_body = os.getenv("BENCH_CREATE_BODY")
local poll_prefix = os.getenv("BENCH_POLL_PREFIX")
local last_id = os.getenv("BENCH_FIRST_ID")
local sent = 0

local function copy(headers)
  local out = {}
  for k, v in pairs(headers) do out[k] = v end
  return out
end

if mode == "rotate" then
  local paths = {}
  for line in io.lines(os.getenv("BENCH_PATHS_FILE")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  request = function()
    sent = sent + 1
    return wrk.format("GET", paths[(sent % #paths) + 1], copy(wrk.headers), nil)
  end
end

if mode == "export" then
  request = function()
    sent = sent + 1
    if sent % 2 == 1 then
      local headers = copy(wrk.headers)
      headers["Content-Type"] = "application/json"
      return wrk.format("POST", create_path, headers, create_body)
    end
    return wrk.format("GET", poll_prefix .. last_id, copy(wrk.headers), nil)
  end

  response = function(status, headers, body)
    local id = string.match(body, '"id"%s*:%s*(%d+)')
    if id then last_id = id end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors_status": %d, '
      .. '"errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_timeout": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
