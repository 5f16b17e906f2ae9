"""Shopify benchmarks against the sandbox (connector_shopify/sandbox), beside baselines.

``python3 bench/bench_shopify.py orders <odoo-bin> <odoo.conf> <database> <orders>``
    Orders per second from Shopify's orders/create webhook to a confirmed sale
    order through the running server (Odoo with two HTTP workers and
    queue_job's runner, as bench_intake.py starts it, once the runner has run
    a job): the sandbox delivers
    signed webhooks to the live server; the clock runs from the first order
    created in the sandbox to the poll (every 0.5 s, read-only) that sees all
    of them as sale orders in state 'sale' bound to the backend. Baseline:
    the same orders (same partner, products, quantities and prices) created
    and confirmed straight through the ORM, one transaction each, in this
    process once the server is stopped.

``python3 bench/bench_shopify.py stock <odoo.conf> <database> <variants> <restore rate> <method>``
    A full stock sync (``_export_stock(full=True)``) of that many
    variants, run in this process, against a bucket of 2000 points restoring
    at the given rate: the sandbox's call log gives the points consumed and
    the time from the first call to the last; the restore rate is the bound.
    ``bulk`` is the connector's way (a first sync knowing no level reads
    them in one bulk query, a resync compares with the levels it knows);
    ``pages`` reads every level first (``read_all``), page by page through
    ``inventoryLevels`` (the method before it, kept runnable with the
    ``stock_read_pages`` context key for this comparison). The sync is retried as queue_job retries it while Shopify
    runs the bulk query (the wait is part of the measured time), or at once
    when the operation's ``bulk_operations/finish`` webhook comes first (as
    the server's inbox wakes the job; ``finish_sink.py`` takes the deliveries).

Each prints one JSON line last.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "connector_shopify"))

from bench_intake import PORT, start_odoo, stop_odoo  # noqa: E402
from finish_sink import FinishSink  # noqa: E402
from lib import bulk_wait  # noqa: E402
from sandbox import ShopifySandbox  # noqa: E402

DOMAIN = "bench.myshopify.com"
CLIENT_SECRET = "bench-shopify-secret"
ACCESS_TOKEN = "shpat_bench"
ORDER_SKUS = 20
WEBHOOK_SENDERS = 8
CUSTOMER_ADDRESS = {
    "address1": "1 Main St",
    "city": "Springfield",
    "zip": "12345",
    "country_code": "US",
    "province_code": "NY",
}


def environment(cr):
    return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})


def start_sandbox(env, bucket):
    # Shopify sends a shop's deliveries many at once, in no promised order.
    sandbox = ShopifySandbox(port=0, webhook_senders=WEBHOOK_SENDERS).start()
    sandbox.create_shop(
        DOMAIN,
        name="Bench store",
        currency=env.company.currency_id.name,
        client_secret=CLIENT_SECRET,
        access_token=ACCESS_TOKEN,
        bucket=bucket,
    )
    sandbox.add_location(DOMAIN, "Main")
    return sandbox


def create_products(env, skus, quantities, batch=500):
    """Storable products (no taxes, as the sandbox's orders carry none) with stock."""
    Product = env["product.product"]
    stock = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    products = Product.browse()
    for start in range(0, len(skus), batch):
        chunk = Product.create(
            [
                {
                    "name": f"Bench {sku}",
                    "default_code": sku,
                    "list_price": 10,
                    "type": "consu",
                    "is_storable": True,
                    "taxes_id": [(6, 0, [])],
                }
                for sku in skus[start : start + batch]
            ]
        )
        # On-hand quants in one batch, as _update_available_quantity leaves them.
        env["stock.quant"].create(
            [
                {
                    "product_id": product.id,
                    "location_id": stock.lot_stock_id.id,
                    "quantity": quantities[start + index],
                }
                for index, product in enumerate(chunk)
            ]
        )
        products |= chunk
        env.cr.commit()
    return products, stock


def create_backend(env, sandbox, stock, name="Shopify bench", code="shopify_bench", domain=DOMAIN):
    """The backend of shop ``domain`` (made by start_sandbox: its token and secret)."""
    backend = env["integration.backend"].create(
        {
            "name": name,
            "code": f"{code}_{int(time.time())}",
            "channel_type": "shopify",
            "state": "active",
            "shopify_shop_domain": domain,
            "api_url": sandbox.shop_url(domain),
            "shopify_auth": "legacy_token",
            "timeout_read": 30,
        }
    )
    Credential = env["integration.credential"]
    Credential._store_secret(backend, "access_token", ACCESS_TOKEN)
    Credential._store_secret(backend, "client_secret", CLIENT_SECRET)
    backend.action_shopify_sync_locations()
    backend.shopify_location_ids.write({"warehouse_id": stock.id})
    return backend


# ------------------------------------------------------------------- orders
def order_lines(number):
    return [
        {"sku": f"BSO-{(number * 3 + k) % ORDER_SKUS:03d}", "quantity": 1 + (number + k) % 2}
        for k in range(3)
    ]


def count_confirmed(database, backend_id):
    with Registry(database).cursor() as cr:
        cr.execute(
            """
            SELECT count(*) FILTER (WHERE o.state = 'sale'), count(*)
              FROM integration_binding b JOIN sale_order o ON o.id = b.res_id
             WHERE b.backend_id = %s AND b.res_model = 'sale.order'
            """,
            [backend_id],
        )
        return cr.fetchone()


def count_events(database, backend_id):
    with Registry(database).cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM integration_event WHERE backend_id = %s GROUP BY state",
            [backend_id],
        )
        return dict(cr.fetchall())


