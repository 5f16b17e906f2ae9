"""Shopify payloads to canonical documents, in plain Python.

Webhooks carry Shopify's REST-format JSON (snake_case, string amounts,
integer ids); the catch-up poll reads orders through GraphQL. The poll turns
its nodes into the webhook format first (``order_from_graphql``), so both
enter the same inbox, meet the same contract and share one mapper.
"""

from decimal import Decimal

from .graphql_client import legacy_id

FINANCIAL_STATUSES = {
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
}


class AddressError(ValueError):
    """An order that must ship has no usable shipping address."""


def _amount(value):
    return round(float(value or 0.0), 2)


def _money(money_set):
    """GraphQL MoneyV2 amount ("24.0") as REST writes it ("24.00")."""
    amount = (money_set or {}).get("shopMoney", {}).get("amount") or "0"
    return f"{Decimal(str(amount)):.2f}"


def address(rest_address):
    """Shopify REST address -> canonical address (empty fields left out)."""
    if not rest_address:
        return None
    name = rest_address.get("name") or " ".join(
        p for p in (rest_address.get("first_name"), rest_address.get("last_name")) if p
    )
    values = {
        "name": name,
        "street": rest_address.get("address1"),
        "street2": rest_address.get("address2"),
        "city": rest_address.get("city"),
        "zip": rest_address.get("zip"),
        "state_code": rest_address.get("province_code"),
        "country_code": (rest_address.get("country_code") or "").upper() or None,
        "phone": rest_address.get("phone"),
    }
    return {key: value for key, value in values.items() if value}


def check_shipping_address(order):
    """Raise AddressError unless an order with shippable lines can be delivered."""
    if not any(line.get("requires_shipping", True) for line in order.get("line_items") or []):
        return
    shipping = order.get("shipping_address")
    if not shipping:
        raise AddressError(f"Order {order.get('name')} must ship but has no shipping address")
    missing = [
        label
        for key, label in (("address1", "street"), ("city", "city"), ("country_code", "country"))
        if not shipping.get(key)
    ]
    if missing:
        raise AddressError(
            f"Order {order.get('name')}: shipping address lacks {', '.join(missing)}"
        )


def _tax_lines(rest_tax_lines):
    return [
        {
            "title": t.get("title") or "",
            "rate": float(t.get("rate") or 0),
            "amount": _amount(t.get("price")),
        }
        for t in rest_tax_lines or []
        if float(t.get("rate") or 0) or _amount(t.get("price"))
    ]


def order_document(order):
    """Shopify REST order -> canonical order (connector_base/schemas/order.json)."""
    lines = []
    for line in order.get("line_items") or []:
        discount = sum(_amount(d.get("amount")) for d in line.get("discount_allocations") or [])
        lines.append(
            {
                "external_id": str(line["id"]),
                "sku": line.get("sku") or "",
                "name": line.get("name") or line.get("title") or "",
                "quantity": line["quantity"],
                "unit_price": _amount(line.get("price")),
                "discount_amount": round(discount, 2),
                "tax_lines": _tax_lines(line.get("tax_lines")),
                "requires_shipping": bool(line.get("requires_shipping", True)),
            }
        )
    document = {
        "external_id": str(order["id"]),
        "name": order["name"],
        "channel": "shopify",
        "currency": order["currency"],
        "created_at": order["created_at"],
        "lines": lines,
        "shipping_lines": [
            {
                "code": shipping.get("code") or "shipping",
                "title": shipping.get("title") or "Shipping",
                "price": _amount(shipping.get("discounted_price", shipping.get("price"))),
                "tax_lines": _tax_lines(shipping.get("tax_lines")),
            }
            for shipping in order.get("shipping_lines") or []
        ],
        "discounts": [
            {"code": d.get("code") or "", "amount": _amount(d.get("amount"))}
            for d in order.get("discount_codes") or []
        ],
        "taxes_included": bool(order.get("taxes_included")),
        "subtotal_price": _amount(order.get("subtotal_price")),
        "total_tax": _amount(order.get("total_tax")),
        "total_price": _amount(order.get("total_price")),
        "financial_status": order.get("financial_status")
        if order.get("financial_status") in FINANCIAL_STATUSES
        else "pending",
        "cancelled_at": order.get("cancelled_at"),
    }
    if order.get("updated_at"):
        document["updated_at"] = order["updated_at"]
    if order.get("cancel_reason"):
        document["cancel_reason"] = order["cancel_reason"]
    if order.get("note"):
        document["note"] = order["note"]
    tags = [t.strip() for t in (order.get("tags") or "").split(",") if t.strip()]
    if tags:
        document["tags"] = tags
    customer = order.get("customer")
    if customer and customer.get("id"):
        document["customer"] = {
            key: value
            for key, value in {
                "external_id": str(customer["id"]),
                "email": customer.get("email") or order.get("email"),
                "phone": customer.get("phone"),
                "first_name": customer.get("first_name"),
                "last_name": customer.get("last_name"),
            }.items()
            if value
        }
    for key in ("billing_address", "shipping_address"):
        mapped = address(order.get(key))
        if mapped:
            document[key] = mapped
    return document


