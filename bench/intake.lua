-- wrk script for benchmark (b): each thread sends its own slice of
-- pre-signed deliveries (unique delivery ids), so no two requests collide.
-- args: <threads> <path> <requests file>
local counter = 0
local threads = {}

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local threads, path, file = tonumber(args[1]), args[2], args[3]
   reqs = {}
   local i = 0
   for line in io.lines(file) do
      if i % threads == tid then
         local delivery, signature, body = line:match("([^\t]*)\t([^\t]*)\t(.*)")
         reqs[#reqs + 1] = wrk.format("POST", path, {
            ["Content-Type"] = "application/json",
            ["X-Test-Topic"] = "orders/create",
            ["X-Test-Hmac-Sha256"] = signature,
            ["X-Test-Delivery-Id"] = delivery,
         }, body)
      end
      i = i + 1
   end
   n = 0
end

function request()
   n = n + 1
   if n > #reqs then
      -- Out of unique deliveries: say so rather than send duplicates.
      error("intake.lua: request file exhausted, generate more deliveries")
   end
   return reqs[n]
end

function done(summary, latency, requests)
   local sent = 0
   for _, thread in ipairs(threads) do
      sent = sent + thread:get("n")
   end
   io.write(string.format(
      "WRK sent=%d requests=%d status_errors=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d duration_us=%d\n",
      sent, summary.requests, summary.errors.status, summary.errors.connect, summary.errors.read,
      summary.errors.write, summary.errors.timeout,
      latency:percentile(50), latency:percentile(99), summary.duration))
end
