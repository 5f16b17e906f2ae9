import functools
import hashlib
import json
import logging
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.addons.connector_base.lib import retry, signatures
from odoo.addons.connector_base.lib.http_client import HttpClient
from odoo.addons.connector_base.models.integration_event import PipelineError
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.exceptions import UserError

from ..lib import mapping, queries, response_schema, stock_sync
from ..lib.graphql_client import (
    API_VERSIONS,
    DEFAULT_VERSION,
    ShopifyContractError,
    ShopifyGraphQL,
    ShopifyUserError,
)

_logger = logging.getLogger(__name__)

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
TOPIC_CONTRACTS = {
    "orders/create": "shopify.order",
    "orders/updated": "shopify.order",
    "orders/cancelled": "shopify.order",
    "refunds/create": "shopify.refund",
    "app/uninstalled": "shopify.shop",
}
# What the bucket is asked for when an operation's cost is not known yet.
DEFAULT_COST = {"mutation": 10.0, "query": 100.0}
# Requested cost last seen per (backend, operation): the next call waits for that.
_COST_MEMORY = {}


def retry_when_transient(method):
    """Jobs: a transient failure (5xx, timeout, open circuit) postpones the job
    with the backend's backoff instead of failing it; others fail it."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except retry.TransientError as error:
            if not self.env.context.get("job_uuid"):
                raise
            job = Job.load(self.env, self.env.context["job_uuid"])
            delay = self._retry_delay((job.retry if job else 0) + 1, error.retry_after)
            raise RetryableJobError(str(error), seconds=max(int(delay), 1)) from error

    return wrapper


def to_utc_naive(value):
    """'2026-11-20T10:00:00-05:00' -> '2026-11-20 15:00:00' (Odoo stores UTC)."""
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.strftime("%Y-%m-%d %H:%M:%S")


class IntegrationBackend(models.Model):
    """Shopify fills connector_base's hooks (like a payment provider module)."""

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
    shopify_export_products = fields.Boolean(
        "Export products Odoo owns",
        help="Create on Shopify the saleable products whose SKU it lacks, when the "
        "system-of-record rules make Odoo the owner of products.",
    )

    @api.model
    def _load_shopify_contracts(self):
        """The Shopify payloads the connector reads, as active contracts."""
        return self.env["integration.contract"]._load_shipped_contracts(
            SCHEMAS, SHOPIFY_CONTRACTS, note="Shipped with connector_shopify."
        )

    # --------------------------------------------------------------- hooks
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

    def _event_contract_code(self, event):
        if self.channel_type != "shopify":
            return super()._event_contract_code(event)
        return TOPIC_CONTRACTS.get(event.topic)

    def _event_business_object(self, event):
        if self.channel_type != "shopify":
            return super()._event_business_object(event)
        if event.topic == "refunds/create":
            return "return"
        return "order"

    def _map_event(self, event, payload):
        if self.channel_type != "shopify":
            return super()._map_event(event, payload)
        if event.topic in ("orders/create", "orders/updated", "orders/cancelled"):
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
        if event.topic == "refunds/create":
            order = self.env["integration.binding"]._record(
                self, "sale.order", str(payload["order_id"])
            )
            currency = next(
                (t.get("currency") for t in payload.get("transactions") or [] if t.get("currency")),
                None,
            ) or (order.currency_id.name if order else self.company_id.currency_id.name)
            return "return", mapping.refund_document(payload, currency)
        if event.topic == "app/uninstalled":
            self._shopify_uninstalled()
            return None, None
        raise PipelineError(
            "contract",
            f"Shopify topic {event.topic or '(none)'} is not one this backend imports",
            severity="high",
            name=f"Unexpected Shopify topic {event.topic or '(none)'}",
        )

    def _after_import(self, event, doc_type, record):
        if self.channel_type != "shopify":
            return super()._after_import(event, doc_type, record)
        if doc_type == "order" and record and record.state != "cancel":
            self._shopify_check_taxes(event.payload, record)
        return None

    def _shopify_check_taxes(self, payload, order):
        """Odoo's taxes must come to Shopify's, like money compares: to the
        currency's rounding, with the slack of Shopify's per-line rounding and
        the backend's tolerance; a gap beyond is a tax set-up problem."""
        expected = float(payload.get("total_tax") or 0.0)
        taxed_lines = len(order.order_line.filtered("tax_ids")) or 1
        if self._amounts_match(expected, order.amount_tax, order.currency_id, taxed_lines):
            return
        raise PipelineError(
            "business_rule",
            f"Tax mismatch on Shopify order {payload.get('name')}: Shopify charged "
            f"{expected:.2f}, Odoo computes {order.amount_tax:.2f} "
            f"({'included' if payload.get('taxes_included') else 'excluded'} taxes, "
            f"{taxed_lines} taxed line(s), tolerance {self.amount_tolerance:.2f})",
            business_object="order",
            severity="high",
            impact_amount=abs(order.amount_tax - expected),
            name=f"Tax mismatch on Shopify order {payload.get('name')}",
        )

    def _channel_rounding_method(self):
        if self.channel_type != "shopify":
            return super()._channel_rounding_method()
        return "round_per_line"

    def _auth_headers(self):
        if self.channel_type != "shopify":
            return super()._auth_headers()
        return {"X-Shopify-Access-Token": self._shopify_access_token()}

    def _before_call(self, endpoint):
        if self.channel_type != "shopify":
            return super()._before_call(endpoint)
        if self.shopify_needs_attention:
            raise retry.AuthenticationError(
                f"{self.name}: Shopify credentials need attention; no call sent"
            )
        operation = endpoint.split(":", 1)[-1]
        cost = _COST_MEMORY.get((self.id, operation))
        if cost is None:
            cost = DEFAULT_COST["mutation" if operation in MUTATIONS else "query"]
        self.env["integration.circuit"]._check(self, endpoint)
        wait = self.env["integration.throttle"]._acquire(self, min(cost, self.rate_capacity))
        if wait > 0:
            time.sleep(min(wait, 60.0))

    def _after_call(self, record):
        super()._after_call(record)
        if self.channel_type == "shopify" and record.status == 401:
            self._shopify_unauthorized(record.endpoint)

    # ------------------------------------------------------------ session
    def _shopify_base_url(self):
        return (self.api_url or f"https://{self.shopify_shop_domain}").rstrip("/")

    def _shopify_access_token(self):
        """The Admin API token: the legacy one, or one issued by client credentials
        (renewed a minute before it expires)."""
        self.ensure_one()
        backend = self.sudo()
        token = backend._shopify_secret("access_token")
        if backend.shopify_auth == "legacy_token":
            return token or ""
        expires = backend.shopify_token_expires_at
        if token and expires and expires > fields.Datetime.now() + timedelta(minutes=1):
            return token
        return backend._shopify_issue_token()

    def _shopify_secret(self, key):
        """A secret of this backend, or None when it was never stored."""
        try:
            return self._get_secret(key)
        except UserError:
            return None

    def _shopify_issue_token(self):
        """Client-credentials grant of Dev Dashboard apps (one call, token ~24 h)."""
        client = HttpClient(
            self._shopify_base_url(),
            timeout=(self.timeout_connect, self.timeout_read),
            after_call=lambda record: self.env["integration.message"]._log_call(self, record),
        )
        try:
            response = client.post(
                "/admin/oauth/access_token",
                json={
                    "client_id": self.shopify_client_id,
                    "client_secret": self._get_secret("client_secret"),
                    "grant_type": "client_credentials",
                },
                endpoint="oauth:access_token",
            )
        except retry.PermanentError as error:
            self._shopify_unauthorized("oauth:access_token", str(error))
            raise retry.AuthenticationError(
                f"{self.name}: token request refused: {error}"
            ) from error
        body = response.json()
        self.env["integration.credential"]._store_secret(self, "access_token", body["access_token"])
        self.shopify_token_expires_at = fields.Datetime.now() + timedelta(
            seconds=int(body.get("expires_in") or 86399)
        )
        return body["access_token"]

    def _shopify(self):
        """A GraphQL client with this backend's version, throttle and log."""
        self.ensure_one()
        backend = self.sudo()
        client = HttpClient(
            backend._shopify_base_url(),
            timeout=(backend.timeout_connect, backend.timeout_read),
            headers=backend._auth_headers(),
            before_call=lambda endpoint: backend._before_call(endpoint),
            after_call=lambda record: backend._after_call(record),
        )
        return ShopifyGraphQL(
            client,
            backend.shopify_api_version or DEFAULT_VERSION,
            on_cost=backend._shopify_cost,
            on_data=backend._shopify_check_response,
        )

    def _shopify_check_response(self, operation, document, data, trace_id=None):
        """Validate the ``data`` of an answer to one of the connector's documents
        against its response contract (``shopify.graphql.<operation>``), once per
        answer, before anything reads it. Other documents (ad hoc queries, an
        operation named like ours with another selection) are not ours to judge.

        A breach raises a ``contract`` exception for the integration team, with
        the violations and the answer, and fails the call (ShopifyContractError).
        """
        spec = RESPONSE_CONTRACTS.get(operation)
        if not spec or document not in spec["documents"]:
            return
        result = self.env["integration.contract"].validate_payload(spec["code"], data)
        violations = result["violations"]
        if not violations:
            return
        version = result["version"]
        error = ShopifyContractError(operation, violations, version.display_name)
        self._shopify_contract_exception(
            str(error),
            business_object=spec["business_object"],
            payload=data,
            violations=violations,
            contract_version=version,
            trace_id=trace_id,
            name=f"{version.display_name}: {len(violations)} violation(s) in {self.name}'s answer",
        )
        raise error

    def _shopify_contract_exception(self, message, *, contract_version, **kwargs):
        """Raise the exception in its own transaction, so that it outlives the
        failed job's rollback; in the caller's when what it refers to is not
        committed yet (a backend being onboarded) or that transaction fails."""
        values = dict(kwargs, severity="high", contract_version=contract_version)
        try:
            with self.env.registry.cursor() as cr:
                cr.execute(
                    "SELECT (SELECT count(*) FROM integration_system WHERE id = %s)"
                    " + (SELECT count(*) FROM integration_contract_version WHERE id = %s)",
                    [self.system_id.id or 0, contract_version.id],
                )
                if cr.fetchone()[0] == bool(self.system_id) + 1:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["integration.exception"].raise_exception(
                        "contract",
                        message,
                        system=self.system_id.with_env(env),
                        **dict(values, contract_version=contract_version.with_env(env)),
                    )
                    return
        except psycopg2.Error:
            _logger.warning("Contract exception kept in the caller's transaction", exc_info=True)
        self.env["integration.exception"].sudo().raise_exception(
            "contract", message, system=self.system_id, **values
        )

    def _shopify_cost(self, cost, operation=None):
        """Follow Shopify's bucket: its size, restore rate and what is left, and
        remember what the operation asked for, so its next call waits for that."""
        if operation and cost.get("requested"):
            _COST_MEMORY[(self.id, operation)] = cost["requested"]
        maximum, rate = cost.get("maximum"), cost.get("restore_rate")
        if maximum and rate and (maximum != self.rate_capacity or rate != self.rate_per_second):
            self.env.cr.execute(
                "UPDATE integration_backend SET rate_capacity = %s, rate_per_second = %s "
                "WHERE id = %s",
                [maximum, rate, self.id],
            )
            self.invalidate_recordset(["rate_capacity", "rate_per_second"])
        if maximum and cost.get("available") is not None:
            self.env["integration.throttle"]._observe(
                self, max(maximum - cost["available"], 0.0), maximum
            )

    def _shopify_call(
        self, document, variables=None, *, operation, trace_id=None, mutation_field=None
    ):
        """One document, waiting for the bucket; a throttled answer is retried
        after Shopify's restore time (a few times), other errors are raised."""
        api = self._shopify()
        for attempt in range(4):
            try:
                if mutation_field:
                    result = api.mutate(
                        document,
                        variables,
                        operation=operation,
                        field=mutation_field,
                        trace_id=trace_id,
                    )
                else:
                    result = api.execute(
                        document, variables, operation=operation, trace_id=trace_id
                    )
                return result
            except retry.ThrottledError as error:
                if attempt == 3:
                    raise
                time.sleep(min(error.retry_after or 1.0, 20.0))
        return None

    def _shopify_unauthorized(self, endpoint, detail=None):
        """401: stop calling (circuit open, flag raised) and ask a person."""
        self.ensure_one()
        self.env["integration.circuit"]._trip(self, endpoint)
        if self.shopify_needs_attention:
            return
        with self.env.registry.cursor() as cr:
            cr.execute(
                "UPDATE integration_backend SET shopify_needs_attention = TRUE WHERE id = %s",
                [self.id],
            )
        self.invalidate_recordset(["shopify_needs_attention"])
        self.env["integration.exception"].sudo().raise_exception(
            "authentication",
            f"Shopify refused {self.name}'s credentials ({endpoint}): "
            f"{detail or 'HTTP 401'}. Renew the token or the client secret, then clear "
            "'Needs attention' on the backend.",
            severity="critical",
            system=self.system_id,
            name=f"{self.name}: Shopify credentials refused",
        )

    def _shopify_uninstalled(self):
        """app/uninstalled: the store removed the app; nothing works until reinstalled."""
        self.ensure_one()
        self.sudo().write({"state": "disabled", "shopify_needs_attention": True})
        self._raise_attention(
            f"The app was uninstalled from {self.shopify_shop_domain}: the backend is "
            "disabled. Reinstall the app, renew the credentials and activate the backend.",
            category="authentication",
        )

    def action_shopify_clear_attention(self):
        self._check_integration_manager()
        self.write({"shopify_needs_attention": False})
        for backend in self:
            self.env["integration.circuit"].sudo().search([("backend_id", "=", backend.id)]).write(
                {"state": "closed", "failures": 0}
            )

    # ------------------------------------------------------------- flows
    def action_shopify_test_connection(self):
        self.ensure_one()
        self._check_integration_manager()
        shop = self._shopify_call(queries.SHOP, operation="Shop")["shop"]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Connected to %(name)s (%(domain)s, %(currency)s).",
                    name=shop["name"],
                    domain=shop["myshopify_domain"]
                    if "myshopify_domain" in shop
                    else shop["myshopifyDomain"],
                    currency=shop["currencyCode"],
                ),
            },
        }

    def _shopify_fetch_locations(self):
        return list(
            self._shopify().paginate(
                queries.LOCATIONS, {}, operation="Locations", path=["locations"], page_size=50
            )
        )

    def action_shopify_sync_locations(self):
        """Create the store's locations, mapped to the company's first warehouse."""
        self._check_integration_manager()
        Location = self.env["shopify.location"].sudo()
        for backend in self:
            warehouse = self.env["stock.warehouse"].search(
                [("company_id", "=", backend.company_id.id)], limit=1
            )
            known = {loc.shopify_id: loc for loc in backend.shopify_location_ids}
            for node in backend._shopify_fetch_locations():
                values = {"name": node["name"], "active_on_shopify": node["isActive"]}
                if node["id"] in known:
                    known[node["id"]].write(values)
                else:
                    Location.create(
                        {
                            **values,
                            "backend_id": backend.id,
                            "shopify_id": node["id"],
                            "warehouse_id": warehouse.id,
                        }
                    )
        return True

    @api.model
    def _cron_shopify_catch_up(self):
        for backend in self.search([("channel_type", "=", "shopify"), ("state", "=", "active")]):
            backend.with_delay(
                channel=backend.job_channel,
                identity_key=f"shopify:{backend.id}:catch_up",
                description=f"{backend.name}: catch up orders",
            )._shopify_catch_up_orders()

    @retry_when_transient
    def _shopify_catch_up_orders(self, page_size=5):
        """Page the orders updated since the last success (minus an overlap) into
        the inbox, so an order whose webhook never came is still imported."""
        self.ensure_one()
        started = fields.Datetime.now()
        since = (self.shopify_orders_synced_at or started - timedelta(days=3)) - timedelta(
            minutes=self.shopify_catch_up_overlap
        )
        Event = self.env["integration.event"].sudo()
        stored = seen = 0
        for order in self._shopify_window_orders(since, page_size=page_size):
            seen += 1
            description = self._shopify_describe(order["topic"], order["payload"])
            if Event._insert_received(self, description, order["payload"], {}, source="poll"):
                stored += 1
        if stored:
            self._ensure_drain_job()
        self.shopify_orders_synced_at = started
        self._mark_flow_success("orders_in")
        return f"{seen} orders seen, {stored} new to the inbox"

    def _shopify_window_orders(self, window_start, window_end=None, page_size=5):
        """The store's orders updated in the window (open-ended without an end),
        page by page, shaped as their ``orders/*`` webhooks: what the catch-up
        poll and the orders reconciliation both read (a generator)."""
        self.ensure_one()
        query = f"updated_at:>='{window_start.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        if window_end:
            query += f" AND updated_at:<='{window_end.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        for node in self._shopify().paginate(
            queries.ORDERS,
            {"query": query},
            operation="Orders",
            path=["orders"],
            page_size=page_size,
        ):
            payload = mapping.order_from_graphql(node)
            yield {
                # What the importer binds (mapping.order_document): the numeric id.
                "external_id": str(payload["id"]),
                "name": payload["name"],
                "updated_at": payload["updated_at"],
                "payload": payload,
                "topic": "orders/cancelled" if payload.get("cancelled_at") else "orders/updated",
            }

    # --------------------------------------------------------------- stock
    def _shopify_stock_locations(self):
        return self.shopify_location_ids.filtered(lambda loc: loc.export_stock and loc.warehouse_id)

    def _shopify_variant_bindings(self, product_ids=None, dirty_only=False):
        domain = [
            ("backend_id", "=", self.id),
            ("res_model", "=", "product.product"),
        ]
        if product_ids is not None:
            domain.append(("res_id", "in", list(product_ids)))
        if dirty_only:
            domain.append(("shopify_stock_dirty", "=", True))
        bindings = self.env["integration.binding"].sudo().search(domain)
        return bindings.filtered(lambda b: (b.extra or {}).get("inventory_item_id"))

    def _shopify_pending_quantities(self):
        """Units of Shopify orders already in the inbox but not yet in Odoo's stock:
        Shopify took them off its quantity, Odoo has not reserved them yet."""
        self.env.cr.execute(
            """
            SELECT line->>'sku', SUM((line->>'quantity')::numeric)
              FROM integration_event e,
                   jsonb_array_elements(e.payload->'line_items') line
             WHERE e.backend_id = %s AND e.state IN ('received', 'processing')
               AND e.topic = 'orders/create'
             GROUP BY 1
            """,
            [self.id],
        )
        return {sku: float(qty) for sku, qty in self.env.cr.fetchall() if sku}

    def _shopify_targets(self, bindings):
        """{(inventory item, location): (quantity Odoo can sell there, SKU)}."""
        pending = self._shopify_pending_quantities()
        products = self.env["product.product"].sudo().browse(bindings.mapped("res_id"))
        targets = {}
        for location in self._shopify_stock_locations():
            free = {
                product.id: product.free_qty
                for product in products.with_context(location=location.warehouse_id.lot_stock_id.id)
            }
            for binding in bindings:
                quantity = free.get(binding.res_id, 0.0) - pending.get(binding.external_id, 0.0)
                targets[(binding.extra["inventory_item_id"], location.shopify_id)] = (
                    max(int(quantity), 0),
                    binding.external_id,
                )
        return targets

    def _shopify_read_levels(self, location, item_ids=None):
        """{inventory item: available} at a Shopify location: the whole location
        page by page, or only the given items."""
        levels = {}
        if item_ids is None:
            for node in self._shopify().paginate(
                queries.INVENTORY_LEVELS,
                {"locationId": location},
                operation="InventoryLevels",
                path=["location", "inventoryLevels"],
                page_size=250,
            ):
                levels[node["item"]["id"]] = stock_sync.available_of(node)
            return levels
        for chunk in stock_sync.batches(sorted(item_ids), 100):
            data = self._shopify_call(
                queries.ITEM_LEVELS, {"ids": chunk, "locationId": location}, operation="ItemLevels"
            )
            for node in data.get("nodes") or []:
                if node:
                    levels[node["id"]] = stock_sync.available_of(node.get("inventoryLevel"))
        return levels

    @retry_when_transient
    def _shopify_export_stock(self, product_ids=None, full=False):
        """Bring Shopify's available quantities to Odoo's (the changed variants,
        or all of them); compare-and-set, idempotent, 250 per call."""
        self.ensure_one()
        if self.state != "active":
            return "backend not active"
        bindings = self._shopify_variant_bindings(
            product_ids, dirty_only=not full and product_ids is None
        )
        if not bindings:
            return "nothing to export"
        # Changes arriving from now on mark their variants again. Cleared in a
        # short transaction of its own, so order imports marking variants never
        # wait for (or conflict with) this long job; marked again if it fails.
        self._shopify_set_dirty(bindings, False)
        try:
            return self._shopify_export_levels(bindings, full)
        except Exception:
            self._shopify_set_dirty(bindings, True)
            raise

    def _shopify_set_dirty(self, bindings, dirty):
        with self.env.registry.cursor() as cr:
            cr.execute(
                "UPDATE integration_binding SET shopify_stock_dirty = %s "
                "WHERE id = ANY(%s) AND shopify_stock_dirty IS "
                + ("NOT TRUE" if dirty else "TRUE"),
                [dirty, bindings.ids],
            )
        bindings.invalidate_recordset(["shopify_stock_dirty"])

    def _shopify_export_levels(self, bindings, full):
        targets = self._shopify_targets(bindings)
        known = self._shopify_known_levels(bindings)
        for location in self._shopify_stock_locations():
            missing = {
                item
                for (item, loc) in targets
                if loc == location.shopify_id and (item, loc) not in known
            }
            if missing:
                read = self._shopify_read_levels(
                    location.shopify_id, None if full or len(missing) > 500 else missing
                )
                known.update({(item, location.shopify_id): qty for item, qty in read.items()})
        changes = stock_sync.plan(targets, known)
        sent = self._shopify_push_levels(changes, known)
        self._shopify_store_levels(bindings, known)
        self._mark_flow_success("stock_out")
        return f"{len(targets)} levels compared, {sent} changed on Shopify"

    def _shopify_known_levels(self, bindings):
        known = {}
        for binding in bindings:
            item = binding.extra["inventory_item_id"]
            for location, quantity in ((binding.extra or {}).get("levels") or {}).items():
                known[(item, location)] = quantity
        return known

    def _shopify_store_levels(self, bindings, known):
        """Remember Shopify's quantities (what we read or set there).

        Facts about Shopify, kept whatever becomes of this job, and written in
        a short transaction of their own: the export's long transaction never
        writes a binding row, so order imports marking variants meanwhile
        cannot make it fail on a serialization conflict.
        """
        rows = []
        for binding in bindings:
            item = binding.extra["inventory_item_id"]
            levels = {location: quantity for (i, location), quantity in known.items() if i == item}
            if levels != (binding.extra or {}).get("levels"):
                rows.append((binding.id, json.dumps(levels)))
        if not rows:
            return
        with self.env.registry.cursor() as cr:
            for start in range(0, len(rows), 1000):
                chunk = rows[start : start + 1000]
                cr.execute(
                    "UPDATE integration_binding b SET extra = jsonb_set("
                    "COALESCE(b.extra, '{}'::jsonb), '{levels}', v.levels::jsonb) "
                    "FROM (VALUES "
                    + ", ".join(["(%s, %s)"] * len(chunk))
                    + ") AS v(id, levels) WHERE b.id = v.id",
                    [value for row in chunk for value in row],
                )
        bindings.invalidate_recordset(["extra"])

    def _shopify_push_levels(self, changes, known):
        """Send the changes; a refused compare re-reads the batch's items and
        recomputes against Shopify's new quantities (up to three times)."""
        version = self.shopify_api_version or DEFAULT_VERSION
        document = stock_sync.inventory_set_document(version)
        run_key = self.env.context.get("job_uuid") or secrets.token_hex(8)
        sent = 0
        for batch in stock_sync.batches(changes):
            for attempt in range(4):
                # The key names this job's intent: a retry of the job sending the
                # same quantities is applied once; different ones get a new key
                # (and the compare-and-set judges them against Shopify's state).
                variables = stock_sync.mutation_variables(
                    batch,
                    version,
                    self.shopify_stock_reason or "correction",
                    key="",
                    reference=f"gid://odoo-integration/StockSync/{run_key}",
                )
                if "key" in variables:
                    digest = hashlib.sha256(
                        json.dumps(variables["input"], sort_keys=True).encode()
                    ).hexdigest()[:24]
                    variables["key"] = f"odoo-{self.id}-{run_key}-{digest}"
                try:
                    self._shopify_call(
                        document,
                        variables,
                        operation="InventorySet",
                        mutation_field="inventorySetQuantities",
                    )
                except ShopifyUserError as error:
                    if not error.codes & stock_sync.STALE_CODES or attempt == 3:
                        self._shopify_stock_refused(batch, error)
                        break
                    location = batch[0].location_id
                    fresh = self._shopify_read_levels(location, {c.item_id for c in batch})
                    for change in batch:
                        change.known = fresh.get(change.item_id)
                        known[(change.item_id, change.location_id)] = change.known
                    batch = [c for c in batch if c.known != c.quantity]
                    if not batch:
                        break
                    continue
                for change in batch:
                    known[(change.item_id, change.location_id)] = change.quantity
                sent += len(batch)
                break
        return sent

    def _shopify_stock_refused(self, batch, error):
        self.env["integration.exception"].sudo().raise_exception(
            "business_rule",
            f"Shopify refused stock levels of {', '.join(c.key for c in batch[:10])}"
            f"{'...' if len(batch) > 10 else ''}: {error}",
            severity="high",
            system=self.system_id,
            business_object="stock",
            name=f"{self.name}: stock update refused",
        )

    def _shopify_mark_stock_dirty(self, products):
        """Called on every stock change: mark bound variants, coalesce one export."""
        if not products:
            return
        self.env["integration.binding"].flush_model()
        self.env.cr.execute(
            """
            UPDATE integration_binding b SET shopify_stock_dirty = TRUE
              FROM integration_backend k
             WHERE b.backend_id = k.id AND k.channel_type = 'shopify' AND k.state = 'active'
               AND b.res_model = 'product.product' AND b.res_id = ANY(%s)
               AND b.shopify_stock_dirty IS NOT TRUE
            RETURNING b.backend_id
            """,
            [list(products.ids)],
        )
        backend_ids = {row[0] for row in self.env.cr.fetchall()}
        self.env["integration.binding"].invalidate_model(["shopify_stock_dirty"])
        for backend in self.browse(sorted(backend_ids)):
            backend._coalesce("_shopify_export_stock", flow="stock_out")

    @api.model
    def _cron_shopify_reconcile_stock(self):
        for backend in self.search([("channel_type", "=", "shopify"), ("state", "=", "active")]):
            backend.with_delay(
                channel=backend.job_channel,
                identity_key=f"shopify:{backend.id}:reconcile_stock",
                description=f"{backend.name}: stock reconciliation",
            )._shopify_reconcile_stock()

    @retry_when_transient
    def _shopify_reconcile_stock(self):
        """Compare every bound variant's Shopify quantity with Odoo's; heal each
        mismatch (Odoo owns stock) or raise it when Shopify refuses the heal."""
        self.ensure_one()
        run = self.env["integration.reconciliation.run"].start("stock", self.system_id)
        bindings = self._shopify_variant_bindings()
        targets = self._shopify_targets(bindings)
        known = {}
        names = {}
        for location in self._shopify_stock_locations():
            names[location.shopify_id] = location.name
            read = self._shopify_read_levels(location.shopify_id)
            known.update({(item, location.shopify_id): qty for item, qty in read.items()})
        by_item = {b.extra["inventory_item_id"]: b for b in bindings}
        for (item, location), (quantity, sku) in sorted(targets.items()):
            current = known.get((item, location))
            if current != quantity:
                run.add_mismatch(
                    f"{sku}@{names.get(location, location)}",
                    "available",
                    quantity,
                    current,
                    record=self.env["product.product"].browse(by_item[item].res_id),
                )
        self._shopify_store_levels(bindings, known)
        run.with_context(shopify_backend_id=self.id).finish(len(targets))
        self._mark_flow_success("reconciliation")
        return run

    # ------------------------------------------------------------- catalog
    def action_shopify_import_catalog(self):
        self._check_integration_manager()
        for backend in self:
            backend.with_delay(
                channel=backend.job_channel,
                identity_key=f"shopify:{backend.id}:catalog",
                description=f"{backend.name}: match the catalogue",
            )._shopify_import_catalog()
        return True

    @retry_when_transient
    def _shopify_import_catalog(self):
        """Bind Shopify variants to Odoo products by SKU (default code)."""
        self.ensure_one()
        Binding = self.env["integration.binding"].sudo()
        Product = self.env["product.product"].sudo()
        variants = list(
            self._shopify().paginate(
                queries.VARIANTS, {}, operation="Variants", path=["productVariants"], page_size=250
            )
        )
        skus = [v["sku"] for v in variants if v.get("sku")]
        products = {p.default_code: p for p in Product.search([("default_code", "in", skus)])}
        existing = {
            b.external_id: b
            for b in Binding.search(
                [("backend_id", "=", self.id), ("res_model", "=", "product.product")]
            )
        }
        bound, unmatched = 0, []
        for variant in variants:
            sku = variant.get("sku")
            product = products.get(sku)
            if not product:
                if sku:
                    unmatched.append(sku)
                continue
            extra = {
                "variant_id": variant["id"],
                "product_id": variant["product"]["id"],
                "inventory_item_id": variant["inventoryItem"]["id"],
            }
            binding = existing.get(sku)
            if binding:
                if (
                    binding.res_id != product.id
                    or (binding.extra or {}).get("variant_id") != extra["variant_id"]
                ):
                    binding.write(
                        {"res_id": product.id, "extra": {**(binding.extra or {}), **extra}}
                    )
            else:
                Binding._bind(self, product, sku, extra=extra, new=True)
            bound += 1
        self._mark_flow_success("catalog")
        if self.shopify_export_products:
            self._shopify_export_products(set(skus))
        return f"{bound} variants bound, {len(unmatched)} Shopify SKUs unknown to Odoo"

    def _shopify_export_products(self, shopify_skus):
        """Create the products Odoo owns and Shopify lacks (productSet)."""
        rule = (
            self.env["integration.sor.rule"]
            ._rules_for("product")
            .filtered(lambda r: not r.field_name)[:1]
        )
        if rule and rule.owner_scope != "odoo":
            return 0  # Shopify (or another system) owns the catalogue
        products = (
            self.env["product.product"]
            .sudo()
            .search(
                [
                    ("sale_ok", "=", True),
                    ("default_code", "!=", False),
                    ("default_code", "not in", list(shopify_skus)),
                ]
            )
        )
        created = 0
        for product in products:
            payload = self._shopify_call(
                queries.PRODUCT_SET,
                {
                    "input": {
                        "title": product.name,
                        "productOptions": [
                            {"name": "Title", "values": [{"name": "Default Title"}]}
                        ],
                        "variants": [
                            {
                                "optionValues": [{"optionName": "Title", "name": "Default Title"}],
                                "sku": product.default_code,
                                "price": str(product.lst_price),
                            }
                        ],
                    }
                },
                operation="ProductSet",
                mutation_field="productSet",
            )
            for variant in payload["product"]["variants"]["nodes"]:
                if variant.get("sku") == product.default_code:
                    self.env["integration.binding"]._bind(
                        self,
                        product,
                        product.default_code,
                        extra={
                            "variant_id": variant["id"],
                            "product_id": payload["product"]["id"],
                            "inventory_item_id": variant["inventoryItem"]["id"],
                        },
                    )
                    created += 1
        return created

    # ------------------------------------------------------------ webhooks
    def _shopify_wanted_webhooks(self):
        """{topic enum: includeFields} the connector needs, all to this backend's URL.

        The fields are the property paths of the topic's active contract: a new
        contract version changes the subscription at the next webhook check.
        """
        Contract = self.env["integration.contract"]
        wanted = {}
        for topic, rest_topic in queries.WEBHOOK_TOPICS.items():
            version = self.env["integration.contract.version"].browse(
                Contract._active_version_id(TOPIC_CONTRACTS[rest_topic])
            )
            wanted[topic] = (
                queries.include_fields(version._schema())
                if version
                else queries.TOPIC_FIELDS[topic]
            )
        return wanted

    def action_shopify_check_webhooks(self):
        self.ensure_one()
        self._check_integration_manager()
        report = self._shopify_check_webhooks()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if not report["errors"] else "warning",
                "sticky": bool(report["errors"]),
                "message": self.env._(
                    "Webhooks: %(ok)s in order, %(created)s created, %(updated)s repaired, "
                    "%(deleted)s removed. %(errors)s",
                    ok=report["ok"],
                    created=report["created"],
                    updated=report["updated"],
                    deleted=report["deleted"],
                    errors="; ".join(report["errors"]),
                ),
            },
        }

    def _shopify_check_webhooks(self):
        """Subscribe the missing topics, repair misrouted ones, drop our extras."""
        self.ensure_one()
        url = self.sudo().webhook_url
        report = {"ok": 0, "created": 0, "updated": 0, "deleted": 0, "errors": []}
        existing = list(
            self._shopify().paginate(
                queries.WEBHOOKS,
                {},
                operation="Webhooks",
                path=["webhookSubscriptions"],
                page_size=100,
            )
        )
        wanted = self._shopify_wanted_webhooks()
        by_topic = {}
        for subscription in existing:
            by_topic.setdefault(subscription["topic"], []).append(subscription)
        token_path = url.split("/integration/webhook/")[0] + "/integration/webhook/"
        for topic, include_fields in wanted.items():
            subscriptions = by_topic.pop(topic, [])
            ours = [s for s in subscriptions if s["uri"] == url]
            stale = [
                s for s in subscriptions if s["uri"] != url and s["uri"].startswith(token_path)
            ]
            try:
                if ours:
                    if sorted(ours[0]["includeFields"] or []) != sorted(include_fields):
                        self._shopify_call(
                            queries.WEBHOOK_UPDATE,
                            {
                                "id": ours[0]["id"],
                                "input": {"uri": url, "includeFields": include_fields},
                            },
                            operation="WebhookUpdate",
                            mutation_field="webhookSubscriptionUpdate",
                        )
                        report["updated"] += 1
                    else:
                        report["ok"] += 1
                elif stale:
                    self._shopify_call(
                        queries.WEBHOOK_UPDATE,
                        {
                            "id": stale.pop(0)["id"],
                            "input": {"uri": url, "includeFields": include_fields},
                        },
                        operation="WebhookUpdate",
                        mutation_field="webhookSubscriptionUpdate",
                    )
                    report["updated"] += 1
                else:
                    self._shopify_call(
                        queries.WEBHOOK_CREATE,
                        {
                            "topic": topic,
                            "input": {
                                "uri": url,
                                "format": "JSON",
                                "includeFields": include_fields,
                            },
                        },
                        operation="WebhookCreate",
                        mutation_field="webhookSubscriptionCreate",
                    )
                    report["created"] += 1
                for subscription in stale + ours[1:]:
                    self._shopify_delete_webhook(subscription["id"])
                    report["deleted"] += 1
            except ShopifyUserError as error:
                report["errors"].append(str(error))
        for subscriptions in by_topic.values():
            for subscription in subscriptions:
                if subscription["uri"] == url:
                    self._shopify_delete_webhook(subscription["id"])
                    report["deleted"] += 1
        return report

    def _shopify_delete_webhook(self, subscription_id):
        self._shopify_call(
            queries.WEBHOOK_DELETE,
            {"id": subscription_id},
            operation="WebhookDelete",
            mutation_field="webhookSubscriptionDelete",
        )

    # --------------------------------------------------------- fulfillment
    @retry_when_transient
    def _shopify_export_fulfillment(self, picking):
        """A validated delivery -> a fulfillment on the order's fulfillment
        orders (partial deliveries fulfil partially), with its tracking."""
        self.ensure_one()
        order = picking.sale_id
        order_ref = self.env["integration.binding"]._external_id(self, order)
        if not order_ref:
            return "order not from this backend"
        if self.env["integration.binding"]._find(self, "stock.picking", f"picking:{picking.id}"):
            return "already fulfilled"
        trace_id = self._shopify_trace_of(order)
        order_gid = f"gid://shopify/Order/{order_ref}"
        data = self._shopify_call(
            queries.FULFILLMENT_ORDERS,
            {"id": order_gid},
            operation="FulfillmentOrders",
            trace_id=trace_id,
        )
        fulfillment_orders = ((data.get("order") or {}).get("fulfillmentOrders") or {}).get(
            "nodes"
        ) or []
        shipped = {}
        for move in picking.move_ids.filtered(lambda m: m.state == "done" and m.quantity > 0):
            sku = move.product_id.default_code
            shipped[sku] = shipped.get(sku, 0) + int(move.quantity)
        by_order = []
        for fulfillment_order in fulfillment_orders:
            if fulfillment_order["status"] not in ("OPEN", "IN_PROGRESS"):
                continue
            items = []
            for line in fulfillment_order["lineItems"]["nodes"]:
                wanted = min(shipped.get(line["sku"], 0), line["remainingQuantity"])
                if wanted > 0:
                    items.append({"id": line["id"], "quantity": wanted})
                    shipped[line["sku"]] -= wanted
            if items:
                by_order.append(
                    {
                        "fulfillmentOrderId": fulfillment_order["id"],
                        "fulfillmentOrderLineItems": items,
                    }
                )
        if not by_order:
            return self._shopify_fulfillment_refused(
                picking, trace_id, "no open fulfillment order line matches the delivery"
            )
        fulfillment = {"lineItemsByFulfillmentOrder": by_order, "notifyCustomer": True}
        tracking = {
            key: value
            for key, value in {
                "number": picking.carrier_tracking_ref,
                "company": picking.carrier_id.name,
                "url": picking.carrier_tracking_url,
            }.items()
            if value
        }
        if tracking:
            fulfillment["trackingInfo"] = tracking
        try:
            payload = self._shopify_call(
                queries.FULFILLMENT_CREATE,
                {"fulfillment": fulfillment},
                operation="FulfillmentCreate",
                mutation_field="fulfillmentCreate",
                trace_id=trace_id,
            )
        except ShopifyUserError as error:
            return self._shopify_fulfillment_refused(picking, trace_id, str(error))
        fulfillment_id = payload["fulfillment"]["id"]
        self.env["integration.binding"]._bind(
            self, picking, f"picking:{picking.id}", extra={"fulfillment_id": fulfillment_id}
        )
        self.env["integration.lineage"].record_step(
            "exported",
            trace_id=trace_id,
            system=self.system_id,
            direction="outbound",
            external_ref=fulfillment_id,
            record=picking,
            job_uuid=self.env.context.get("job_uuid"),
            message=f"fulfillment {fulfillment_id} for {order.name}"
            + (f", tracking {tracking['number']}" if tracking.get("number") else ""),
        )
        self._mark_flow_success("fulfillment_out")
        return f"fulfillment {fulfillment_id}"

    def _shopify_fulfillment_refused(self, picking, trace_id, reason):
        message = (
            f"Shopify refused the fulfillment of {picking.name} ({picking.sale_id.name}): {reason}"
        )
        self.env["integration.exception"].sudo().raise_exception(
            "business_rule",
            message,
            severity="high",
            system=self.system_id,
            business_object="shipment",
            record=picking,
            trace_id=trace_id,
            name=f"Fulfillment refused: {picking.name}",
        )
        return message

    def _shopify_trace_of(self, record):
        """The trace the record's order came in on: one trace per Shopify order."""
        step = (
            self.env["integration.lineage"]
            .sudo()
            .search(
                [("res_model", "=", record._name), ("res_id", "=", record.id)], order="id", limit=1
            )
        )
        return step.trace_id or None


