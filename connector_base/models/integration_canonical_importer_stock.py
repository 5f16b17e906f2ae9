from odoo import api, models


class IntegrationCanonicalImporter(models.AbstractModel):
    """The canonical ``stock_level`` a channel tells of its own levels."""

    _inherit = "integration.canonical.importer"

    @api.model
    def _import_stock_level(self, backend, doc, event):
        """A channel's level of a SKU at one of its locations, as the channel
        says it now is. Odoo owns stock, so nothing in Odoo's stock changes:
        the level becomes what Odoo knows of the channel (the compare of its
        next compare-and-set, no read needed) and, when it moved without
        Odoo's doing (a sale there, an edit in its admin), the product is
        marked for the next coalesced export, which sends Odoo's own."""
        Binding = self.env["integration.binding"].sudo()
        binding = Binding.search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", "product.product"),
                ("external_id", "=", doc["sku"]),
            ],
            limit=1,
        )
        if not binding:
            return self.env["product.product"]
        location, quantity = doc["location_code"], doc["quantity_available"]
        if ((binding.extra or {}).get("levels") or {}).get(location) != quantity:
            supported = backend._stock_supported()
            Binding.flush_model(["extra", "stock_dirty"])
            # One statement in this transaction: the level and the mark. (The
            # mark's own short transaction, as exports use, would wait on this
            # row's lock held right here: a worker waiting on itself.)
            self.env.cr.execute(
                "UPDATE integration_binding SET extra = jsonb_set(COALESCE(extra, '{}'::jsonb),"
                " '{levels}', COALESCE(extra->'levels', '{}'::jsonb) || jsonb_build_object(%s,"
                " %s::int)), stock_dirty = stock_dirty OR %s WHERE id = %s",
                [location, quantity, supported, binding.id],
            )
            binding.invalidate_recordset(["extra", "stock_dirty"])
            if supported:
                backend._coalesce("_export_stock", flow="stock_out")
        return self.env["product.product"].sudo().browse(binding.res_id)
