"""Shipments out to the channel an order came from.

A validated delivery of a channel's order -> one job per backend and picking
-> the canonical ``shipment`` built once from the picking (lines, quantities,
carrier, tracking) and checked against its contract -> the channel's
``_shipment_send`` -> a binding of the picking (never sent twice) -> lineage
on the order's trace. A refusal is an exception for the fulfilment team.
"""

from datetime import timezone

from odoo import fields, models

from .integration_backend_jobs import integration_job
from .integration_event import contract_breach


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # --------------------------------------------------------------- hooks
    def _shipment_supported(self):
        """Hook: True when the channel takes shipments of its orders."""
        return False

    def _shipment_send(self, picking, document, trace_id):
        """Hook: send one canonical shipment (``document``) of ``picking``;
        return the channel's id of it. Raise ``OutboundRefused`` when the
        channel refuses it (e.g. the order was fulfilled elsewhere)."""
        raise NotImplementedError(f"{self.channel_type} backends take no shipments")

    # ------------------------------------------------------------- trigger
    def _shipment_enqueue(self, picking):
        """One job per backend and picking, under the fulfilment flow's policy."""
        self.ensure_one()
        return self._flow_job(
            "fulfillment_out",
            "_export_shipment",
            f"{self.name}: ship {picking.name}",
            picking,
            what=f"picking:{picking.id}",
        )

    # ----------------------------------------------------------------- job
    @integration_job
    def _export_shipment(self, picking):
        """A validated delivery -> the channel's fulfilment of it, once."""
        self.ensure_one()
        Binding = self.env["integration.binding"]
        order = picking.sale_id
        order_ref = Binding._external_id(self, order)
        if not order_ref:
            return "order not from this backend"
        key = f"picking:{picking.id}"
        if Binding._find(self, "stock.picking", key):
            return "already sent"
        refused = self._outbound_refusal("shipment")
        if refused:
            return refused
        trace_id = self._trace_of(order)
        document = self._shipment_document(picking, order_ref)
        self._shipment_check_document(picking, document, trace_id)
        # Its calls are logged as replayable (a replay sends the picking
        # again) and masked by the shipment contract's classification.
        sender = self.with_context(
            integration_replay=("stock.picking", picking.id, "_integration_send_shipments"),
            integration_contract="canonical.shipment",
        )
        external_id = sender._shipment_send(picking, document, trace_id)
        Binding._bind(self, picking, key, extra={"shipment_id": external_id})
        tracking = document.get("tracking_number")
        self.env["integration.lineage"].record_step(
            "exported",
            trace_id=trace_id,
            system=self.system_id,
            direction="outbound",
            external_ref=external_id,
            record=picking,
            job_uuid=self.env.context.get("job_uuid"),
            message=f"shipment {external_id} for {order.name}"
            + (f", tracking {tracking}" if tracking else ""),
        )
        self._mark_flow_success("fulfillment_out")
        return f"shipment {external_id}"

    def _shipment_document(self, picking, order_ref):
        """The canonical shipment of a done picking: what it shipped, by SKU."""
        lines = {}
        for move in picking.move_ids.filtered(lambda m: m.state == "done" and m.quantity > 0):
            sku = move.product_id.default_code or f"product-{move.product_id.id}"
            lines[sku] = lines.get(sku, 0) + int(move.quantity)
        shipped_at = fields.Datetime.to_datetime(picking.date_done or fields.Datetime.now())
        document = {
            "external_id": f"picking:{picking.id}",
            "order_external_id": str(order_ref),
            "order_name": picking.sale_id.client_order_ref or picking.sale_id.name,
            "carrier": picking.carrier_id.name or None,
            "tracking_number": picking.carrier_tracking_ref or None,
            "tracking_url": picking.carrier_tracking_url or None,
            "shipped_at": shipped_at.replace(tzinfo=timezone.utc).isoformat(timespec="seconds"),
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in sorted(lines.items()) if qty],
        }
        # Unknown values are left out, never sent as null (the contract's rule).
        return {key: value for key, value in document.items() if value not in (None, "")}

    def _shipment_check_document(self, picking, document, trace_id):
        result = self.env["integration.contract"].validate_payload("canonical.shipment", document)
        if result["violations"]:
            raise contract_breach(
                f"Shipment of {picking.name}",
                result,
                business_object="shipment",
                payload=document,
                record=picking,
                trace_id=trace_id,
                name=f"{result['version'].display_name}: shipment of {picking.name}",
            )

    # --------------------------------------------------------------- trace
    def _trace_of(self, record):
        """The trace a record's business transaction came in on (its first
        lineage step): an order's shipments join the order's trace."""
        journey = self.env["integration.trace"].journey_of_record(record)
        if journey:
            return journey.trace_id
        step = (
            self.env["integration.lineage"]
            .sudo()
            .search(
                [("res_model", "=", record._name), ("res_id", "=", record.id)], order="id", limit=1
            )
        )
        return step.trace_id or None
