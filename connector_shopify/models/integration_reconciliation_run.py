from odoo import models


class IntegrationReconciliationRun(models.Model):
    _inherit = "integration.reconciliation.run"

    def _heal_stock_line(self, line):
        """Odoo owns stock: set Shopify's level of that variant to Odoo's."""
        backend = (
            self.env["integration.backend"]
            .sudo()
            .search(
                [("system_id", "=", self.system_id.id), ("channel_type", "=", "shopify")], limit=1
            )
        )
        if not backend or line.res_model != "product.product":
            return False
        backend._shopify_export_stock(product_ids=[line.res_id])
        return True
