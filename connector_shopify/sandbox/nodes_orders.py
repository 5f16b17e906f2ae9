"""Orders, their lines, taxes and customers as GraphQL nodes."""

from .relay import connection
from .store import gid, iso_z


class OrderNodes:
    """Orders, their lines, taxes and customers as GraphQL nodes."""

    def customer_node(self, customer):
        if customer is None:
            return None
        names = [n for n in (customer["first_name"], customer["last_name"]) if n]
        return {
            "__typename": "Customer",
            "id": gid("Customer", customer["id"]),
            "legacyResourceId": str(customer["id"]),
            "email": customer["email"],
            "firstName": customer["first_name"],
            "lastName": customer["last_name"],
            "phone": customer["phone"],
            "displayName": " ".join(names) or customer["email"] or "",
            "createdAt": iso_z(customer["created_at"]),
            "updatedAt": iso_z(customer["updated_at"]),
            "note": None,
            "tags": [],
            "verifiedEmail": True,
            "taxExempt": False,
        }

    @staticmethod
    def address_node(address):
        if address is None:
            return None
        from .store import _rest_address  # the REST form holds the derived names

        rest = _rest_address(address)
        return {
            "__typename": "MailingAddress",
            "firstName": rest["first_name"],
            "lastName": rest["last_name"],
            "name": rest["name"],
            "company": rest["company"],
            "address1": rest["address1"],
            "address2": rest["address2"],
            "city": rest["city"],
            "zip": rest["zip"],
            "province": rest["province"],
            "provinceCode": rest["province_code"],
            "country": rest["country"],
            "countryCodeV2": rest["country_code"],
            "countryCode": rest["country_code"],
            "phone": rest["phone"],
            "latitude": rest["latitude"],
            "longitude": rest["longitude"],
        }

    def tax_nodes(self, tax_lines, currency):
        return [
            {
                "__typename": "TaxLine",
                "title": tax["title"],
                "rate": float(tax["rate"]),
                "ratePercentage": float(tax["rate"] * 100),
                "priceSet": self.bag(tax["price"], currency),
                "channelLiable": False,
            }
            for tax in tax_lines
        ]

    def order_node(self, order):
        store, shop = self.store, self.shop
        totals = store.totals(order)
        currency = order["currency"]
        fulfilled = store._fulfilled_by_line(shop, order)
        shipped = sum(fulfilled.values())
        wanted = sum(line["quantity"] for line in order["line_items"] if line["requires_shipping"])
        if shipped and shipped >= wanted:
            fulfillment_status = "FULFILLED"
        elif shipped:
            fulfillment_status = "PARTIALLY_FULFILLED"
        else:
            fulfillment_status = "UNFULFILLED"
        return {
            "__typename": "Order",
            "id": gid("Order", order["id"]),
            "legacyResourceId": str(order["id"]),
            "name": order["name"],
            "email": order["email"],
            "phone": order["phone"],
            "createdAt": iso_z(order["created_at"]),
            "processedAt": iso_z(order["created_at"]),
            "updatedAt": iso_z(order["updated_at"]),
            "cancelledAt": iso_z(order["cancelled_at"]),
            "cancelReason": order["cancel_reason"].upper() if order["cancel_reason"] else None,
            "closed": False,
            "closedAt": None,
            "currencyCode": currency,
            "presentmentCurrencyCode": currency,
            "displayFinancialStatus": order["financial_status"].upper(),
            "displayFulfillmentStatus": fulfillment_status,
            "taxesIncluded": order["taxes_included"],
            "note": order["note"],
            "tags": list(order["tags"]),
            "discountCodes": [code["code"] for code in order["discount_codes"]],
            "discountCode": order["discount_codes"][0]["code"] if order["discount_codes"] else None,
            "totalPriceSet": self.bag(totals["total_price"], currency),
            "subtotalPriceSet": self.bag(totals["subtotal_price"], currency),
            "totalTaxSet": self.bag(totals["total_tax"], currency),
            "totalDiscountsSet": self.bag(totals["total_discounts"], currency),
            "totalShippingPriceSet": self.bag(totals["total_shipping"], currency),
            "customer": lambda info: self.customer_node(shop.customers.get(order["customer_id"])),
            "billingAddress": self.address_node(order["billing_address"]),
            "shippingAddress": self.address_node(order["shipping_address"]),
            "lineItems": lambda info, **args: connection(
                order["line_items"],
                args,
                lambda line: self.line_item_node(order, line, fulfilled.get(line["id"], 0)),
                sort_key=lambda line: order["line_items"].index(line),
            ),
            "shippingLines": lambda info, **args: connection(
                order["shipping_lines"],
                args,
                lambda line: self.shipping_line_node(order, line),
                sort_key=lambda line: order["shipping_lines"].index(line),
            ),
            "fulfillmentOrders": lambda info, **args: connection(
                [shop.fulfillment_orders[i] for i in order["fulfillment_order_ids"]],
                args,
                self.fulfillment_order_node,
            ),
            "fulfillments": lambda info, first=None, **_: [
                self.fulfillment_node(f)
                for f in shop.fulfillments.values()
                if f["order_id"] == order["id"]
            ][: first if first is not None else None],
        }

    def line_item_node(self, order, line, fulfilled):
        shop = self.shop
        currency = order["currency"]
        variant = shop.variants.get(line["variant_id"]) if line["variant_id"] else None
        product = shop.products.get(line["product_id"]) if line["product_id"] else None
        current = line["quantity"] - line["refunded_quantity"]
        return {
            "__typename": "LineItem",
            "id": gid("LineItem", line["id"]),
            "sku": line["sku"],
            "name": line["name"],
            "title": line["title"],
            "variantTitle": line["variant_title"],
            "vendor": line["vendor"],
            "quantity": line["quantity"],
            "currentQuantity": current,
            "unfulfilledQuantity": 0 if order["cancelled_at"] else max(current - fulfilled, 0),
            "refundableQuantity": current,
            "requiresShipping": line["requires_shipping"],
            "taxable": line["taxable"],
            "isGiftCard": False,
            "variant": lambda info: self.variant_node(variant) if variant else None,
            "product": lambda info: self.product_node(product) if product else None,
            "originalUnitPriceSet": self.bag(line["price"], currency),
            "originalTotalSet": self.bag(line["price"] * line["quantity"], currency),
            "totalDiscountSet": self.bag(line["discount"], currency),
            "discountedTotalSet": self.bag(
                line["price"] * line["quantity"] - line["discount"], currency
            ),
            "discountAllocations": (
                [
                    {
                        "__typename": "DiscountAllocation",
                        "allocatedAmountSet": self.bag(line["discount"], currency),
                    }
                ]
                if line["discount"]
                else []
            ),
            "taxLines": lambda info, first=None, **_: self.tax_nodes(line["tax_lines"], currency)[
                : first if first is not None else None
            ],
        }

    def shipping_line_node(self, order, line):
        currency = order["currency"]
        return {
            "__typename": "ShippingLine",
            "id": gid("ShippingLine", line["id"]),
            "code": line["code"],
            "title": line["title"],
            "source": line["source"],
            "carrierIdentifier": None,
            "originalPriceSet": self.bag(line["price"], currency),
            "discountedPriceSet": self.bag(line["price"], currency),
            "taxLines": self.tax_nodes(line["tax_lines"], currency),
        }
