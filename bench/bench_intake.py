"""Benchmark (b) and (c): webhook intake under load, beside Odoo's ceiling.

``python3 bench/bench_intake.py <odoo-bin> <odoo.conf> <database> <seconds>``:
sets up a test-channel backend, starts Odoo with two HTTP workers and no job
runner (the queue absorbs the burst, as at peak), loads Odoo's own
``/web/health`` and then the webhook with wrk (50 connections, each request a
unique signed delivery), counts stored events, reads the workers' resident
memory before and after, then starts queue_job's runner and times the drain.
Prints one JSON line.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

HERE = Path(__file__).resolve().parent
PORT = int(os.environ.get("BENCH_HTTP_PORT", "8169"))
SECRET = "bench-webhook-secret"
CONNECTIONS, THREADS = 50, 2
WARM_SECONDS = 30


def setup_backend(database):
    registry = Registry(database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        backend = env["integration.backend"].create(
            {
                "name": "Intake bench",
                "code": f"intake_{int(time.time())}",
                "channel_type": "test_channel",
                "state": "active",
            }
        )
        backend.default_partner_id = env["res.partner"].create({"name": "Intake customer"})
        env["integration.credential"]._store_secret(backend, "webhook_secret", SECRET)
        for sku in ("BENCH-A", "BENCH-B", "BENCH-C"):
            if not env["product.product"].search([("default_code", "=", sku)]):
                env["product.product"].create({"name": sku, "default_code": sku, "type": "consu"})
        cr.commit()
        return backend.id, backend.sudo().webhook_token


def write_requests(path, count):
    with open(path, "w") as out:
        for number in range(count):
            body = json.dumps(
                {
                    "id": 8_000_000 + number,
                    "name": f"#{800000 + number}",
                    "currency": "USD",
                    "created_at": "2026-11-20T10:00:00Z",
                    "financial_status": "paid",
                    "total": 40.0,
                    "lines": [
                        {"sku": "BENCH-A", "qty": 1, "price": 10.0},
                        {"sku": "BENCH-B", "qty": 1, "price": 10.0},
                        {"sku": "BENCH-C", "qty": 2, "price": 10.0},
                    ],
                },
                separators=(",", ":"),
            )
            signature = base64.b64encode(
                hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()
            ).decode()
            out.write(f"bench-{number}\t{signature}\t{body}\n")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_odoo(odoo_bin, conf, database, with_runner):
    modules = "base,web,queue_job" if with_runner else "base,web"
    args = [
        sys.executable,
        odoo_bin,
        "-c",
        conf,
        "-d",
        database,
        "--workers=2",
        f"--http-port={PORT}",
        # Beside another Odoo on this machine: its own longpolling port too.
        f"--gevent-port={free_port()}",
        "--http-interface=127.0.0.1",
        "--max-cron-threads=0",
        f"--load={modules}",
        "--log-level=info",
    ]
    log = open(Path(conf).parent / "bench-odoo.log", "a")  # noqa: SIM115 - lives with the server
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/web/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    stop_odoo(proc)
    raise RuntimeError("Odoo did not start for the intake benchmark")


def stop_odoo(proc):
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def worker_rss_kb(proc):
    """Resident size of each HTTP worker (children of the prefork master)."""
    sizes = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        ppid = int(re.search(r"^PPid:\s+(\d+)", status, re.M).group(1))
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        # HTTP workers (which also run the jobs), not the longpolling process
        # (started as ``odoo-bin gevent``; workers share the master's options).
        if ppid == proc.pid and b"gevent" not in cmdline.split(b"\0"):
            sizes.append(int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1)))
    return sizes


def wrk(url, seconds, script, *script_args):
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    if script_args:
        command += ["--", *map(str, script_args)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    line = next((line for line in proc.stdout.splitlines() if line.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(
            f"wrk printed no result line: {proc.stderr[-2000:] or proc.stdout[-2000:]}"
        )
    values = dict(pair.split("=") for pair in line[4:].split())
    values = {key: int(value) for key, value in values.items()}
    errors = sum(values[k] for k in ("status_errors", "connect", "read", "write", "timeout"))
    values["ok"] = values["requests"] - errors
    values["rps"] = values["ok"] / (values["duration_us"] / 1e6)
    return values


def count_events(database, backend_id, states=None):
    registry = Registry(database)
    with registry.cursor() as cr:
        query = "SELECT count(*) FROM integration_event WHERE backend_id = %s"
        params = [backend_id]
        if states:
            query += " AND state = ANY(%s)"
            params.append(list(states))
        cr.execute(query, params)
        return cr.fetchone()[0]


def main(odoo_bin, conf, database, seconds):
    config.parse_config(["-c", conf, "-d", database])
    backend_id, token = setup_backend(database)
    requests_file = Path(tempfile.mkdtemp()) / "deliveries.tsv"
    # Unique deliveries for the whole run, with room: each of wrk's threads
    # sends its own half, and 700 a second ran out once the route got faster.
    write_requests(requests_file, max(20000, 2000 * seconds))
    result = {}
    proc = start_odoo(odoo_bin, conf, database, with_runner=False)
    try:
        base = f"http://127.0.0.1:{PORT}"
        wrk(f"{base}/web/health", 3, HERE / "health.lua")  # warm the workers
        result["rss_before_kb"] = worker_rss_kb(proc)
        result["health"] = wrk(f"{base}/web/health", seconds, HERE / "health.lua")
        path = f"/integration/webhook/{token}"
        result["webhook"] = wrk(
            f"{base}{path}", seconds, HERE / "intake.lua", THREADS, path, requests_file
        )
        result["rss_after_kb"] = worker_rss_kb(proc)
    finally:
        stop_odoo(proc)
    result["stored_events"] = count_events(database, backend_id)
    backlog = count_events(database, backend_id, ("received", "processing"))
    limit = float(os.environ.get("BENCH_DRAIN_SECONDS", "300"))
    proc = start_odoo(odoo_bin, conf, database, with_runner=True)
    started = time.time()
    try:
        result["drain_rss_before_kb"] = worker_rss_kb(proc)
        # Fresh workers grow while the first jobs load what they use (modules'
        # code paths, ORM caches), then stay flat: "before" for the goal is
        # the warm size, WARM_SECONDS in; the series shows a leak as a slope.
        series, remaining = [], backlog
        while remaining and time.time() - started < limit:
            time.sleep(2)
            remaining = count_events(database, backend_id, ("received", "processing"))
            elapsed = time.time() - started
            if elapsed >= WARM_SECONDS * (len(series) + 1):
                series.append([round(elapsed), backlog - remaining, worker_rss_kb(proc)])
        result["drain_rss_series"] = series
        if series:
            result["drain_rss_warm_kb"] = series[0][2]
        result["drain_rss_after_kb"] = worker_rss_kb(proc)
    finally:
        stop_odoo(proc)
    result["drain"] = {
        "backlog": backlog,
        "remaining": remaining,
        "seconds": time.time() - started,
        "failed": count_events(database, backend_id, ("failed",)),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
