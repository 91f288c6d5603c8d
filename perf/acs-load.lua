-- wrk script for perf/cluster-load.sh: every request POSTs a different pre-signed response to
-- the ACS (BODIES: one form body a line). Thread k of n sends lines k, k+n, k+2n, ... once each,
-- so no response is sent twice; a thread that runs out stops (wrk.thread:stop()), its last
-- request a GET /healthz (200), never a response sent again.
-- Answers other than 303 (and that 200) are counted per thread and printed at the end.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local n = #threads == 0 and tonumber(os.getenv("WRK_THREADS") or "1") or #threads
  bodies, i, other = {}, 0, 0
  local line_no = 0
  for line in io.lines(os.getenv("BODIES")) do
    if line_no % n == id then bodies[#bodies + 1] = line end
    line_no = line_no + 1
  end
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
end

function request()
  if i >= #bodies then
    ran_out = 1
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  i = i + 1
  return wrk.format("POST", "/saml/acs", headers, bodies[i])
end

function response(status, headers, body)
  if status ~= 303 and status ~= 200 then other = other + 1 end
end

function done(summary, latency, requests)
  local o, used, out = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("other")
    used = used + t:get("i")
    out = out + (t:get("ran_out") or 0)
  end
  io.write(string.format("acs-load: responses sent %d, answers other than 303: %d%s\n", used, o,
    out > 0 and " (ran out of responses: sign more)" or ""))
  for _, p in ipairs({ 50, 90, 99 }) do
    io.write(string.format("acs-load: p%d %.1f ms\n", p, latency:percentile(p) / 1000))
  end
end
