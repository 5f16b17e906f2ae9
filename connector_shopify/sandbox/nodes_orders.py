"""Orders, their lines, shipping lines and taxes as GraphQL nodes."""

import hashlib
from decimal import Decimal

from .relay import connection
from .store import gid, iso_z, money

PAID = {"paid", "partially_refunded", "refunded"}
RETURN_STATUS = {"REQUESTED": "RETURN_REQUESTED", "OPEN": "IN_PROGRESS", "CLOSED": "RETURNED"}


def _first(items, first):
    return items[: first if first is not None else None]


class OrderNodes:
    """Orders, their lines, shipping lines and taxes as GraphQL nodes."""

    def tax_nodes(self, tax_lines, currency):
        return [
            {
                "__typename": "TaxLine",
                "_currency": currency,
                "title": tax["title"],
                "rate": float(tax["rate"]),
                "ratePercentage": float(tax["rate"] * 100),
                "priceSet": self.bag(tax["price"], currency),
                "channelLiable": False,
            }
            for tax in tax_lines
        ]

    def _summed_taxes(self, lines, currency, share=lambda line: Decimal(1)):
        """One tax line per title and rate over ``lines`` (the order's taxLines)."""
        summed = {}
        for line in lines:
            for tax in line["tax_lines"]:
                key = (tax["title"], tax["rate"])
                summed[key] = summed.get(key, Decimal(0)) + tax["price"] * share(line)
        return self.tax_nodes(
            [{"title": t, "rate": r, "price": money(p)} for (t, r), p in summed.items()], currency
        )

    def order_money(self, order):
        """Original and current amounts of an order (current: after refunds)."""
        shop, store = self.shop, self.store
        totals = store.totals(order)
        refunds = [shop.refunds[i] for i in order["refund_ids"]]
        refunded = sum((t["amount"] for r in refunds for t in r["transactions"]), Decimal(0))
        refunded_shipping = -sum(
            (
                a["amount"]
                for r in refunds
                for a in r["adjustments"]
                if a["kind"] == "shipping_refund"
            ),
            Decimal(0),
        )
        received = sum(
            (
                t["amount"]
                for t in order["transactions"]
                if t["kind"] in ("sale", "capture") and t["status"] == "success"
            ),
            Decimal(0),
        )

        def share(line):
            return Decimal(line["quantity"] - line["refunded_quantity"]) / Decimal(line["quantity"])

        lines = order["line_items"]
        subtotal = sum(
            ((ln["price"] * ln["quantity"] - ln["discount"]) * share(ln) for ln in lines),
            Decimal(0),
        )
        tax = sum((t["price"] * share(ln) for ln in lines for t in ln["tax_lines"]), Decimal(0))
        tax += sum(
            (t["price"] for s in order["shipping_lines"] for t in s["tax_lines"]), Decimal(0)
        )
        shipping = totals["total_shipping"] - refunded_shipping
        total = subtotal + shipping + (Decimal(0) if order["taxes_included"] else tax)
        if order["cancelled_at"]:
            subtotal = tax = total = Decimal(0)
        return {
            **totals,
            "refunded": refunded,
            "refunded_shipping": refunded_shipping,
            "received": received,
            "current_subtotal": money(subtotal),
            "current_tax": money(tax),
            "current_shipping": money(shipping),
            "current_discounts": money(
                sum((ln["discount"] * share(ln) for ln in lines), Decimal(0))
            ),
            "current_total": money(total),
            "share": share,
        }

    def order_node(self, order):
        store, shop = self.store, self.shop
        amounts = self.order_money(order)
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
        status = order["financial_status"]
        returns = [shop.returns[i] for i in order.get("return_ids", [])]
        open_returns = [r for r in returns if r["status"] in ("REQUESTED", "OPEN")]
        current_lines = [
            ln for ln in order["line_items"] if ln["quantity"] > ln["refunded_quantity"]
        ]
        token = hashlib.sha1(f"{shop.domain}/{order['id']}".encode()).hexdigest()
        bag = self.bag
        return {
            "__typename": "Order",
            "_currency": currency,
            "id": gid("Order", order["id"]),
            "legacyResourceId": str(order["id"]),
            "name": order["name"],
            "number": order["number"],
            "confirmationNumber": token[:9].upper(),
            "confirmed": True,
            "email": order["email"],
            "phone": order["phone"],
            "sourceName": order["source_name"],
            "sourceIdentifier": order["source_identifier"],
            "createdAt": iso_z(order["created_at"]),
            "processedAt": iso_z(order["created_at"]),
            "updatedAt": iso_z(order["updated_at"]),
            "cancelledAt": iso_z(order["cancelled_at"]),
            "cancelReason": order["cancel_reason"].upper() if order["cancel_reason"] else None,
            "closed": False,
            "closedAt": None,
            "edited": bool(order.get("edited")),
            "currencyCode": currency,
            "presentmentCurrencyCode": currency,
            "displayFinancialStatus": status.upper(),
            "displayFulfillmentStatus": fulfillment_status,
            "taxesIncluded": order["taxes_included"],
            "note": order["note"],
            "tags": list(order["tags"]),
            "discountCodes": [code["code"] for code in order["discount_codes"]],
            "discountCode": order["discount_codes"][0]["code"] if order["discount_codes"] else None,
            "paymentGatewayNames": sorted({t["gateway"] for t in order["transactions"]}),
            "canMarkAsPaid": status in ("pending", "partially_paid") and not order["cancelled_at"],
            "canNotifyCustomer": bool(order["email"]),
            "capturable": status == "authorized",
            "fullyPaid": status in PAID,
            "unpaid": status in ("pending", "authorized"),
            "refundable": status in PAID | {"partially_paid"}
            and amounts["refunded"] < amounts["total_price"],
            "restockable": any(ln["variant_id"] for ln in current_lines),
            "fulfillable": not order["cancelled_at"] and shipped < wanted,
            "merchantEditable": not order["cancelled_at"],
            "requiresShipping": any(ln["requires_shipping"] for ln in order["line_items"]),
            "customerAcceptsMarketing": False,
            "billingAddressMatchesShippingAddress": order["billing_address"]
            == order["shipping_address"],
            "subtotalLineItemsQuantity": sum(ln["quantity"] for ln in order["line_items"]),
            "currentSubtotalLineItemsQuantity": sum(
                ln["quantity"] - ln["refunded_quantity"] for ln in order["line_items"]
            ),
            "totalWeight": str(sum(ln["grams"] * ln["quantity"] for ln in order["line_items"])),
            "currentTotalWeight": str(
                sum(
                    ln["grams"] * (ln["quantity"] - ln["refunded_quantity"])
                    for ln in order["line_items"]
                )
            ),
            "riskLevel": "LOW",
            "returnStatus": RETURN_STATUS.get(open_returns[-1]["status"], "NO_RETURN")
            if open_returns
            else ("RETURNED" if returns else "NO_RETURN"),
            "displayRefundStatus": None,
            "statusPageUrl": f"https://{shop.domain}/{shop.id}/orders/{token}/authenticate?key={token[:16]}",
            "retailLocation": lambda info: (
                self.location_node(store.first_location(shop))
                if order["source_name"] == "pos"
                else None
            ),
            "totalPriceSet": bag(amounts["total_price"], currency),
            "originalTotalPriceSet": bag(amounts["total_price"], currency),
            "subtotalPriceSet": bag(amounts["subtotal_price"], currency),
            "totalTaxSet": bag(amounts["total_tax"], currency),
            "totalDiscountsSet": bag(amounts["total_discounts"], currency),
            "totalShippingPriceSet": bag(amounts["total_shipping"], currency),
            "cartDiscountAmountSet": bag(0, currency),
            "currentCartDiscountAmountSet": bag(0, currency),
            "currentSubtotalPriceSet": bag(amounts["current_subtotal"], currency),
            "currentTotalTaxSet": bag(amounts["current_tax"], currency),
            "currentShippingPriceSet": bag(amounts["current_shipping"], currency),
            "currentTotalDiscountsSet": bag(amounts["current_discounts"], currency),
            "currentTotalPriceSet": bag(amounts["current_total"], currency),
            "totalReceivedSet": bag(amounts["received"], currency),
            "totalRefundedSet": bag(amounts["refunded"], currency),
            "totalRefundedShippingSet": bag(amounts["refunded_shipping"], currency),
            "netPaymentSet": bag(amounts["received"] - amounts["refunded"], currency),
            "totalCapturableSet": bag(
                amounts["total_price"] if status == "authorized" else 0, currency
            ),
            "totalOutstandingSet": bag(
                max(amounts["current_total"] - amounts["received"] + amounts["refunded"], 0)
                if not order["cancelled_at"]
                else 0,
                currency,
            ),
            "totalCashRoundingAdjustment": {
                "__typename": "CashRoundingAdjustment",
                "paymentSet": bag(0, currency),
                "refundSet": bag(0, currency),
            },
            "taxLines": self._summed_taxes(order["line_items"] + order["shipping_lines"], currency),
            "currentTaxLines": self._summed_taxes(
                order["line_items"] + order["shipping_lines"],
                currency,
                share=lambda ln: amounts["share"](ln) if "refunded_quantity" in ln else Decimal(1),
            ),
            "customer": lambda info: self.customer_node(shop.customers.get(order["customer_id"])),
            "billingAddress": self.address_node(order["billing_address"]),
            "shippingAddress": self.address_node(order["shipping_address"]),
            "displayAddress": self.address_node(
                order["shipping_address"] or order["billing_address"]
            ),
            "lineItems": lambda info, **args: connection(
                order["line_items"],
                args,
                lambda line: self.line_item_node(order, line, fulfilled.get(line["id"], 0)),
                sort_key=lambda line: order["line_items"].index(line),
            ),
            "nonFulfillableLineItems": lambda info, **args: connection(
                [ln for ln in order["line_items"] if ln not in current_lines],
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
            "shippingLine": self.shipping_line_node(order, order["shipping_lines"][0])
            if order["shipping_lines"]
            else None,
            "fulfillmentOrders": lambda info, **args: connection(
                [shop.fulfillment_orders[i] for i in order["fulfillment_order_ids"]],
                args,
                self.fulfillment_order_node,
            ),
            "fulfillments": lambda info, first=None, **_: _first(
                [
                    self.fulfillment_node(f)
                    for f in shop.fulfillments.values()
                    if f["order_id"] == order["id"]
                ],
                first,
            ),
            "transactions": lambda info, first=None, **_: _first(
                [self.transaction_node(t) for t in self.order_transactions(order)], first
            ),
            "refunds": lambda info, first=None, **_: _first(
                [self.refund_node(shop.refunds[i]) for i in order["refund_ids"]], first
            ),
            "returns": lambda info, **args: connection(returns, args, self.return_node),
        }

    def line_item_node(self, order, line, fulfilled):
        shop = self.shop
        currency = order["currency"]
        variant = shop.variants.get(line["variant_id"]) if line["variant_id"] else None
        product = shop.products.get(line["product_id"]) if line["product_id"] else None
        current = line["quantity"] - line["refunded_quantity"]
        unfulfilled = 0 if order["cancelled_at"] else max(current - fulfilled, 0)
        net_total = line["price"] * line["quantity"] - line["discount"]
        unit_after = money(net_total / line["quantity"])
        bag = self.bag
        return {
            "__typename": "LineItem",
            "_currency": currency,
            "id": gid("LineItem", line["id"]),
            "sku": line["sku"],
            "name": line["name"],
            "title": line["title"],
            "variantTitle": line["variant_title"],
            "vendor": line["vendor"],
            "quantity": line["quantity"],
            "currentQuantity": current,
            "unfulfilledQuantity": unfulfilled,
            "fulfillableQuantity": unfulfilled,
            "nonFulfillableQuantity": line["refunded_quantity"],
            "refundableQuantity": current,
            "fulfillmentStatus": "fulfilled"
            if current and fulfilled >= current
            else ("partial" if fulfilled else "unfulfilled"),
            "restockable": bool(variant) and current > 0,
            "canRestock": bool(variant) and current > 0,
            "requiresShipping": line["requires_shipping"],
            "taxable": line["taxable"],
            "isGiftCard": False,
            "variant": lambda info: self.variant_node(variant) if variant else None,
            "product": lambda info: self.product_node(product) if product else None,
            "originalUnitPriceSet": bag(line["price"], currency),
            "originalTotalSet": bag(line["price"] * line["quantity"], currency),
            "totalDiscountSet": bag(line["discount"], currency),
            "discountedTotalSet": bag(net_total, currency),
            "discountedUnitPriceSet": bag(unit_after, currency),
            "discountedUnitPriceAfterAllDiscountsSet": bag(unit_after, currency),
            "priceAfterAllDiscountsBeforeTaxesSet": bag(net_total, currency),
            "unfulfilledOriginalTotalSet": bag(line["price"] * unfulfilled, currency),
            "unfulfilledDiscountedTotalSet": bag(unit_after * unfulfilled, currency),
            "discountAllocations": (
                [
                    {
                        "__typename": "DiscountAllocation",
                        "allocatedAmountSet": bag(line["discount"], currency),
                    }
                ]
                if line["discount"]
                else []
            ),
            "taxLines": lambda info, first=None, **_: _first(
                self.tax_nodes(line["tax_lines"], currency), first
            ),
        }

    def shipping_line_node(self, order, line):
        currency = order["currency"]
        refunded = self.order_money(order)["refunded_shipping"] if order.get("refund_ids") else 0
        return {
            "__typename": "ShippingLine",
            "_currency": currency,
            "id": gid("ShippingLine", line["id"]),
            "code": line["code"],
            "title": line["title"],
            "source": line["source"],
            "custom": line["source"] != "shopify",
            "carrierIdentifier": None,
            "price": str(line["price"]),
            "originalPriceSet": self.bag(line["price"], currency),
            "discountedPriceSet": self.bag(line["price"], currency),
            "currentDiscountedPriceSet": self.bag(max(line["price"] - refunded, 0), currency),
            "taxLines": self.tax_nodes(line["tax_lines"], currency),
        }
