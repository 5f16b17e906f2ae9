"""Draft orders and their lines as GraphQL nodes."""

from decimal import Decimal

from .relay import _encode_cursor, connection
from .store import gid, iso_z, money


class DraftOrderNodes:
    """Draft orders and their lines as GraphQL nodes."""

    def draft_order_node(self, draft):
        shop, store = self.shop, self.store
        currency = draft["currency"]
        totals = store.totals(draft)
        overridden = [
            line["price"] != shop.variants[line["variant_id"]]["price"]
            for line in draft["line_items"]
            if line["variant_id"] in shop.variants
        ]
        order = shop.orders.get(draft["order_id"]) if draft["order_id"] else None
        bag = self.bag
        gross = sum((ln["price"] * ln["quantity"] for ln in draft["line_items"]), Decimal(0))
        return {
            "__typename": "DraftOrder",
            "_currency": currency,
            "id": gid("DraftOrder", draft["id"]),
            "legacyResourceId": str(draft["id"]),
            "defaultCursor": _encode_cursor([draft["id"], draft["id"]]),
            "name": draft["name"],
            "status": draft["status"],
            "ready": True,
            "email": draft["email"],
            "phone": draft["phone"],
            "note2": draft["note"],
            "tags": list(draft["tags"]),
            "discountCodes": [],
            "currencyCode": currency,
            "presentmentCurrencyCode": currency,
            "taxesIncluded": draft["taxes_included"],
            "createdAt": iso_z(draft["created_at"]),
            "updatedAt": iso_z(draft["updated_at"]),
            "completedAt": iso_z(draft["completed_at"]),
            "invoiceSentAt": iso_z(draft["invoice_sent_at"]),
            "invoiceUrl": f"https://{shop.domain}/{shop.id}/invoices/{draft['id']}",
            "allVariantPricesOverridden": bool(overridden) and all(overridden),
            "anyVariantPricesOverridden": any(overridden),
            "totalQuantityOfLineItems": sum(ln["quantity"] for ln in draft["line_items"]),
            "totalWeight": str(sum(ln["grams"] * ln["quantity"] for ln in draft["line_items"])),
            "billingAddressMatchesShippingAddress": draft["billing_address"]
            == draft["shipping_address"],
            "billingAddress": self.address_node(draft["billing_address"]),
            "shippingAddress": self.address_node(draft["shipping_address"]),
            "customer": lambda info: self.customer_node(shop.customers.get(draft["customer_id"])),
            "order": lambda info: self.order_node(order) if order else None,
            "shippingLine": self.shipping_line_node(draft, draft["shipping_lines"][0])
            if draft["shipping_lines"]
            else None,
            "taxLines": self._summed_taxes(draft["line_items"] + draft["shipping_lines"], currency),
            "lineItemsSubtotalPrice": bag(totals["subtotal_price"], currency),
            "subtotalPriceSet": bag(totals["subtotal_price"], currency),
            "totalLineItemsPriceSet": bag(gross, currency),
            "totalDiscountsSet": bag(totals["total_discounts"], currency),
            "totalShippingPriceSet": bag(totals["total_shipping"], currency),
            "totalTaxSet": bag(totals["total_tax"], currency),
            "totalPriceSet": bag(totals["total_price"], currency),
            "amountDueNowSet": bag(totals["total_price"], currency),
            "amountDueLaterSet": bag(0, currency),
            "lineItems": lambda info, **args: connection(
                draft["line_items"],
                args,
                lambda line: self.draft_line_node(draft, line),
                sort_key=lambda line: draft["line_items"].index(line),
            ),
        }

    def draft_line_node(self, draft, line):
        shop = self.shop
        currency = draft["currency"]
        variant = shop.variants.get(line["variant_id"]) if line["variant_id"] else None
        product = shop.products.get(line["product_id"]) if line["product_id"] else None
        net = line["price"] * line["quantity"] - line["discount"]
        return {
            "__typename": "DraftOrderLineItem",
            "_currency": currency,
            "id": gid("DraftOrderLineItem", line["id"]),
            "name": line["name"],
            "title": line["title"],
            "sku": line["sku"],
            "variantTitle": line["variant_title"],
            "vendor": line["vendor"],
            "quantity": line["quantity"],
            "custom": variant is None,
            "isGiftCard": False,
            "requiresShipping": line["requires_shipping"],
            "taxable": line["taxable"],
            "customAttributes": [],
            "originalUnitPriceSet": self.bag(line["price"], currency),
            "originalTotalSet": self.bag(line["price"] * line["quantity"], currency),
            "discountedTotalSet": self.bag(net, currency),
            "discountedUnitPriceSet": self.bag(money(net / line["quantity"]), currency),
            "approximateDiscountedUnitPriceSet": self.bag(money(net / line["quantity"]), currency),
            "totalDiscountSet": self.bag(line["discount"], currency),
            "taxLines": self.tax_nodes(line["tax_lines"], currency),
            "variant": lambda info: self.variant_node(variant) if variant else None,
            "product": lambda info: self.product_node(product) if product else None,
        }
