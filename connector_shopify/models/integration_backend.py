"""Shopify fills connector_base's hooks, the way a payment provider module
fills ``payment``: the fields and the inbound hooks live here; the session
(auth, client, cost), orders, stock, catalogue, webhooks and fulfilment each
have their own ``_inherit`` file."""

from odoo import api, fields, models
from odoo.addons.connector_base.lib import signatures
from odoo.addons.connector_base.models.integration_event import PipelineError

from .. import const
from ..lib import mapping, queries
from ..lib.dates import to_utc_naive
from ..lib.graphql_client import API_VERSIONS, DEFAULT_VERSION


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    channel_type = fields.Selection(
        selection_add=[("shopify", "Shopify")], ondelete={"shopify": "cascade"}
    )
    shopify_shop_domain = fields.Char(
        "Shop domain", help="The store's myshopify domain, e.g. my-store.myshopify.com."
    )
    shopify_api_version = fields.Selection(
        [(v, v) for v in API_VERSIONS], "API version", default=DEFAULT_VERSION
    )
    shopify_auth = fields.Selection(
        [
            ("client_credentials", "Dev Dashboard app (client credentials)"),
            ("legacy_token", "Custom app Admin API token"),
        ],
        "Authentication",
        default="client_credentials",
    )
    shopify_client_id = fields.Char("Client ID")
    shopify_token_expires_at = fields.Datetime(readonly=True)
    shopify_needs_attention = fields.Boolean(
        "Needs attention",
        readonly=True,
        tracking=True,
        help="Shopify refused the credentials (401) or the app was uninstalled: "
        "calls stop until an administrator fixes the credentials.",
    )
    shopify_location_ids = fields.One2many("shopify.location", "backend_id", "Locations")
    shopify_orders_synced_at = fields.Datetime(
        "Orders caught up to", readonly=True, help="Start of the last successful catch-up."
    )
    shopify_catch_up_overlap = fields.Integer("Catch-up overlap (min)", default=15)
    shopify_stock_reason = fields.Char("Stock change reason", default="correction")
    shopify_follow_levels = fields.Boolean(
        "Follow Shopify's stock levels",
        default=True,
        help="Subscribe to inventory_levels/update: Odoo then knows Shopify's levels as "
        "they change (its next compare-and-set needs no read) and sends its own stock "
        "back at once when a level moves on Shopify's side.",
    )
    shopify_export_products = fields.Boolean(
        "Export products Odoo owns",
        help="Create on Shopify the saleable products whose SKU it lacks, when the "
        "system-of-record rules make Odoo the owner of products.",
    )

    @api.model
    def _load_shopify_contracts(self):
        """The Shopify payloads the connector reads, as active contracts."""
        return self.env["integration.contract"]._load_shipped_contracts(
            const.SCHEMAS, const.SHOPIFY_CONTRACTS, note="Shipped with connector_shopify."
        )

    # ------------------------------------------------------- inbound hooks
    def _default_flows(self):
        if self.channel_type != "shopify":
            return super()._default_flows()
        return [
            ("orders_in", 10),
            ("returns_in", 15),
            ("fulfillment_out", 20),
            ("stock_out", 25),
            ("catalog", 30),
            ("reconciliation", 90),
        ]

    @api.model
    def _webhook_fields(self):
        # _webhook_check compares the shop Shopify names with this one.
        return super()._webhook_fields() + ["shopify_shop_domain"]

    def _webhook_verify(self, headers, body):
        if self.channel_type != "shopify":
            return super()._webhook_verify(headers, body)
        secret = self._shopify_secret("client_secret")
        return bool(secret) and signatures.verify_base64(
            secret, body, headers.get("X-Shopify-Hmac-Sha256")
        )

    def _webhook_check(self, headers, payload):
        """The shop and the topic Shopify names must be this backend's own:
        one app's secret signs the deliveries of every shop it is installed on."""
        if self.channel_type != "shopify":
            return super()._webhook_check(headers, payload)
        headers = {key.lower(): value for key, value in headers.items()}
        shop = (headers.get("x-shopify-shop-domain") or "").strip().lower()
        own = (self.sudo().shopify_shop_domain or "").strip().lower()
        if not shop:
            return "missing X-Shopify-Shop-Domain"
        if shop != own:
            return f"delivery for shop {shop}, this backend is {own or 'not connected'}"
        topic = (headers.get("x-shopify-topic") or "").strip()
        if not topic:
            return "missing X-Shopify-Topic"
        if topic not in queries.WEBHOOK_TOPICS.values():
            return f"topic {topic} is not one this backend subscribes to"
        return None

    def _webhook_describe(self, headers, payload):
        if self.channel_type != "shopify":
            return super()._webhook_describe(headers, payload)
        topic = headers.get("X-Shopify-Topic") or ""
        return self._shopify_describe(
            topic, payload, headers.get("X-Shopify-Event-Id") or headers.get("X-Shopify-Webhook-Id")
        )

    @api.model
    def _shopify_describe(self, topic, payload, event_id=None):
        """Inbox identity: one row per state of an object, whatever the source.

        An order's key is its id and ``updated_at``, so the webhook and the
        catch-up poll of the same version, and Shopify's duplicate deliveries,
        are stored once; the GID as external id lets stale updates of one order
        be recognised across its topics.
        """
        updated_at = to_utc_naive(payload.get("updated_at") or payload.get("created_at"))
        if topic.startswith("orders/"):
            external_id = (
                payload.get("admin_graphql_api_id") or f"gid://shopify/Order/{payload.get('id')}"
            )
            # The version in UTC: webhooks write '+00:00', GraphQL 'Z'; one key.
            dedup = f"order:{payload.get('id')}:{updated_at}"
        elif topic == "inventory_levels/update":
            item, location = payload.get("inventory_item_id"), payload.get("location_id")
            external_id = f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"
            # A redelivery folds (same event id); two changes within one second
            # (updated_at counts seconds) stay two rows.
            dedup = (
                f"inventory_level:{event_id}"
                if event_id
                else f"inventory_level:{item}:{location}:{updated_at}:{payload.get('available')}"
            )
        elif topic == "bulk_operations/finish":
            external_id = payload.get("admin_graphql_api_id") or ""
            # An operation finishes once; a redelivery folds.
            dedup = f"bulk_operation:{external_id}:{payload.get('status')}"
        elif topic == "refunds/create":
            external_id = (
                payload.get("admin_graphql_api_id") or f"gid://shopify/Refund/{payload.get('id')}"
            )
            dedup = f"refund:{payload.get('id')}"
        else:
            external_id = str(payload.get("id") or "")
            dedup = f"{topic}:{event_id or payload.get('id')}"
        return {
            "topic": topic,
            "external_id": external_id,
            "dedup_key": dedup,
            "updated_at": updated_at,
        }

    def _channel_admin_url(self, binding):
        if self.channel_type != "shopify":
            return super()._channel_admin_url(binding)
        shop = (self.shopify_shop_domain or "").split(".")[0]
        if not shop or binding.res_model != "sale.order":
            return None
        order_id = binding.external_id.rsplit("/", 1)[-1]
        return f"https://admin.shopify.com/store/{shop}/orders/{order_id}"

    def _event_contract_code(self, event):
        if self.channel_type != "shopify":
            return super()._event_contract_code(event)
        return const.TOPICS.get(event.topic, {}).get("contract")

    def _event_business_object(self, event):
        if self.channel_type != "shopify":
            return super()._event_business_object(event)
        return const.TOPICS.get(event.topic, {}).get("object", "order")

    def _event_flow(self, topic):
        if self.channel_type != "shopify":
            return super()._event_flow(topic)
        return const.TOPICS.get(topic, {}).get("flow", "orders_in")

    def _event_priority(self, topic):
        if self.channel_type != "shopify":
            return super()._event_priority(topic)
        return const.TOPICS.get(topic, {}).get("priority")

    def _map_event(self, event, payload):
        if self.channel_type != "shopify":
            return super()._map_event(event, payload)
        spec = const.TOPICS.get(event.topic)
        if not spec:
            raise PipelineError(
                "contract",
                f"Shopify topic {event.topic or '(none)'} is not one this backend imports",
                severity="high",
                name=f"Unexpected Shopify topic {event.topic or '(none)'}",
            )
        return getattr(self, f"_shopify_map_{spec['mapper']}")(event, payload)

    def _shopify_map_order(self, event, payload):
        if not payload.get("cancelled_at"):
            try:
                mapping.check_shipping_address(payload)
            except mapping.AddressError as error:
                raise PipelineError(
                    "data_quality",
                    str(error),
                    business_object="customer",
                    severity="high",
                    name=str(error),
                ) from error
        return "order", mapping.order_document(payload)

    def _shopify_map_refund(self, event, payload):
        order = self.env["integration.binding"]._record(
            self, "sale.order", str(payload["order_id"])
        )
        currency = next(
            (t.get("currency") for t in payload.get("transactions") or [] if t.get("currency")),
            None,
        ) or (order.currency_id.name if order else self.company_id.currency_id.name)
        return "return", mapping.refund_document(payload, currency)

    def _shopify_map_inventory_level(self, event, payload):
        """A Shopify level as the canonical ``stock_level`` of the bound SKU
        (nothing to import for an item Odoo does not sell there)."""
        item = f"gid://shopify/InventoryItem/{payload['inventory_item_id']}"
        self.env["integration.binding"].flush_model()
        self.env.cr.execute(
            "SELECT external_id FROM integration_binding WHERE backend_id = %s "
            "AND res_model = 'product.product' AND extra->>'inventory_item_id' = %s LIMIT 1",
            [self.id, item],
        )
        row = self.env.cr.fetchone()
        if not row or payload.get("available") is None:
            return None, None
        return "stock_level", {
            "sku": row[0],
            "location_code": f"gid://shopify/Location/{payload['location_id']}",
            "quantity_available": payload["available"],
            "updated_at": payload["updated_at"],
        }

    def _shopify_map_bulk_finished(self, event, payload):
        """Nothing to import: the job waiting for that operation runs now."""
        self._shopify_wake_bulk_waits(payload["admin_graphql_api_id"])
        return None, None

    def _shopify_map_uninstalled(self, event, payload):
        self._shopify_uninstalled()
        return None, None

    def _channel_rounding_method(self):
        if self.channel_type != "shopify":
            return super()._channel_rounding_method()
        return "round_per_line"