def set_aside_jobs(database):
    """Cancel the jobs still waiting (or left started by a stopped server) in
    this throw-away database (an earlier benchmark's undrained backlog, or the
    stock exports the baseline queued) so that no other work shares the job
    runner with the measured orders."""
    with Registry(database).cursor() as cr:
        cr.execute(
            "UPDATE queue_job SET state = 'cancelled' "
            "WHERE state IN ('pending', 'enqueued', 'started', 'wait_dependencies')"
        )
        return cr.rowcount


def orm_baseline(database, backend_id):
    """The pipeline's orders again, straight through the ORM, one commit each."""
    registry = Registry(database)
    with registry.cursor() as cr:
        env = environment(cr)
        bindings = env["integration.binding"].search(
            [("backend_id", "=", backend_id), ("res_model", "=", "sale.order")], order="id"
        )
        specs = [
            {
                "partner_id": order.partner_id.id,
                "partner_invoice_id": order.partner_invoice_id.id,
                "partner_shipping_id": order.partner_shipping_id.id,
                "client_order_ref": "ORM baseline",
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": line.product_id.id,
                            "product_uom_qty": line.product_uom_qty,
                            "price_unit": line.price_unit,
                        },
                    )
                    for line in order.order_line
                    if line.product_id.default_code and line.product_id.default_code[:4] == "BSO-"
                ],
            }
            for order in env["sale.order"].browse(bindings.mapped("res_id"))
        ]
        cr.commit()
        timings = []
        started = time.perf_counter()
        for values in specs:
            one = time.perf_counter()
            env["sale.order"].create(values).action_confirm()
            cr.commit()
            timings.append(time.perf_counter() - one)
        seconds = time.perf_counter() - started
    return {
        "orders": len(specs),
        "seconds": seconds,
        "orders_per_s": len(specs) / seconds if seconds else 0.0,
        "median_ms": statistics.median(timings) * 1000 if timings else 0.0,
    }


