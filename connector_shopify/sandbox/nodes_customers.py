"""Customers and mailing addresses as GraphQL nodes."""

import hashlib
from decimal import Decimal

from .relay import connection
from .store import _rest_address, gid, iso_z, money_str


class CustomerNodes:
    """Customers and mailing addresses as GraphQL nodes."""

    def customer_node(self, customer):
        if customer is None:
            return None
        shop, store = self.shop, self.store
        names = [n for n in (customer["first_name"], customer["last_name"]) if n]
        orders = sorted(
            (o for o in shop.orders.values() if o["customer_id"] == customer["id"]),
            key=lambda o: o["id"],
        )
        spent = sum(
            (store.totals(o)["total_price"] for o in orders if not o["cancelled_at"]), Decimal(0)
        )
        address = self.address_node(customer.get("address"))
        since = store.now() - customer["created_at"]
        return {
            "__typename": "Customer",
            "_currency": shop.currency,
            "id": gid("Customer", customer["id"]),
            "legacyResourceId": str(customer["id"]),
            "email": customer["email"],
            "firstName": customer["first_name"],
            "lastName": customer["last_name"],
            "phone": customer["phone"],
            "displayName": " ".join(names) or customer["email"] or "",
            "createdAt": iso_z(customer["created_at"]),
            "updatedAt": iso_z(customer["updated_at"]),
            "note": customer.get("note"),
            "tags": list(customer.get("tags") or []),
            "verifiedEmail": True,
            "validEmailAddress": bool(customer["email"] and "@" in customer["email"]),
            "taxExempt": False,
            "state": "DISABLED",
            "locale": "en",
            "canDelete": not orders,
            "numberOfOrders": str(len(orders)),
            "amountSpent": {"amount": money_str(spent), "currencyCode": shop.currency},
            "lifetimeDuration": f"about {max(since.days, 0)} days",
            "unsubscribeUrl": f"https://{shop.domain}/unsubscribe?id={customer['id']}",
            "defaultAddress": address,
            "addresses": [address] if address else [],
            "addressesV2": lambda info, **args: connection(
                [address] if address else [], args, lambda a: a, sort_key=lambda a: 0
            ),
            "lastOrder": lambda info: self.order_node(orders[-1]) if orders else None,
            "orders": lambda info, **args: connection(orders, args, self.order_node),
        }

    @staticmethod
    def address_node(address):
        if address is None:
            return None
        rest = _rest_address(address)
        digest = hashlib.sha1(repr(sorted(rest.items())).encode()).hexdigest()
        street = ", ".join(p for p in (rest["address1"], rest["address2"]) if p)
        area = ", ".join(p for p in (rest["city"], rest["province_code"]) if p)
        formatted = [
            part
            for part in (
                rest["company"],
                street,
                " ".join(p for p in (rest["city"], rest["province_code"], rest["zip"]) if p),
                rest["country"],
            )
            if part
        ]
        return {
            "__typename": "MailingAddress",
            "id": f"gid://shopify/MailingAddress/{int(digest[:12], 16)}?model_name=Address",
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
            "formatted": lambda info, withName=False, withCompany=True, **_: (
                ([rest["name"]] if withName and rest["name"] else [])
                + [p for p in formatted if withCompany or p != rest["company"]]
            ),
            "formattedArea": ", ".join(p for p in (area, rest["country"]) if p) or None,
        }