MUTATIONS = {
    "InventorySet",
    "FulfillmentCreate",
    "WebhookCreate",
    "WebhookUpdate",
    "WebhookDelete",
    "ProductSet",
}


SHOPIFY_CONTRACTS = [
    {
        "code": "shopify.order",
        "file": "shopify_order.json",
        "name": "Shopify order webhook (orders/create, updated, cancelled)",
        "business_object": "order",
        "direction": "inbound",
    },
    {
        "code": "shopify.refund",
        "file": "shopify_refund.json",
        "name": "Shopify refund webhook (refunds/create)",
        "business_object": "return",
        "direction": "inbound",
        "owner_team": "integration_governance.team_finance",
    },
    {
        "code": "shopify.shop",
        "file": "shopify_shop.json",
        "name": "Shopify shop webhook (app/uninstalled)",
        "business_object": "order",
        "direction": "inbound",
    },
]


# The response of every document the connector sends has a contract generated
# from the document and Shopify's schema (tools/generate_response_contracts.py).
RESPONSE_BUSINESS_OBJECTS = {
    "Shop": "order",
    "Locations": "stock",
    "Variants": "product",
    "InventoryLevels": "stock",
    "ItemLevels": "stock",
    "InventorySet": "stock",
    "Orders": "order",
    "FulfillmentOrders": "shipment",
    "FulfillmentCreate": "shipment",
    "Webhooks": "order",
    "WebhookCreate": "order",
    "WebhookUpdate": "order",
    "WebhookDelete": "order",
    "ProductSet": "product",
}
# Documents with the same selection as an operation's, for older API versions.
RESPONSE_VARIANTS = {"InventorySet": [queries.INVENTORY_SET_2025_10]}
RESPONSE_CONTRACTS = {
    operation: {
        "code": response_schema.contract_code(operation),
        "file": f"graphql/{operation}.json",
        "name": f"Shopify GraphQL {operation} response",
        "business_object": RESPONSE_BUSINESS_OBJECTS.get(operation, "order"),
        "direction": "inbound",
        "documents": frozenset([document, *RESPONSE_VARIANTS.get(operation, [])]),
    }
    for operation, document in queries.ALL.items()
}
SHOPIFY_CONTRACTS += [
    {key: value for key, value in spec.items() if key != "documents"}
    for spec in RESPONSE_CONTRACTS.values()
]
