from pathlib import Path

from odoo import api, fields, models
from odoo.addons.connector_base.lib import retry, signatures
from odoo.addons.connector_base.models.integration_backend_outbound import OutboundRefused

ORDER_SCHEMA = Path(__file__).resolve().parent.parent / "data" / "test_channel_order.json"


class IntegrationBackend(models.Model):
    """The test channel fills the pipeline's hooks the way a real one would."""

    _inherit = "integration.backend"

    channel_type = fields.Selection(
        selection_add=[("test_channel", "Test channel")],
        ondelete={"test_channel": "cascade"},
    )

    def _webhook_verify(self, headers, body):
        if self.channel_type != "test_channel":
            return super()._webhook_verify(headers, body)
        return signatures.verify_base64(
            self._get_secret("webhook_secret"), body, headers.get("X-Test-Hmac-Sha256")
        )

    def _webhook_describe(self, headers, payload):
        if self.channel_type != "test_channel":
            return super()._webhook_describe(headers, payload)
        topic = headers.get("X-Test-Topic", "orders/create")
        return {
            "topic": topic,
            "external_id": str(payload.get("id")),
            "dedup_key": headers.get("X-Test-Delivery-Id")
            or f"{topic}:{payload.get('id')}:{payload.get('updated_at')}",
            "updated_at": (payload.get("updated_at") or "")[:19].replace("T", " ") or None,
        }

    def _event_contract_code(self, event):
        if self.channel_type != "test_channel":
            return super()._event_contract_code(event)
        return "test_channel.order"

    def _map_event(self, event, payload):
        """Channel order -> canonical order; customers come from the channel's API."""
        if self.channel_type != "test_channel":
            return super()._map_event(event, payload)
        customer = None
        if payload.get("customer_id"):
            response = self._client().request(
                "GET",
                f"/customers/{payload['customer_id']}",
                endpoint="/customers",
                trace_id=event.trace_id,
            )
            data = response.json()
            customer = {
                "external_id": str(data["id"]),
                "email": data["email"],
                "first_name": data["first_name"],
                "last_name": data["last_name"],
            }
        document = {
            "external_id": str(payload["id"]),
            "name": payload["name"],
            "channel": "test_channel",
            "currency": payload["currency"],
            "created_at": payload["created_at"],
            "lines": [
                {
                    "sku": line["sku"],
                    "quantity": line["qty"],
                    "unit_price": line["price"],
                }
                for line in payload["lines"]
            ],
            "total_price": payload["total"],
            "financial_status": payload.get("financial_status", "paid"),
            "taxes_included": False,
        }
        if customer:
            document["customer"] = customer
        if payload.get("shipping"):
            document["shipping_lines"] = [
                {"code": "std", "title": "Standard", "price": payload["shipping"]}
            ]
        if payload.get("cancelled_at"):
            document["cancelled_at"] = payload["cancelled_at"]
        if "total_tax" in payload:
            document["total_tax"] = payload["total_tax"]
        if payload.get("updated_at"):
            document["updated_at"] = payload["updated_at"]
        return "order", document

    def _after_import(self, event, doc_type, record):
        """Acknowledge imported orders on the channel, as marketplaces require."""
        if self.channel_type != "test_channel" or not self.api_url:
            return super()._after_import(event, doc_type, record)
        self._client().request(
            "POST",
            f"/orders/{event.external_id}/acknowledge",
            json={"odoo_reference": record.name},
            endpoint="/orders/acknowledge",
            trace_id=event.trace_id,
        )
        return None

    def _channel_orders(self, window_start, window_end):
        """The channel's orders updated in the window, as its webhooks carry them."""
        if self.channel_type != "test_channel":
            return super()._channel_orders(window_start, window_end)
        response = self._client().request(
            "GET",
            "/orders",
            params={
                "updated_at_min": window_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "updated_at_max": window_end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            endpoint="/orders",
        )
        return [
            {
                "external_id": str(order["id"]),
                "name": order["name"],
                "updated_at": order["updated_at"],
                "payload": order,
                "topic": "orders/create",
            }
            for order in response.json()["orders"]
        ]

    def _channel_order_describe(self, order):
        if self.channel_type != "test_channel":
            return super()._channel_order_describe(order)
        return self._webhook_describe({"X-Test-Topic": order["topic"]}, order["payload"])

    # ------------------------------------------------------------ outbound
    # Stock and shipments through the pipeline's hooks only: no stock.move,
    # stock.picking or reconciliation override of its own.
    def _stock_supported(self):
        if self.channel_type != "test_channel":
            return super()._stock_supported()
        return bool(self.api_url)

    def _stock_locations(self):
        if self.channel_type != "test_channel":
            return super()._stock_locations()
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_id.id)], limit=1
        )
        return [{"id": "WH1", "name": "Main warehouse", "location": warehouse.lot_stock_id}]

    def _stock_pending_spec(self):
        if self.channel_type != "test_channel":
            return super()._stock_pending_spec()
        return {"topics": ["orders/create"], "lines": "lines", "sku": "sku", "quantity": "qty"}

    def _stock_read_levels(self, location_id, item_ids=None):
        if self.channel_type != "test_channel":
            return super()._stock_read_levels(location_id, item_ids)
        params = {"location": location_id}
        if item_ids is not None:
            params["skus"] = ",".join(sorted(item_ids))
        response = self._client().request("GET", "/inventory", params=params, endpoint="/inventory")
        return {level["sku"]: level["available"] for level in response.json()["levels"]}

    def _stock_push_levels(self, changes):
        """One batch; the channel applies it only if every expected quantity
        is still its own (409 otherwise: every change is stale)."""
        if self.channel_type != "test_channel":
            return super()._stock_push_levels(changes)
        body = {
            "location": changes[0].location_id,
            "levels": [
                {"sku": c.item_id, "available": c.quantity, "expected": c.known} for c in changes
            ],
        }
        try:
            self._client().request("POST", "/inventory", json=body, endpoint="/inventory")
        except retry.PermanentError as error:
            if getattr(error, "status", None) == 409:
                return list(changes)
            raise OutboundRefused(str(error), business_object="stock") from error
        return []

    def _shipment_supported(self):
        if self.channel_type != "test_channel":
            return super()._shipment_supported()
        return bool(self.api_url)

    def _shipment_send(self, picking, document, trace_id):
        if self.channel_type != "test_channel":
            return super()._shipment_send(picking, document, trace_id)
        try:
            response = self._client().request(
                "POST",
                f"/orders/{document['order_external_id']}/shipments",
                json=document,
                endpoint="/orders/shipments",
                trace_id=trace_id,
            )
        except retry.PermanentError as error:
            if getattr(error, "status", None) != 422:
                raise
            raise OutboundRefused(
                f"The test channel refused the shipment of {picking.name}: {error}",
                business_object="shipment",
                record=picking,
                trace_id=trace_id,
                name=f"Shipment refused: {picking.name}",
            ) from error
        return response.json()["id"]

    def _auth_headers(self):
        if self.channel_type != "test_channel":
            return super()._auth_headers()
        return {"X-Test-Token": self._get_secret("access_token")}

    @api.model
    def _load_test_channel_contract(self):
        Contract = self.env["integration.contract"].sudo()
        if Contract.search([("code", "=", "test_channel.order")]):
            return True
        contract = Contract.create(
            {
                "name": "Test channel order",
                "code": "test_channel.order",
                "business_object": "order",
                "direction": "inbound",
            }
        )
        self.env["integration.contract.version"]._create_shipped(
            {
                "contract_id": contract.id,
                "version": "1.0.0",
                "schema_json": ORDER_SCHEMA.read_text(),
            }
        )
        return True