def wait_for_runner(database, backend_id, timeout=60):
    """Seconds until the job runner ran a job: queue_job's runner starts a
    few seconds after the server (its START_DELAY). A retailer's runner is
    up before the sale starts, and so it is here before the clock starts."""
    started = time.time()
    with Registry(database).cursor() as cr:
        environment(cr)["integration.backend"].browse(backend_id)._ensure_drain_job()
        cr.commit()
        while time.time() - started < timeout:
            cr.execute(
                "SELECT count(*) FROM queue_job WHERE identity_key = %s AND state != 'done'",
                [f"integration.backend:{backend_id}:drain"],
            )
            if not cr.fetchone()[0]:
                return time.time() - started
            cr.commit()
            time.sleep(0.2)
    raise SystemExit(f"the job runner ran no job in {timeout} s")


def bench_orders(odoo_bin, conf, database, count):
    config.parse_config(["-c", conf, "-d", database])
    registry = Registry(database)
    with registry.cursor() as cr:
        env = environment(cr)
        env["ir.config_parameter"].set_param("web.base.url", f"http://127.0.0.1:{PORT}")
        sandbox = start_sandbox(env, {"maximum": 2000, "restore_rate": 100})
        skus = [f"BSO-{index:03d}" for index in range(ORDER_SKUS)]
        for sku in skus:
            sandbox.add_product(
                DOMAIN,
                f"Bench {sku}",
                variants=[{"sku": sku, "price": "10.00", "inventory": {"Main": 100_000}}],
            )
        _products, stock = create_products(env, skus, [100_000] * len(skus))
        backend = create_backend(env, sandbox, stock)
        backend._shopify_check_webhooks()
        backend._shopify_import_catalog()
        backend_id = backend.id
        cr.commit()
    set_aside = set_aside_jobs(database)
    proc = start_odoo(odoo_bin, conf, database, with_runner=True)
    confirmed = total = 0
    try:
        runner_ready_s = wait_for_runner(database, backend_id)
        started = time.time()
        for number in range(count):
            address = {"first_name": "Buyer", "last_name": f"{number:04d}", **CUSTOMER_ADDRESS}
            sandbox.create_order(
                DOMAIN,
                lines=order_lines(number),
                customer={
                    "email": f"buyer{number:04d}@example.com",
                    "first_name": "Buyer",
                    "last_name": f"{number:04d}",
                },
                shipping_address=address,
                billing_address=address,
                financial_status="paid",
            )
        created_in = time.time() - started
        limit = float(os.environ.get("BENCH_SHOPIFY_TIMEOUT", "600"))
        while time.time() - started < limit:
            time.sleep(0.5)
            confirmed, total = count_confirmed(database, backend_id)
            if confirmed >= count:
                break
        seconds = time.time() - started
        sandbox.wait_for_deliveries(timeout=10)
    finally:
        stop_odoo(proc)
    deliveries = sandbox.deliveries(DOMAIN)
    orders_in = [d for d in deliveries if d["topic"] == "orders/create"]
    retried = {d["event_id"] for d in orders_in if d["attempt"] > 1}
    failed_attempts = [d for d in orders_in if not d["delivered"]]
    sandbox.stop()
    result = {
        "orders": count,
        "runner_ready_s": runner_ready_s,
        "created_in_s": created_in,
        "server": {
            "confirmed": confirmed,
            "bound": total,
            "seconds": seconds,
            "orders_per_s": confirmed / seconds if seconds else 0.0,
        },
        "webhooks": {
            "deliveries": len(orders_in),
            "events": len({d["event_id"] for d in orders_in}),
            "retried_events": len(retried),
            "failed_attempts": len(failed_attempts),
            "errors": sorted({d["error"] for d in failed_attempts})[:5],
        },
        "events": count_events(database, backend_id),
    }
    result["orm"] = orm_baseline(database, backend_id)
    result["jobs_set_aside"] = set_aside + set_aside_jobs(database)
    result["ratio"] = (
        result["server"]["orders_per_s"] / result["orm"]["orders_per_s"]
        if result["orm"]["orders_per_s"]
        else 0.0
    )
    print(json.dumps(result))