def refund_document(refund, order_currency):
    """Shopify REST refund -> canonical return (connector_base/schemas/return.json)."""
    lines = []
    for item in refund.get("refund_line_items") or []:
        line = item.get("line_item") or {}
        lines.append(
            {
                # A line without SKU cannot match; name it by its line id.
                "sku": line.get("sku") or f"line-{item.get('line_item_id')}",
                "quantity": item["quantity"],
                # "cancel": unshipped units taken off the order; "return": shipped
                # units coming back. Both change what Odoo ships or stocks.
                "restock": item.get("restock_type") in ("return", "cancel"),
                "refund_amount": round(
                    _amount(item.get("subtotal")) + _amount(item.get("total_tax")), 2
                ),
            }
        )
    shipping = sum(
        -_amount(adj.get("amount")) - _amount(adj.get("tax_amount"))
        for adj in refund.get("order_adjustments") or []
        if adj.get("kind") == "shipping_refund"
    )
    transactions = [
        {
            "gateway": t.get("gateway") or "shopify",
            "amount": _amount(t.get("amount")),
            "kind": t.get("kind") or "refund",
        }
        for t in refund.get("transactions") or []
        if t.get("status", "success") == "success"
    ]
    total = sum(t["amount"] for t in transactions if t["kind"] == "refund")
    document = {
        "external_id": str(refund["id"]),
        "order_external_id": str(refund["order_id"]),
        "created_at": refund.get("created_at"),
        "lines": lines,
        "shipping_refund": round(shipping, 2),
        "total_refund": round(total, 2),
        "currency": order_currency,
        "transactions": transactions,
    }
    if refund.get("note"):
        document["reason"] = refund["note"]
    return {k: v for k, v in document.items() if v is not None}


def _rest_address(node):
    if not node:
        return None
    first, last = node.get("firstName"), node.get("lastName")
    return {
        "first_name": first,
        "last_name": last,
        "name": " ".join(p for p in (first, last) if p) or None,
        "company": node.get("company"),
        "address1": node.get("address1"),
        "address2": node.get("address2"),
        "city": node.get("city"),
        "zip": node.get("zip"),
        "province_code": node.get("provinceCode"),
        "country_code": node.get("countryCodeV2"),
        "phone": node.get("phone"),
    }


def _rest_tax_lines(nodes):
    return [
        {
            "title": t.get("title") or "",
            "rate": t.get("rate") or 0.0,
            "price": _money(t.get("priceSet")),
        }
        for t in nodes or []
    ]


def order_from_graphql(node):
    """A GraphQL ``OrderFields`` node -> the REST webhook order the mapper reads.

    Only the fields the contract ``shopify.order`` lists are produced.
    """
    customer = node.get("customer")
    rest = {
        "id": int(node["legacyResourceId"]),
        "admin_graphql_api_id": node["id"],
        "name": node["name"],
        "email": node.get("email"),
        "phone": node.get("phone"),
        "created_at": node["createdAt"],
        "updated_at": node["updatedAt"],
        "cancelled_at": node.get("cancelledAt"),
        "currency": node["currencyCode"],
        "financial_status": (node.get("displayFinancialStatus") or "PENDING").lower(),
        "taxes_included": bool(node.get("taxesIncluded")),
        "total_price": _money(node.get("totalPriceSet")),
        "subtotal_price": _money(node.get("subtotalPriceSet")),
        "total_tax": _money(node.get("totalTaxSet")),
        "total_discounts": _money(node.get("totalDiscountsSet")),
        "note": node.get("note"),
        "tags": ", ".join(node.get("tags") or []),
        # GraphQL lists the codes only; their amounts are in the line allocations.
        "discount_codes": [
            {"code": code, "amount": "0.00"} for code in node.get("discountCodes") or []
        ],
        "customer": {
            "id": int(customer["legacyResourceId"]),
            "admin_graphql_api_id": customer["id"],
            "email": customer.get("email"),
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
            "phone": customer.get("phone"),
        }
        if customer
        else None,
        "billing_address": _rest_address(node.get("billingAddress")),
        "shipping_address": _rest_address(node.get("shippingAddress")),
        "line_items": [
            {
                "id": int(legacy_id(line["id"])),
                "admin_graphql_api_id": line["id"],
                "variant_id": int(line["variant"]["legacyResourceId"])
                if line.get("variant")
                else None,
                "sku": line.get("sku"),
                "name": line.get("name"),
                "quantity": line["quantity"],
                "price": _money(line.get("originalUnitPriceSet")),
                "requires_shipping": bool(line.get("requiresShipping", True)),
                "discount_allocations": [
                    {"amount": _money(d.get("allocatedAmountSet"))}
                    for d in line.get("discountAllocations") or []
                ],
                "tax_lines": _rest_tax_lines(line.get("taxLines")),
            }
            for line in (node.get("lineItems") or {}).get("nodes") or []
        ],
        "shipping_lines": [
            {
                "code": shipping.get("code"),
                "title": shipping.get("title") or "",
                "price": _money(shipping.get("originalPriceSet")),
                "tax_lines": _rest_tax_lines(shipping.get("taxLines")),
            }
            for shipping in (node.get("shippingLines") or {}).get("nodes") or []
        ],
    }
    return rest
