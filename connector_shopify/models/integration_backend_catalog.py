"""Shopify's catalogue: variants bound to Odoo products by SKU, and the
products Odoo owns created on Shopify (``productSet``)."""

from odoo import models
from odoo.addons.connector_base.models.integration_backend_jobs import integration_job

from ..lib import queries


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def action_shopify_import_catalog(self):
        self._check_integration_manager()
        for backend in self:
            backend._flow_job(
                "catalog", "_shopify_import_catalog", f"{backend.name}: match the catalogue"
            )
        return True

    @integration_job
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
        if self._product_export_refusal():
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
        # Prices go only where Odoo may write them (the price rule, outbound).
        send_price = not self._outbound_refusal("price", quiet=True)
        for product in products:
            variant = {
                "optionValues": [{"optionName": "Title", "name": "Default Title"}],
                "sku": product.default_code,
            }
            if send_price:
                variant["price"] = str(product.lst_price)
            payload = self._shopify_call(
                queries.PRODUCT_SET,
                {
                    "input": {
                        "title": product.name,
                        "productOptions": [
                            {"name": "Title", "values": [{"name": "Default Title"}]}
                        ],
                        "variants": [variant],
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

    def _product_export_refusal(self):
        """Odoo creates products on a channel only when Odoo owns the
        catalogue (the product rule's owner), never over another owner's."""
        rule = (
            self.env["integration.sor.rule"]
            ._rules_for("product")
            .filtered(lambda r: not r.field_name)[:1]
        )
        if rule and rule.owner_scope != "odoo":
            return f"products are owned by {rule.owner_label}"
        return self._outbound_refusal("product", quiet=True)
