"""Stock reconciliation: every bound product's level on the channel against
Odoo's (set-wise, one read per location), each mismatch healed through the
run's own backend (Odoo owns stock) or raised when the heal is refused or
the channel owns stock."""

from odoo import api, models

from ..lib import stock_levels
from .integration_backend_jobs import integration_job


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ---------------------------------------------------- reconciliation
    @api.model
    def _cron_reconcile_stock(self):
        """One stock reconciliation job per active backend that takes stock."""
        for backend in self.search([("state", "=", "active")]).filtered(
            lambda b: b._stock_supported()
        ):
            backend._flow_job(
                "reconciliation", "_reconcile_stock", f"{backend.name}: stock reconciliation"
            )
        return True

    @integration_job
    def _reconcile_stock(self):
        """Compare every bound product's channel quantity with Odoo's; heal
        each mismatch (Odoo owns stock) or raise it when the heal is refused."""
        self.ensure_one()
        # The channel's levels first: a channel reading them in the background
        # has the job look again later before Odoo's side is computed.
        read = self._stock_read_everywhere()
        run = self.env["integration.reconciliation.run"].start("stock", self.system_id)
        bindings = self._stock_bindings()
        items = self._stock_item_map(bindings)
        targets = self._stock_targets(bindings, items)
        names = {location["id"]: location["name"] for location in self._stock_locations()}
        known = {
            (item, location_id): quantity
            for location_id, levels in read.items()
            for item, quantity in levels.items()
        }
        by_item = {items[b.id]: b for b in bindings}
        heal = not self._outbound_refusal("stock", quiet=True)
        Product = self.env["product.product"]
        run.add_mismatches(
            [
                {
                    "key": f"{targets[(item, location)][1]}@{names.get(location, location)}",
                    "field_name": "available",
                    "odoo_value": quantity,
                    "external_value": current,
                    "record": Product.browse(by_item[item].res_id),
                    "heal": heal,
                }
                for item, location, quantity, current in stock_levels.mismatches(targets, known)
            ]
        )
        self._stock_store_levels(bindings, known, items)
        run.finish(len(targets))
        self._mark_flow_success("reconciliation")
        return run


class IntegrationReconciliationRun(models.Model):
    _inherit = "integration.reconciliation.run"

    def _heal_stock_lines(self, lines):
        """Odoo owns stock: set the channel's levels of those products to
        Odoo's through the run's own backend (whatever its channel), in one
        export: the channel's batches (or its bulk import), not a call per
        line, when a drift or a fresh shop leaves thousands of mismatches."""
        backend = self._run_backend()
        products = lines.filtered(lambda line: line.res_model == "product.product")
        if not backend or not backend._stock_supported() or not products:
            return super()._heal_stock_lines(lines)
        product_ids = sorted(set(products.mapped("res_id")))
        # Healed: only the lines whose levels the channel now has (a refused
        # batch is an exception of its own, and its lines are raised too).
        settlement = stock_levels.Settlement()
        backend.with_context(stock_settlement=settlement)._export_stock(product_ids=product_ids)
        if not settlement.ran:
            return lines.browse()
        bindings = backend._stock_bindings(product_ids)
        items = backend._stock_item_map(bindings)
        settled = {b.res_id for b in bindings if items[b.id] not in settlement.unsettled}
        return products.filtered(lambda line: line.res_id in settled)
