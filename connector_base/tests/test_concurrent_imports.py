"""Two orders of one new customer imported at the same moment converge on one
customer and two orders, never on a failed job.

Not a TransactionCase: the two jobs run in two processes through queue_job's
own runner code (``RunJobController``), on committed data, and the channel's
sandbox holds their customer look-ups until both arrived, so both create the
customer at once. One of them meets the other's binding on the unique key; it
must come back later and find that customer.
"""

import os
import subprocess
import sys
import threading
import time
from datetime import datetime

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests.common import get_db_name
from odoo.tools import config

from .channel_sandbox import ChannelSandbox

WORKER = """
import sys
from odoo.tools import config
config.parse_config(["-c", sys.argv[1], "-d", sys.argv[2]])
from odoo.modules.registry import Registry
from odoo import SUPERUSER_ID, api
from odoo.addons.queue_job.controllers.main import RunJobController

with Registry(sys.argv[2]).cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {})
    job = RunJobController._acquire_job(env, sys.argv[3])
    assert job is not None, "job not acquired"
    try:
        RunJobController._runjob(env, job)
    except Exception as error:
        print("JOB FAILED", type(error).__name__, error, flush=True)
        sys.exit(3)
print("RAN", flush=True)
"""


def _env(cr):
    return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})


def _enqueue_for_worker(registry, uuids):
    """What queue_job's runner does before it calls /queue_job/runjob."""
    with registry.cursor() as cr:
        cr.execute(
            "UPDATE queue_job SET state = 'enqueued', eta = NULL WHERE uuid = ANY(%s)",
            [list(uuids)],
        )


def _run_workers(db, uuids):
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, config["config"], db, uuid],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        for uuid in uuids
    ]
    return [(worker.wait(timeout=180), worker.stdout.read()) for worker in workers]


def test_two_orders_of_one_new_customer_at_once_converge():
    db = get_db_name()
    stamp = int(time.time() * 10) % 1_000_000
    customer_id = 6_000_000 + stamp
    numbers = [7_000_000 + stamp * 2, 7_000_000 + stamp * 2 + 1]
    registry = Registry(db)
    sandbox = ChannelSandbox().start()
    sandbox.customers[customer_id] = {
        "id": customer_id,
        "email": f"twin.{stamp}@example.com",
        "first_name": "Twin",
        "last_name": "Buyer",
    }
    backend_id = None
    try:
        with registry.cursor() as cr:
            env = _env(cr)
            backend = env["integration.backend"].create(
                {
                    "name": "Race test",
                    "code": f"race_test_{os.getpid()}_{stamp}",
                    "channel_type": "test_channel",
                    "state": "active",
                    "api_url": sandbox.url,
                    "rate_capacity": 1000,
                    "rate_per_second": 1000,
                }
            )
            backend_id = backend.id
            env["integration.credential"]._store_secret(backend, "access_token", sandbox.token)
            sku = f"RACE-{stamp}"
            env["product.product"].create({"name": "Race", "default_code": sku, "type": "consu"})
            Event = env["integration.event"]
            events = Event.browse()
            for number in numbers:
                payload = {
                    "id": number,
                    "name": f"#{number}",
                    "currency": env.company.currency_id.name,
                    "created_at": "2026-11-20T10:00:00Z",
                    "customer_id": customer_id,
                    "financial_status": "paid",
                    "total": 10.0,
                    "lines": [{"sku": sku, "qty": 1, "price": 10.0}],
                }
                events |= Event.browse(
                    Event._insert_received(
                        backend,
                        {
                            "topic": "orders/create",
                            "external_id": str(number),
                            "dedup_key": f"race-{number}",
                        },
                        payload,
                        {},
                    )
                )
            # One job each (not one micro-batch): two workers race on the customer.
            for event in events:
                event._enqueue_one()
            uuids = events.mapped("job_uuid")
            event_ids = events.ids
        # Both look the customer up, wait for each other, then create it at once.
        sandbox.customer_barrier = threading.Barrier(2)
        _enqueue_for_worker(registry, uuids)
        results = _run_workers(db, uuids)
        assert all(code == 0 for code, _out in results), results
        sandbox.customer_barrier = None

        # The loser was postponed, not failed; its next run finds the customer.
        # A loaded machine may postpone it more than once (another conflict
        # on its way): each postponed run is run again, none may fail.
        for _round in range(5):
            with registry.cursor() as cr:
                cr.execute("SELECT uuid, state FROM queue_job WHERE uuid = ANY(%s)", [uuids])
                states = dict(cr.fetchall())
            assert "failed" not in states.values(), states
            pending = [uuid for uuid, state in states.items() if state != "done"]
            if not pending:
                break
            _enqueue_for_worker(registry, pending)
            results = _run_workers(db, pending)
            assert all(code == 0 for code, _out in results), results

        with registry.cursor() as cr:
            env = _env(cr)
            events = env["integration.event"].browse(event_ids)
            assert events.mapped("state") == ["done", "done"], (events.mapped("last_error"), states)
            orders = env["sale.order"].browse(events.mapped("res_id"))
            assert len(orders) == 2
            assert len(orders.partner_id) == 1, "one customer for both orders"
            bindings = env["integration.binding"].search(
                [
                    ("backend_id", "=", backend_id),
                    ("res_model", "=", "res.partner"),
                    ("external_id", "=", str(customer_id)),
                ]
            )
            assert len(bindings) == 1
            assert bindings.res_id == orders.partner_id.id
            partners = env["res.partner"].search([("email", "=", f"twin.{stamp}@example.com")])
            assert len(partners) == 1, "the losing attempt's customer was rolled back"
            assert not env["integration.exception"].search(
                [("source_model", "=", "integration.event"), ("source_id", "in", event_ids)]
            )
            # Leave the shared test database as it was.
            orders._action_cancel()
            env["integration.backend"].browse(backend_id).unlink()
    finally:
        sandbox.customer_barrier = None
        sandbox.stop()


