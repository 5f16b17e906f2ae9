"""Two batches of one shop's level changes meet on the same SKUs' rows.

Not a TransactionCase: the conflict needs two transactions on committed data.
The batch whose snapshot is older than the other's commit must run again
whole, shortly, in a fresh transaction (each of its later events would meet
the same stale snapshot), not leave event by event for jobs of their own.
"""

import time

import pytest

from odoo import SUPERUSER_ID, api
from odoo.addons.connector_base.models.integration_event_batch import BatchRetry
from odoo.modules.registry import Registry
from odoo.tests.common import get_db_name


def _env(cr):
    return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})


def _level_event(Event, backend, item, available, stamp, number):
    payload = {
        "inventory_item_id": item,
        "location_id": 4242,
        "available": available,
        "updated_at": f"2026-12-07T10:00:{number:02d}Z",
    }
    return Event._insert_received(
        backend,
        {
            "topic": "inventory_levels/update",
            "external_id": f"{item}",
            "dedup_key": f"race-level-{stamp}-{number}",
        },
        payload,
        {},
    )


def test_a_batch_older_than_a_level_written_meanwhile_runs_again_whole():
    registry = Registry(get_db_name())
    stamp = int(time.time() * 10) % 1_000_000
    backend_id, product_ids, uuid = None, [], None
    location = "gid://shopify/Location/4242"
    try:
        with registry.cursor() as cr:
            env = _env(cr)
            backend = env["integration.backend"].create(
                {
                    "name": "Level race",
                    "code": f"level_race_{stamp}",
                    "channel_type": "shopify",
                    "state": "active",
                    "shopify_shop_domain": f"race-{stamp}.myshopify.com",
                    "api_url": "http://127.0.0.1:9",
                }
            )
            bindings = env["integration.binding"]
            for index in range(2):
                product = env["product.product"].create(
                    {"name": "Hot", "default_code": f"LVL-{stamp}-{index}", "type": "consu"}
                )
                product_ids.append(product.id)
                bindings |= bindings.create(
                    {
                        "backend_id": backend.id,
                        "res_model": "product.product",
                        "res_id": product.id,
                        "external_id": product.default_code,
                        "extra": {"inventory_item_id": f"gid://shopify/InventoryItem/{index + 1}"},
                    }
                )
            Event = env["integration.event"]
            events = Event.browse(
                [
                    _level_event(Event, backend, 1 + index % 2, 50 + index, stamp, index)
                    for index in range(4)
                ]
            )
            uuid = events.with_delay()._process_batch().uuid
            backend_id, event_ids, binding_ids = backend.id, events.ids, bindings.ids
        with registry.cursor() as first, registry.cursor() as second:
            # The batch's snapshot is older than another batch's level write.
            second.execute("SELECT count(*) FROM integration_binding")
            first.execute(
                "UPDATE integration_binding SET extra = extra || '{\"levels\": {}}' "
                "WHERE id = ANY(%s)",
                [binding_ids],
            )
            first.commit()
            batch = _env(second)["integration.event"].browse(event_ids)
            with pytest.raises(BatchRetry):
                batch.with_context(job_uuid=uuid)._process_batch()
            second.rollback()
        with registry.cursor() as cr:
            env = _env(cr)
            events = env["integration.event"].browse(event_ids)
            assert set(events.mapped("state")) == {"received"}, "nothing of it was kept"
            # queue_job runs it again: the whole batch goes through.
            outcome = events.with_context(job_uuid=uuid)._process_batch()
            assert outcome.startswith("4 of 4 done"), outcome
            levels = [
                b.extra["levels"][location] for b in env["integration.binding"].browse(binding_ids)
            ]
            assert levels == [52, 53], "the last level of each SKU"
            assert not any(events.mapped("job_uuid")), "no event left for a job of its own"
    finally:
        with registry.cursor() as cr:
            env = _env(cr)
            if uuid:
                env["queue.job"].search([("uuid", "=", uuid)]).unlink()
            if backend_id:
                backend = env["integration.backend"].browse(backend_id)
                env["queue.job"].search(
                    [("identity_key", "like", f"integration.backend:{backend_id}:%")]
                ).unlink()
                env["integration.event"].search([("backend_id", "=", backend_id)]).unlink()
                env["integration.binding"].search([("backend_id", "=", backend_id)]).unlink()
                backend.unlink()
            if product_ids:
                env["product.product"].browse(product_ids).unlink()