# -------------------------------------------------------------------- stock
def call_figures(calls, initial, restore_rate):
    """Points and time of a run from the sandbox's call log."""
    admitted = [c for c in calls if not c["throttled"] and c["actual"] is not None]
    points = sum(c["actual"] for c in admitted)
    seconds = calls[-1]["at"] - calls[0]["at"] if len(calls) > 1 else 0.0
    by_operation = {}
    for call in calls:
        entry = by_operation.setdefault(
            call["operation"], {"calls": 0, "throttled": 0, "requested": 0, "actual": 0}
        )
        entry["calls"] += 1
        entry["throttled"] += bool(call["throttled"])
        entry["requested"] += call["requested"] or 0
        entry["actual"] += call["actual"] or 0
    # Points the bucket held beyond what each call asked for when it was
    # admitted, once the initial content was spent: waiting longer than needed.
    spent = False
    slack = []
    for call in admitted:
        if call["available_before"] < initial / 2:
            spent = True
        if spent:
            slack.append(call["available_before"] - call["requested"])
    return {
        "calls": len(calls),
        "throttled": sum(1 for c in calls if c["throttled"]),
        "points": points,
        "seconds": seconds,
        "points_per_s": points / seconds if seconds else 0.0,
        "beyond_initial_per_s": (points - initial) / seconds if seconds else 0.0,
        "restore_rate": restore_rate,
        "initial": initial,
        "percent_of_restore": 100 * (points - initial) / seconds / restore_rate if seconds else 0,
        "slack_points_mean": statistics.fmean(slack) if slack else 0.0,
        "by_operation": by_operation,
    }


def reconcile_stock(backend):
    """The daily stock reconciliation: its healing, told as an outcome."""
    run = backend._reconcile_stock()
    return (
        f"{run.compared_count} compared, {run.mismatched_count} mismatched, "
        f"{run.healed_count} healed"
    )


def heal_per_line(env):
    """The baseline's heal: one stock export per mismatch line, as the
    reconciliation healed before ``_heal_stock_lines`` (the bench's copy)."""
    Run = type(env["integration.reconciliation.run"])

    def _heal_stock_lines(self, lines):
        backend = self._run_backend()
        for line in lines:
            backend._export_stock(product_ids=[line.res_id])
        return lines

    Run._heal_stock_lines = _heal_stock_lines