def test_two_imports_marking_the_same_products_both_commit():
    """At peak, two order imports reserve the same hot SKUs: each leaves a
    stock mark for the export, and neither fails on the other's (a flag
    written on the shared binding row made the second one a serialization
    failure under REPEATABLE READ, and its whole batch ran again)."""
    registry = Registry(get_db_name())
    stamp = int(time.time() * 10) % 1_000_000
    backend_id = product_id = None
    try:
        with registry.cursor() as cr:
            env = _env(cr)
            backend = env["integration.backend"].create(
                {
                    "name": "Mark test",
                    "code": f"mark_test_{os.getpid()}_{stamp}",
                    "channel_type": "test_channel",
                    "state": "active",
                    "api_url": "http://127.0.0.1:9",
                }
            )
            product = env["product.product"].create(
                {
                    "name": "Hot",
                    "default_code": f"HOT-{stamp}",
                    "type": "consu",
                    "is_storable": True,
                }
            )
            binding = env["integration.binding"].create(
                {
                    "backend_id": backend.id,
                    "res_model": "product.product",
                    "res_id": product.id,
                    "external_id": product.default_code,
                }
            )
            backend_id, product_id, binding_id = backend.id, product.id, binding.id
        with registry.cursor() as first, registry.cursor() as second:
            # The second import's snapshot is older than the first's commit.
            second.execute("SELECT count(*) FROM integration_binding")
            _env(first)["integration.backend"]._stock_mark_dirty(
                _env(first)["product.product"].browse(product_id)
            )
            first.commit()
            _env(second)["integration.backend"]._stock_mark_dirty(
                _env(second)["product.product"].browse(product_id)
            )
            second.commit()
        with registry.cursor() as cr:
            env = _env(cr)
            backend = env["integration.backend"].browse(backend_id)
            binding = env["integration.binding"].browse(binding_id)
            assert binding.stock_mark_ids, "the change waits for the export"
            assert not binding.stock_dirty, "the shared binding row was not written"
            assert backend._stock_take_marks() == binding, "the export takes it"
            assert not binding.stock_mark_ids
            cr.rollback()  # an export that fails gives the marks back
            assert env["integration.binding"].browse(binding_id).stock_mark_ids
    finally:
        with registry.cursor() as cr:
            env = _env(cr)
            if backend_id:
                env["integration.backend"].browse(backend_id).unlink()
            if product_id:
                env["product.product"].browse(product_id).unlink()


def test_a_success_noted_meanwhile_does_not_fail_a_job_recording_lineage():
    """Every job notes its system's success (once a minute) while others are
    recording lineage on that system. Lineage references the system row; a
    success time written on that row made every job in flight fail on it
    (REPEATABLE READ) and run its whole batch again."""
    registry = Registry(get_db_name())
    with registry.cursor() as cr:
        system_id = _env(cr).ref("integration_governance.system_odoo").id
    with registry.cursor() as first, registry.cursor() as second:
        # The job's snapshot is older than the success noted by another job.
        second.execute("SELECT count(*) FROM integration_system")
        _env(first)["integration.system.heartbeat"]._beat(first, system_id, datetime.now())
        first.commit()
        steps = _env(second)["integration.lineage"].record_step(
            "exported",
            system=_env(second)["integration.system"].browse(system_id),
            direction="outbound",
            message="a step recorded after another job's success",
        )
        assert steps, "the step was recorded"
        second.rollback()  # leave the shared test database's lineage as it was
    with registry.cursor() as cr:
        system = _env(cr)["integration.system"].browse(system_id)
        assert system.last_success_at, "the system shows the success"
