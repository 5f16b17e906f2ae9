"""Shopify's stock hooks for connector_base's outbound stock pipeline:
locations, reading levels, and ``inventorySetQuantities`` with its
compare-and-set (``changeFromQuantity``, ``compareQuantity`` before 2026-01)
and idempotency key. The pipeline plans, batches, re-reads and heals."""

import hashlib
import json
import secrets

from odoo import models
from odoo.addons.connector_base.lib import stock_levels
from odoo.addons.connector_base.models.integration_backend_outbound import OutboundRefused

from .. import const
from ..lib import queries, stock_sync
from ..lib.graphql_client import DEFAULT_VERSION


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # --------------------------------------------------------------- hooks
    def _stock_supported(self):
        if self.channel_type != "shopify":
            return super()._stock_supported()
        return True

    def _stock_locations(self):
        if self.channel_type != "shopify":
            return super()._stock_locations()
        return [
            {"id": loc.shopify_id, "name": loc.name, "location": loc.warehouse_id.lot_stock_id}
            for loc in self.shopify_location_ids
            if loc.export_stock and loc.warehouse_id and loc.active_on_shopify
        ]

    def _stock_item_id(self, binding):
        if self.channel_type != "shopify":
            return super()._stock_item_id(binding)
        return (binding.extra or {}).get("inventory_item_id")

    def _stock_item_map(self, bindings):
        if self.channel_type != "shopify":
            return super()._stock_item_map(bindings)
        # What _stock_item_id reads, in one query for thousands of bindings.
        items = self._stock_extra_values(bindings, "inventory_item_id")
        return {binding_id: items.get(binding_id) for binding_id in bindings.ids}

    def _stock_batch_size(self):
        if self.channel_type != "shopify":
            return super()._stock_batch_size()
        return const.STOCK_BATCH_SIZE

    def _stock_pending_spec(self):
        if self.channel_type != "shopify":
            return super()._stock_pending_spec()
        return const.PENDING_STOCK

    def _stock_read_levels(self, location_id, item_ids=None):
        """{inventory item: available} at a Shopify location: the whole location
        in one bulk query (page by page with ``stock_read_pages`` in the context,
        or when the bulk read fails), or only the given items (100 a call)."""
        if self.channel_type != "shopify":
            return super()._stock_read_levels(location_id, item_ids)
        levels = {}
        if item_ids is None and not self.env.context.get("stock_read_pages"):
            # One bulk query instead of a page of points per 250 levels.
            levels = self._shopify_bulk_levels(location_id)
            if levels is not None:
                return levels
            levels = {}
        if item_ids is None:
            for node in self._shopify().paginate(
                queries.INVENTORY_LEVELS,
                {"locationId": location_id},
                operation="InventoryLevels",
                path=["location", "inventoryLevels"],
                page_size=250,
            ):
                levels[node["item"]["id"]] = stock_sync.available_of(node)
            return levels
        ids = sorted(item_ids)
        for start in range(0, len(ids), 100):
            data = self._shopify_call(
                queries.ITEM_LEVELS,
                {"ids": ids[start : start + 100], "locationId": location_id},
                operation="ItemLevels",
            )
            for node in data.get("nodes") or []:
                if node:
                    levels[node["id"]] = stock_sync.available_of(node.get("inventoryLevel"))
        return levels

    def _stock_push_levels(self, changes):
        """One ``inventorySetQuantities``: Shopify refuses the whole call when
        one compare is stale; its user errors name the stale quantities (by
        index), which alone need reading again."""
        if self.channel_type != "shopify":
            return super()._stock_push_levels(changes)
        version = self.shopify_api_version or DEFAULT_VERSION
        run_key = self.env.context.get("job_uuid") or secrets.token_hex(8)
        try:
            self._shopify_call(
                stock_sync.inventory_set_document(version),
                self._shopify_stock_variables(changes, run_key),
                operation="InventorySet",
                mutation_field="inventorySetQuantities",
            )
        except const.ShopifyUserError as error:
            answer = self._shopify_stock_answer(changes, error.user_errors)
            if isinstance(answer, OutboundRefused):
                raise answer from error
            return answer
        return []

    def _shopify_stock_variables(self, changes, run_key):
        """The variables of one ``inventorySetQuantities`` of ``changes``."""
        version = self.shopify_api_version or DEFAULT_VERSION
        variables = stock_sync.mutation_variables(
            changes,
            version,
            self.shopify_stock_reason or "correction",
            key="",
            reference=f"gid://odoo-integration/StockSync/{run_key}",
        )
        if "key" in variables:
            # The key names this job's intent: a retry of the job sending the
            # same quantities is applied once; different ones get a new key
            # (and the compare-and-set judges them against Shopify's state).
            digest = hashlib.sha256(
                json.dumps(variables["input"], sort_keys=True).encode()
            ).hexdigest()[:24]
            variables["key"] = f"odoo-{self.id}-{run_key}-{digest}"
        return variables

    def _shopify_stock_answer(self, changes, user_errors, errors=None):
        """What Shopify made of one ``inventorySetQuantities`` of ``changes``,
        as the stock pipeline takes it: [] (applied), the stale changes or a
        ``PushResult`` (the call was refused for stale compares), or an
        ``OutboundRefused`` (any other refusal) to raise."""
        if errors:
            return OutboundRefused(
                f"Shopify refused stock levels: {errors[0].get('message')}",
                business_object="stock",
            )
        if not user_errors:
            return []
        error = const.ShopifyUserError("InventorySet", user_errors)
        if not error.codes & const.STALE_CODES:
            return OutboundRefused(str(error), business_object="stock")
        stale = stock_sync.stale_indexes(user_errors)
        if not stale:
            return list(changes)
        return stock_levels.PushResult(
            stale=[c for i, c in enumerate(changes) if i in stale],
            unapplied=[c for i, c in enumerate(changes) if i not in stale],
        )

    # ----------------------------------------------------------- locations
    def _shopify_fetch_locations(self):
        return list(
            self._shopify().paginate(
                queries.LOCATIONS, {}, operation="Locations", path=["locations"], page_size=50
            )
        )

    def action_shopify_sync_locations(self):
        """Create the store's locations, mapped to the company's first
        warehouse; those Shopify no longer lists (deactivated or deleted
        there) stop taking stock."""
        self._check_integration_manager()
        Location = self.env["shopify.location"].sudo()
        for backend in self:
            warehouse = self.env["stock.warehouse"].search(
                [("company_id", "=", backend.company_id.id)], limit=1
            )
            known = {loc.shopify_id: loc for loc in backend.shopify_location_ids}
            nodes = backend._shopify_fetch_locations()
            listed = {node["id"] for node in nodes}
            gone = [loc for shopify_id, loc in known.items() if shopify_id not in listed]
            Location.browse([loc.id for loc in gone]).write({"active_on_shopify": False})
            for node in nodes:
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
