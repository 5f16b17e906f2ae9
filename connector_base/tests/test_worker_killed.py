"""A worker killed mid-job: its job runs again, and no order is duplicated.

Not a TransactionCase: the job must run in another process, on committed
data, and die there with SIGKILL, as a worker does when the machine or the
OOM killer takes it. queue_job's own runner code then finds the job dead and
requeues it; it runs again and the order exists exactly once.
"""

# The worker is another process: it sees only what this test commits.
# pylint: disable=invalid-commit

import os
import signal
import subprocess
import sys
import time

from odoo import SUPERUSER_ID, api
from odoo.addons.queue_job.jobrunner.runner import Database
from odoo.modules.registry import Registry
from odoo.tests.common import get_db_name
from odoo.tools import config

from .channel_sandbox import ChannelSandbox

WORKER = """
import sys
from odoo.tools import config
config.parse_config(["-c", sys.argv[1], "-d", sys.argv[2]])
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.addons.queue_job.job import Job

with Registry(sys.argv[2]).cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {})
    # What queue_job's /queue_job/runjob does: start, commit, lock, perform.
    job = Job.load(env, sys.argv[3])
    job.set_started()
    job.store()
    cr.commit()
    assert job.lock()
    with cr.savepoint():
        job.perform()
    job.set_done()
    job.store()
    cr.commit()
print("DONE", flush=True)
"""


def _env(cr):
    return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})


def _run_worker(db, uuid):
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, config["config"], db, uuid],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def test_worker_killed_mid_job_runs_again_without_duplicate_order():
    db = get_db_name()
    number = 5_000_000 + int(time.time() * 10) % 1_000_000  # unique per run
    ref = f"#{number}"
    registry = Registry(db)
    sandbox = ChannelSandbox().start()
    try:
        with registry.cursor() as cr:
            env = _env(cr)
            backend = env["integration.backend"].create(
                {
                    "name": "Kill test",
                    "code": f"kill_test_{os.getpid()}",
                    "channel_type": "test_channel",
                    "state": "active",
                    "api_url": sandbox.url,
                }
            )
            env["integration.credential"]._store_secret(backend, "access_token", sandbox.token)
            backend.default_partner_id = env["res.partner"].create({"name": "Kill buyer"})
            env["product.product"].create({"name": "K", "default_code": "KILL-1", "type": "consu"})
            payload = {
                "id": number,
                "name": ref,
                "currency": env.company.currency_id.name,
                "created_at": "2026-11-20T10:00:00Z",
                "financial_status": "paid",
                "total": 10.0,
                "lines": [{"sku": "KILL-1", "qty": 1, "price": 10.0}],
            }
            Event = env["integration.event"]
            event = Event.browse(
                Event._insert_received(
                    backend,
                    {
                        "topic": "orders/create",
                        "external_id": str(number),
                        "dedup_key": f"kill-{number}",
                    },
                    payload,
                    {},
                )
            )
            event._enqueue()
            uuid, event_id, backend_id = event.job_uuid, event.id, backend.id
            cr.commit()

        # 1. The worker imports the order, then hangs acknowledging it: killed there.
        sandbox.hang_acknowledge.set()
        worker = _run_worker(db, uuid)
        assert sandbox.acknowledging.wait(90), worker.communicate(timeout=5)[0]
        with registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM sale_order WHERE client_order_ref = %s", [ref])
            assert cr.fetchone()[0] == 0, "the order is not committed before the job ends"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        sandbox.hang_acknowledge.clear()
        sandbox.release.set()

        with registry.cursor() as cr:
            cr.execute("SELECT state FROM queue_job WHERE uuid = %s", [uuid])
            assert cr.fetchone()[0] == "started", "the dead worker left its job started"
            # The runner requeues dead jobs enqueued more than 10 s ago.
            cr.execute(
                "UPDATE queue_job SET date_enqueued = now() at time zone 'utc' - interval '1 minute'"
                " WHERE uuid = %s",
                [uuid],
            )
            cr.commit()

        # 2. queue_job's runner code finds it dead (no lock held) and requeues it.
        database = Database(db)
        try:
            database.requeue_dead_jobs()
        finally:
            database.close()
        with registry.cursor() as cr:
            cr.execute("SELECT state, retry FROM queue_job WHERE uuid = %s", [uuid])
            assert cr.fetchone() == ("pending", 1)

        # 3. It runs again, to the end.
        worker = _run_worker(db, uuid)
        output = worker.communicate(timeout=120)[0]
        assert worker.returncode == 0, output

        with registry.cursor() as cr:
            env = _env(cr)
            orders = env["sale.order"].search([("client_order_ref", "=", ref)])
            assert len(orders) == 1
            assert orders.state == "sale"
            event = env["integration.event"].browse(event_id)
            assert event.state == "done"
            assert (event.res_model, event.res_id) == ("sale.order", orders.id)
            assert env["queue.job"].search([("uuid", "=", uuid)]).state == "done"
            bindings = env["integration.binding"].search(
                [("backend_id", "=", backend_id), ("external_id", "=", str(number))]
            )
            assert len(bindings) == 1
            # The killed attempt's acknowledgement may reach the channel too
            # (at-least-once); the last one names the order that exists.
            assert sandbox.acknowledged[-1] == (number, {"odoo_reference": orders.name})
            # Leave the shared test database as it was.
            orders._action_cancel()
            env["integration.backend"].browse(backend_id).unlink()
            cr.commit()
    finally:
        sandbox.release.set()
        sandbox.stop()
