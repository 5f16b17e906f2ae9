-- wrk script for the ceiling: Odoo's own /web/health on the same server.
function done(summary, latency, requests)
   io.write(string.format(
      "WRK requests=%d status_errors=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d duration_us=%d\n",
      summary.requests, summary.errors.status, summary.errors.connect, summary.errors.read,
      summary.errors.write, summary.errors.timeout,
      latency:percentile(50), latency:percentile(99), summary.duration))
end