def bench_stock(conf, database, variants, restore_rate, method="bulk"):
    config.parse_config(["-c", conf, "-d", database])
    registry = Registry(database)
    # Once the addons path is set:
    from odoo.addons.connector_shopify.lib import queries
    from odoo.addons.queue_job.exception import RetryableJobError

    setup_started = time.time()
    # Set-up (catalogue import: ~750 points per page of 250) runs on a fast
    # bucket; the measured sync gets Shopify's 2000-point bucket.
    with registry.cursor() as cr:
        env = environment(cr)
        fast = {"maximum": 100_000, "restore_rate": 100_000}
        sandbox = start_sandbox(env, fast)
        skus = [f"BS{method[0].upper()}-{index:05d}" for index in range(variants)]
        for start in range(0, variants, 100):
            for sku in skus[start : start + 100]:
                sandbox.add_product(
                    DOMAIN,
                    f"Bench {sku}",
                    variants=[{"sku": sku, "price": "10.00", "inventory": {"Main": 0}}],
                )
        quantities = [1 + index % 50 for index in range(variants)]
        _products, stock = create_products(env, skus, quantities)
        backend = create_backend(
            env, sandbox, stock, name=f"Shopify bench ({method})", code=f"shopify_bench_{method}"
        )
        report = backend._shopify_import_catalog()
        cr.commit()
        initial = 2000
        sandbox.set_bucket(DOMAIN, maximum=initial, restore_rate=restore_rate, available=initial)
        # What the backend would have learnt of this bucket from earlier calls.
        backend.write({"rate_capacity": initial, "rate_per_second": restore_rate})
        env["integration.throttle"].search([("backend_id", "=", backend.id)]).unlink()
        cr.commit()
        # As onboarding subscribes it: the sync waiting for Shopify goes on
        # when its bulk operation ends, not only at its next look.
        sink = FinishSink()
        backend._shopify_call(
            queries.WEBHOOK_CREATE,
            {"topic": "BULK_OPERATIONS_FINISH", "input": {"uri": sink.url, "format": "JSON"}},
            operation="WebhookCreate",
            mutation_field="webhookSubscriptionCreate",
        )
        setup_seconds = time.time() - setup_started
        if method == "pages":
            backend = backend.with_context(stock_read_pages=True)

        # The paged method read every level before writing (read_all).
        read_all = method == "pages"

        def full_sync(job=lambda backend: backend._export_stock(full=True, read_all=read_all)):
            """One full sync (or ``job``) as queue_job runs it; (outcome,
            seconds, retries, calls, where the seconds went: each attempt,
            each wait)."""
            first_call = len(sandbox.calls(DOMAIN))
            started, retries = time.time(), 0
            phases = []
            # The run id a queue job's uuid gives (attempts of one sync share it).
            run = backend.with_context(bulk_run_id=f"bench-{time.time()}")
            try:
                while True:
                    attempt = time.time()
                    try:
                        outcome = job(run)
                        phases.append(["attempt", time.time() - attempt])
                        break
                    except RetryableJobError as wait:
                        # queue_job: roll back, run again once the delay is
                        # over, or at once when the finish webhook comes first.
                        cr.rollback()
                        phases.append(
                            ["attempt", time.time() - attempt, bulk_wait.without_mark(str(wait))]
                        )
                        retries += 1
                        waited = time.time()
                        woken = sink.wait(str(wait), wait.seconds or 1)
                        phases.append(["wait", time.time() - waited])
                        if woken:
                            phases[-1].append("woken by bulk_operations/finish")
                cr.commit()
            except psycopg2.errors.SerializationFailure as error:
                # Every call was made (the call log has them): report, not hide.
                cr.rollback()
                outcome = f"FAILED at the end: {str(error).strip().splitlines()[-1]}"
            elapsed = time.time() - started
            return outcome, elapsed, retries, sandbox.calls(DOMAIN)[first_call:], phases

        outcome, elapsed, retries, calls, phases = full_sync()
        # The periodic full sync that follows, every level already right: what
        # reading costs when nothing needs writing.
        sandbox.set_bucket(DOMAIN, available=initial)
        again_outcome, again_elapsed, again_retries, again_calls, again_phases = full_sync()
        # Then levels move on Shopify with no webhook reaching Odoo (an
        # outage): the daily reconciliation reads them all and heals each
        # mismatch, set-wise (the baseline: one export per line, as before).
        drifted = skus[: max(variants // 10, 1)]
        for index, sku in enumerate(drifted):
            sandbox.set_inventory(DOMAIN, sku, "Main", quantities[index] + 3)
        sandbox.set_bucket(DOMAIN, available=initial)
        if method == "pages":
            heal_per_line(env)
        heal = full_sync(lambda backend: reconcile_stock(backend))
    levels = sandbox.inventory(DOMAIN)
    matching = sum(
        1
        for index, sku in enumerate(skus)
        if sum((levels.get(sku) or {}).values()) == quantities[index]
    )
    sandbox.stop()
    sink.stop()
    result = {
        "variants": variants,
        "method": method,
        "retries": retries,
        "catalog": report,
        "outcome": outcome,
        "setup_s": setup_seconds,
        "export_s": elapsed,
        "phases": phases,
        "levels_matching": matching,
        **call_figures(calls, initial, restore_rate),
        "resync": {
            "outcome": again_outcome,
            "export_s": again_elapsed,
            "retries": again_retries,
            "phases": again_phases,
            **call_figures(again_calls, initial, restore_rate),
        },
        "heal": {
            "drifted": len(drifted),
            "outcome": heal[0],
            "export_s": heal[1],
            "retries": heal[2],
            **call_figures(heal[3], initial, restore_rate),
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1] == "orders":
        bench_orders(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        bench_stock(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
