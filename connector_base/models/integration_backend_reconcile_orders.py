"""Orders reconciliation: every order the channel has is bound in Odoo, once.

The business-level guarantee behind "nothing lost", whatever failed
underneath (a webhook never sent, a job lost, an event failed): a run per
backend compares the channel's orders of a time window with the bound sale
orders. An order Odoo lacks is re-imported through the inbox (one path in);
one that cannot be (its event failed with an open exception, or was
processed without a binding) is raised with its reason; an order bound twice
is raised.

A channel fills two hooks: ``_channel_orders`` (read the orders of a window,
webhook-shaped) and, when its webhook description needs the delivery's
headers, ``_channel_order_describe``.
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.integration_governance.lib.vocabulary import OPEN_STATES

from ..lib.retry import IntegrationError, TransientError
from .integration_backend_jobs import integration_job

_logger = logging.getLogger(__name__)

CHUNK = 500
IN_FLIGHT = ("received", "processing")


class _Snapshot:
    """The channel orders a run read, by inbox external id, handed to the
    run's healing through the context. Compared by identity, so an
    environment carrying it compares in constant time."""

    __slots__ = ("orders",)

    def __init__(self, orders):
        self.orders = orders


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    reconcile_orders_overlap = fields.Integer(
        "Orders reconciliation overlap (min)",
        default=60,
        help="Each orders reconciliation starts this long before the end of the last "
        "successful one, so that no order falls between two runs.",
    )

    # --------------------------------------------------------------- hooks
    def _channel_orders(self, window_start, window_end):
        """Hook: the channel's orders created or updated in the window.

        An iterable of ``{"external_id", "name", "updated_at", "payload",
        "topic"}``: ``external_id`` is the id the sale order's binding holds,
        ``payload`` and ``topic`` what the channel's webhook would carry (the
        re-import goes through the same contract and mapper). ``None``: the
        channel does not support orders reconciliation.
        """
        return None

    def _channel_order_describe(self, order):
        """Hook: the inbox description of a channel order, as its webhook's
        (``_webhook_describe``), so dedup keys match webhook deliveries."""
        return self._webhook_describe({}, order["payload"])

    # ----------------------------------------------------------- schedule
    @api.model
    def _cron_reconcile_orders(self):
        """One orders reconciliation job per active backend whose
        reconciliation flow is not off (a channel without the hook ends at once)."""
        for backend in self.search([("state", "=", "active")]):
            backend._flow_job(
                "reconciliation", "_reconcile_orders", f"{backend.name}: orders reconciliation"
            )
        return True

    def _reconcile_orders_window(self, window_start=None, window_end=None):
        """From the last successful run's end minus the overlap (else the last
        24 hours) to now."""
        self.ensure_one()
        window_end = window_end or fields.Datetime.now()
        if not window_start:
            last = (
                self.env["integration.reconciliation.run"]
                .sudo()
                .search(
                    [
                        ("kind", "=", "orders"),
                        ("system_id", "=", self.system_id.id),
                        ("state", "=", "done"),
                        ("window_end", "!=", False),
                    ],
                    order="window_end desc",
                    limit=1,
                )
            )
            window_start = (
                last.window_end - timedelta(minutes=max(self.reconcile_orders_overlap, 0))
                if last
                else window_end - timedelta(hours=24)
            )
        return fields.Datetime.to_datetime(window_start), fields.Datetime.to_datetime(window_end)

    # ---------------------------------------------------------------- run
    @integration_job
    def _reconcile_orders(self, window_start=None, window_end=None):
        """Compare the channel's orders of the window with the bound sale orders.

        Returns the reconciliation run, or None when the channel does not
        support it. A transient failure reading the channel postpones the job.
        """
        self.ensure_one()
        backend = self.sudo()
        window_start, window_end = backend._reconcile_orders_window(window_start, window_end)
        try:
            orders = backend._channel_orders(window_start, window_end)
            if orders is None:
                return None
            orders = list(orders)
        except TransientError:
            raise  # the job path retries it (integration_job)
        except IntegrationError as error:
            # Refused (credentials, contract): a failed run says so on the dashboard.
            run = self.env["integration.reconciliation.run"].start(
                "orders", backend.system_id, window_start, window_end
            )
            return run.finish(0, error=f"{backend.name}: cannot read the orders: {error}")
        Run = self.env["integration.reconciliation.run"]
        run = Run.start("orders", backend.system_id, window_start, window_end)
        try:
            described = [(order, backend._channel_order_describe(order)) for order in orders]
        except (IntegrationError, KeyError, ValueError, TypeError) as error:
            return run.finish(len(orders), error=f"{type(error).__name__}: {error}")
        snapshot = {}
        for start in range(0, len(described), CHUNK):
            chunk = described[start : start + CHUNK]
            backend._reconcile_orders_compare(run, chunk)
            snapshot.update({str(d["external_id"]): (o, d) for o, d in chunk})
        run.with_context(reconcile_orders_snapshot=_Snapshot(snapshot)).finish(len(orders))
        backend._mark_flow_success("reconciliation")
        return run

    def _reconcile_orders_compare(self, run, described):
        """Add the mismatches of some ``(channel order, description)`` pairs to ``run``."""
        Binding = self.env["integration.binding"].sudo()
        Event = self.env["integration.event"].sudo()
        # The ids of one order: its binding's and its inbox's (e.g. a number and a GID).
        keys = [{str(o["external_id"]), str(d["external_id"])} for o, d in described]
        all_keys = set().union(*keys)
        bindings = Binding.search(
            [
                ("backend_id", "=", self.id),
                ("res_model", "=", "sale.order"),
                ("external_id", "in", list(all_keys)),
            ]
        )
        # Every binding of the sale orders found: one bound to two ids shows here.
        order_bindings = Binding.search(
            [
                ("backend_id", "=", self.id),
                ("res_model", "=", "sale.order"),
                ("res_id", "in", list(set(bindings.mapped("res_id")))),
            ]
        )
        by_external_id = {}
        for binding in bindings:
            by_external_id.setdefault(binding.external_id, Binding)
            by_external_id[binding.external_id] |= binding
        by_sale_order = {}
        for binding in order_bindings:
            by_sale_order.setdefault(binding.res_id, []).append(binding.external_id)
        existing = set(self.env["sale.order"].sudo().browse(list(by_sale_order)).exists().ids)
        events = Event.search(
            [
                ("backend_id", "=", self.id),
                "|",
                ("external_id", "in", [str(d["external_id"]) for _o, d in described]),
                ("dedup_key", "in", [d["dedup_key"] for _o, d in described]),
            ],
            order="id desc",
        )
        events_by_key = {}
        for event in events:
            events_by_key.setdefault(event.external_id, Event)
            events_by_key[event.external_id] |= event
            events_by_key.setdefault(("dedup", event.dedup_key), Event)
            events_by_key[("dedup", event.dedup_key)] |= event
        drain = False
        for (order, description), order_keys in zip(described, keys, strict=True):
            key = str(description["external_id"])
            label = order.get("name") or str(order["external_id"])
            bound = Binding.union(*(by_external_id.get(k, Binding) for k in order_keys))
            if bound:
                self._reconcile_orders_check_bound(run, key, label, bound, by_sale_order, existing)
                continue
            order_events = events_by_key.get(key, Event) | events_by_key.get(
                ("dedup", description["dedup_key"]), Event
            )
            if order_events.filtered(lambda e: e.state in IN_FLIGHT):
                # In the inbox already: the pipeline imports it (or raises it).
                drain = drain or bool(
                    order_events.filtered(lambda e: e.state == "received" and not e.job_uuid)
                )
                continue
            reason, record, exception = self._reconcile_orders_reason(order_events)
            if reason:
                line = run.add_mismatch(key, "sale_order", reason, label, record=record, heal=False)
                if exception:
                    # The open exception is the reason: no second one for the same cause.
                    line.sudo().exception_id = exception
                continue
            run.add_mismatch(key, "sale_order", "missing", label, heal=True)
        if drain:
            self._ensure_drain_job()

    def _reconcile_orders_check_bound(self, run, key, label, bound, by_sale_order, existing):
        sale_orders = self.env["sale.order"].sudo().browse(sorted(set(bound.mapped("res_id"))))
        alive = sale_orders.filtered(lambda so: so.id in existing)
        if len(alive) > 1:
            run.add_mismatch(
                key,
                "sale_order",
                "bound twice: " + ", ".join(alive.mapped("name")),
                label,
                record=alive[0],
                heal=False,
            )
            return
        if not alive:
            run.add_mismatch(
                key,
                "sale_order",
                f"bound to a deleted sale order (id {sale_orders[:1].id})",
                label,
                heal=False,
            )
            return
        external_ids = by_sale_order.get(alive.id, [])
        if len(external_ids) > 1:
            run.add_mismatch(
                key,
                "sale_order",
                f"{alive.name} bound to {len(external_ids)} external ids: "
                + ", ".join(sorted(external_ids)),
                label,
                record=alive,
                heal=False,
            )

    def _reconcile_orders_reason(self, events):
        """Why an unbound order's inbox events keep it from a re-import:
        ``(reason, record, open exception)``, or ``(None, None, None)``."""
        failed = events.filtered(lambda e: e.state == "failed")
        if failed:
            exception = (
                self.env["integration.exception"]
                .sudo()
                .search(
                    [
                        ("state", "in", OPEN_STATES),
                        ("source_model", "=", "integration.event"),
                        ("source_id", "in", failed.ids),
                    ],
                    order="id desc",
                    limit=1,
                )
            )
            if not exception:
                # Grouped into an earlier occurrence: the same order's open exception.
                exception = (
                    self.env["integration.exception"]
                    .sudo()
                    .search(
                        [
                            ("state", "in", OPEN_STATES),
                            ("system_id", "=", self.system_id.id),
                            ("external_ref", "in", list(set(failed.mapped("external_id")))),
                        ],
                        order="id desc",
                        limit=1,
                    )
                )
            if exception:
                return (
                    f"event {failed[0].id} failed: {exception.name}",
                    failed[0],
                    exception,
                )
        done = events.filtered(lambda e: e.state == "done")
        if done:
            event = done[0]
            return (
                f"event {event.id} done at {fields.Datetime.to_string(event.processed_at)} "
                "but no sale order bound",
                event,
                None,
            )
        return None, None, None

    # --------------------------------------------------------------- heal
    def _reconcile_orders_heal(self, run, line):
        """Re-import one missing order through the inbox (source ``poll``)."""
        self.ensure_one()
        snapshot = self.env.context.get("reconcile_orders_snapshot")
        if snapshot is None:
            snapshot = self._reconcile_orders_snapshot(run)
        found = snapshot.orders.get(line.key)
        if found is None:
            return False
        order, description = found
        Event = self.env["integration.event"].sudo()
        event_id = Event._insert_received(self, description, order["payload"], {}, source="poll")
        if not event_id:
            event = Event.search(
                [("backend_id", "=", self.id), ("dedup_key", "=", description["dedup_key"])],
                limit=1,
            )
            if event.state == "failed":
                # Failed and its exception closed without an import: once more.
                event.write({"state": "received", "job_uuid": False})
            elif event.state not in IN_FLIGHT:
                return False
            event_id = event.id
        self._ensure_drain_job()
        line.sudo().note = f"re-imported through the inbox (event {event_id})"
        return True

    def _reconcile_orders_snapshot(self, run):
        """The run's window read again (a heal asked later, by a manager),
        once for all the lines healed together; empty when it cannot be read."""
        try:
            orders = self._channel_orders(run.window_start, run.window_end) or []
            return _Snapshot(
                {
                    str(description["external_id"]): (order, description)
                    for order, description in (
                        (order, self._channel_order_describe(order)) for order in orders
                    )
                }
            )
        except IntegrationError as error:
            _logger.warning("%s: cannot read the orders again: %s", self.name, error)
            return _Snapshot({})
