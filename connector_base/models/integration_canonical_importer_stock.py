import json

from odoo import api, models


class IntegrationCanonicalImporter(models.AbstractModel):
    """The canonical ``stock_level`` a channel tells of its own levels."""

    _inherit = "integration.canonical.importer"

    @api.model
    def _import_stock_level(self, backend, doc, event):
        """A channel's level of a SKU at one of its locations (see the many)."""
        return self._import_stock_level_many(backend, [(event, doc)])[0]

    @api.model
    def _import_stock_level_many(self, backend, items):
        """Channel levels of SKUs at its locations, as the channel says they
        now are, in the order told. Odoo owns stock, so nothing in Odoo's
        stock changes: each level becomes what Odoo knows of the channel (the
        compare of its next compare-and-set, no read needed) and, when it
        moved without Odoo's doing (a sale there, an edit in its admin), the
        product is marked for the next coalesced export, which sends Odoo's
        own. One look-up of the bindings and one write for all: at peak every
        sale on the channel echoes back as a level per line. The products, in
        the items' order (empty for a SKU not bound)."""
        Binding = self.env["integration.binding"].sudo()
        Product = self.env["product.product"].sudo()
        skus = {doc["sku"] for _event, doc in items}
        bound = {}
        for binding in Binding.search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", "product.product"),
                ("external_id", "in", list(skus)),
            ]
        ):
            bound.setdefault(binding.external_id, binding)
        known = {b.id: dict((b.extra or {}).get("levels") or {}) for b in bound.values()}
        moved, products = {}, []
        for _event, doc in items:
            binding = bound.get(doc["sku"])
            if not binding:
                products.append(Product)
                continue
            location, quantity = doc["location_code"], doc["quantity_available"]
            if known[binding.id].get(location) != quantity:
                known[binding.id][location] = quantity
                moved.setdefault(binding.id, {})[location] = quantity
            products.append(Product.browse(binding.res_id))
        if moved:
            supported = backend._stock_supported()
            Binding.flush_model(["extra", "stock_dirty"])
            # One statement in this transaction: the levels and the marks. (The
            # marks' own short transaction, as exports use, would wait on these
            # rows' locks held right here: a worker waiting on itself.)
            self.env.cr.execute(
                "UPDATE integration_binding b SET extra = jsonb_set(COALESCE(b.extra,"
                " '{}'::jsonb), '{levels}', COALESCE(b.extra->'levels', '{}'::jsonb)"
                " || v.levels), stock_dirty = b.stock_dirty OR %s"
                " FROM jsonb_each(%s::jsonb) AS v(id, levels) WHERE b.id = v.id::int",
                [supported, json.dumps({str(id_): levels for id_, levels in moved.items()})],
            )
            Binding.browse(list(moved)).invalidate_recordset(["extra", "stock_dirty"])
            if supported:
                backend._coalesce("_export_stock", flow="stock_out")
        return products
