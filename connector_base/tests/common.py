import base64
import hashlib
import hmac
import itertools
import json

from odoo import fields
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.tests.common import HttpCase, tagged

from .channel_sandbox import ChannelSandbox

WEBHOOK_SECRET = "whsec-test-channel"
_delivery = itertools.count(1)


def set_stock(product, location, quantity):
    """Odoo's on-hand quantity of ``product`` at ``location``, counted (an
    inventory adjustment, as a warehouse user applies one)."""
    product.env["stock.quant"].with_context(inventory_mode=True).create(
        {"product_id": product.id, "location_id": location.id, "inventory_quantity": quantity}
    ).action_apply_inventory()


class JobRunnerMixin:
    """Runs this test's queue jobs in-process (see ``run_jobs``)."""

    def setUp(self):
        super().setUp()
        # Only this test's jobs: a shared database may hold committed ones.
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM queue_job")
        self.first_job_id = self.env.cr.fetchone()[0] + 1

    def run_jobs(self, max_rounds=20, include_future=False):
        """Run pending queue jobs as queue_job's runner does (Job.perform in a
        savepoint; RetryableJobError postpones, any other error fails the job).

        In-process rather than through /queue_job/runjob: that route commits
        and rolls back around the job, which a test's shared cursor cannot show.
        """
        ran = []
        for _round in range(max_rounds):
            self.env.flush_all()
            domain = [("state", "=", "pending"), ("id", ">=", self.first_job_id)]
            if not include_future:
                domain += ["|", ("eta", "=", False), ("eta", "<=", fields.Datetime.now())]
            records = self.env["queue.job"].search(domain, order="priority, id")
            if not records:
                break
            for record in records:
                job = Job.load(self.env, record.uuid)
                job.set_started()
                job.store()
                try:
                    with self.env.cr.savepoint():
                        job.perform()
                    job.set_done()
                except RetryableJobError as error:
                    job.postpone(result=str(error), seconds=error.seconds)
                    job.set_pending(reset_retry=False)
                except Exception as error:
                    job.set_failed(
                        exc_info=str(error), exc_name=type(error).__name__, exc_message=str(error)
                    )
                job.store()
                self.env.invalidate_all()
                ran.append(job)
        return ran


@tagged("post_install", "-at_install")
class PipelineCase(JobRunnerMixin, HttpCase):
    """A test-channel backend, its sandbox API and helpers to post and run jobs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.sandbox = ChannelSandbox().start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.backend = cls.env["integration.backend"].create(
            {
                "name": "Test shop",
                "code": "test_shop",
                "channel_type": "test_channel",
                "state": "active",
                "api_url": cls.sandbox.url,
                "circuit_threshold": 3,
                "circuit_reset_seconds": 60,
                "timeout_read": 5,
                "rate_capacity": 1000,
                "rate_per_second": 1000,
                # Jobs run as they come here; the batch window has its own test.
                "inbox_batch_window": 0,
            }
        )
        Credential = cls.env["integration.credential"]
        Credential._store_secret(cls.backend, "webhook_secret", WEBHOOK_SECRET)
        Credential._store_secret(cls.backend, "access_token", cls.sandbox.token)
        cls.sandbox.customers[77] = {
            "id": 77,
            "email": "ann.buyer@example.com",
            "first_name": "Ann",
            "last_name": "Buyer",
        }
        Product = cls.env["product.product"]
        cls.products = {
            sku: Product.create(
                {
                    "name": f"Product {sku}",
                    "default_code": sku,
                    "list_price": 10,
                    "type": "consu",
                    "is_storable": True,
                }
            )
            for sku in ("TC-RED", "TC-BLUE", "TC-GREEN")
        }

    def setUp(self):
        super().setUp()
        self.sandbox.calls.clear()
        self.sandbox.failures.clear()

    def order_payload(self, number=1001, **overrides):
        payload = {
            "id": 900000 + number,
            "name": f"#{number}",
            "currency": self.env.company.currency_id.name,
            "created_at": "2026-11-20T10:00:00Z",
            "updated_at": "2026-11-20T10:00:00Z",
            "customer_id": 77,
            "financial_status": "paid",
            "shipping": 4.5,
            "total": 64.5,
            "lines": [
                {"sku": "TC-RED", "qty": 2, "price": 10.0},
                {"sku": "TC-BLUE", "qty": 1, "price": 20.0},
                {"sku": "TC-GREEN", "qty": 1, "price": 20.0},
            ],
        }
        payload.update(overrides)
        return payload

    def post(
        self,
        payload,
        topic="orders/create",
        secret=WEBHOOK_SECRET,
        delivery=None,
        token=None,
        body=None,
    ):
        body = body if body is not None else json.dumps(payload).encode()
        signature = base64.b64encode(
            hmac.new(secret.encode(), body, hashlib.sha256).digest()
        ).decode()
        headers = {
            "Content-Type": "application/json",
            "X-Test-Topic": topic,
            "X-Test-Hmac-Sha256": signature,
            "X-Test-Delivery-Id": delivery or f"delivery-{next(_delivery)}",
        }
        token = token or self.backend.sudo().webhook_token
        return self.url_open(f"/integration/webhook/{token}", data=body, headers=headers)

    def events(self):
        return self.env["integration.event"].search([("backend_id", "=", self.backend.id)])
