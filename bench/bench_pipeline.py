"""Benchmark (a): the pipeline's cost per order against the ORM straight.

One order at a time (the pipeline's ``_process`` against one ORM create and
confirm), then in rounds of ``BATCH`` (the micro-batched ``_process_batch``
of that many waiting events, with the reservation job that follows it,
against one ORM ``create`` of that many orders and one ``action_confirm``).

Run by ``make bench`` (tools/suite.py) inside an installed bench database:
``python3 bench/bench_pipeline.py <odoo.conf> <database> <orders>``. Prints one
JSON line. Both paths run interleaved in the same process and database, so
the baseline shares every condition but the pipeline itself.
"""

import json
import statistics
import sys
import time

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

SKUS = ("BENCH-A", "BENCH-B", "BENCH-C")
BATCH = 20


def setup(env):
    backend = env["integration.backend"].create(
        {
            "name": "Bench shop",
            "code": f"bench_{int(time.time())}",
            "channel_type": "test_channel",
            "state": "active",
        }
    )
    partner = env["res.partner"].create({"name": "Bench customer", "email": "bench@example.com"})
    backend.default_partner_id = partner
    Product = env["product.product"]
    products = [
        Product.search([("default_code", "=", sku)], limit=1)
        or Product.create({"name": sku, "default_code": sku, "list_price": 10, "type": "consu"})
        for sku in SKUS
    ]
    return backend, partner, products


def payload(number):
    return {
        "id": 7_000_000 + number,
        "name": f"#{700000 + number}",
        "currency": "USD",
        "created_at": "2026-11-20T10:00:00Z",
        "financial_status": "paid",
        "total": 40.0,
        "lines": [{"sku": sku, "qty": 1 + i, "price": 10.0} for i, sku in enumerate(SKUS)],
    }


def orm_order(env, partner, products):
    order = env["sale.order"].create(
        {
            "partner_id": partner.id,
            "client_order_ref": "baseline",
            "order_line": [
                (0, 0, {"product_id": p.id, "product_uom_qty": 1 + i, "price_unit": 10.0})
                for i, p in enumerate(products)
            ],
        }
    )
    order.action_confirm()
    return order


def orm_orders(env, partner, products, count):
    orders = env["sale.order"].create(
        [
            {
                "partner_id": partner.id,
                "client_order_ref": "baseline",
                "order_line": [
                    (0, 0, {"product_id": p.id, "product_uom_qty": 1 + i, "price_unit": 10.0})
                    for i, p in enumerate(products)
                ],
            }
            for _ in range(count)
        ]
    )
    orders.action_confirm()
    return orders


def received_event(env, backend, number):
    body = payload(number)
    return env["integration.event"]._insert_received(
        backend,
        {"topic": "orders/create", "external_id": str(body["id"]), "dedup_key": f"bench-{number}"},
        body,
        {},
    )


def pipeline_batch(env, backend, numbers):
    events = env["integration.event"].browse(
        [received_event(env, backend, number) for number in numbers]
    )
    events._process_batch()
    states = set(events.mapped("state"))
    assert states == {"done"}, events.mapped("last_error")
    # The batch confirms without reserving; its backend's reservation job
    # (integration_backend_reservation) is part of its cost.
    backend._reserve_deferred()
    assert not env["stock.picking"].search_count([("integration_reserve_pending", "=", True)])
    return events


def pipeline_order(env, backend, number):
    Event = env["integration.event"]
    body = payload(number)
    event_id = Event._insert_received(
        backend,
        {"topic": "orders/create", "external_id": str(body["id"]), "dedup_key": f"bench-{number}"},
        body,
        {},
    )
    event = Event.browse(event_id)
    event._process()
    assert event.state == "done", event.last_error
    return event


def main(conf, database, count):
    config.parse_config(["-c", conf, "-d", database])
    registry = Registry(database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        backend, partner, products = setup(env)
        timings = {"orm": [], "pipeline": []}
        warmup = 5
        for number in range(count + warmup):
            started = time.perf_counter()
            orm_order(env, partner, products)
            env.flush_all()
            orm = time.perf_counter() - started
            started = time.perf_counter()
            pipeline_order(env, backend, number)
            env.flush_all()
            pipe = time.perf_counter() - started
            if number >= warmup:
                timings["orm"].append(orm)
                timings["pipeline"].append(pipe)
        batched = {"orm_batch": [], "batched": []}
        rounds = max(count // BATCH, 2)
        for round_ in range(rounds + 1):
            started = time.perf_counter()
            orm_orders(env, partner, products, BATCH)
            env.flush_all()
            orm = (time.perf_counter() - started) / BATCH
            first = 100_000 + round_ * BATCH
            started = time.perf_counter()
            pipeline_batch(env, backend, range(first, first + BATCH))
            env.flush_all()
            pipe = (time.perf_counter() - started) / BATCH
            if round_:  # the first round warms up
                batched["orm_batch"].append(orm)
                batched["batched"].append(pipe)
        cr.rollback()
    result = {
        name: {
            "median_ms": statistics.median(values) * 1000,
            "mean_ms": statistics.fmean(values) * 1000,
        }
        for name, values in timings.items()
    }
    result["orders"] = count
    result["ratio"] = result["pipeline"]["median_ms"] / result["orm"]["median_ms"]
    for name, values in batched.items():
        result[name] = {
            "per_order_ms": statistics.median(values) * 1000,
            "rounds": len(values),
            "batch": BATCH,
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
