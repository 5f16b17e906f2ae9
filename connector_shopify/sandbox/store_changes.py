"""Store changes beyond orders: draft orders, returns, product and customer edits.

Each change is told to its webhook topic as Shopify tells it (REST
payloads, ``*/delete`` with the id only), so a subscription to any topic the
sandbox accepts is delivered (``webhooks.EMITTED_TOPICS``).
"""

from decimal import Decimal

from .store_base import SandboxError, _address, _tags, gid, iso_offset, money, money_str

# REST Fulfillment.shipment_status values (the carrier's last event).
SHIPMENT_STATUSES = {
    "label_printed",
    "label_purchased",
    "attempted_delivery",
    "ready_for_pickup",
    "confirmed",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "failure",
}


class StoreChanges:
    """Mixin of ``Store``: the lock, ``emit`` and the order helpers come from it."""

    # ------------------------------------------------------------ products
    def update_product(self, domain, product_id, **changes):
        with self.lock:
            shop = self.shop(domain)
            product = self._product(shop, product_id)
            for key in ("title", "handle", "vendor", "product_type", "status", "description_html"):
                if key in changes:
                    product[key] = changes[key]
            if "tags" in changes:
                product["tags"] = _tags(changes["tags"])
            product["updated_at"] = self.now(after=product["updated_at"])
            self.emit(shop, "PRODUCTS_UPDATE", self.rest_product(shop, product))
            return self.product_info(shop, product)

    def delete_product(self, domain, product_id):
        with self.lock:
            shop = self.shop(domain)
            product = self._product(shop, product_id)
            for variant_id in list(product["variant_ids"]):
                self._drop_variant(shop, shop.variants[variant_id])
            del shop.products[product["id"]]
            self.emit(shop, "PRODUCTS_DELETE", {"id": product["id"]})
            return {"deleted": product["id"]}

    def _product(self, shop, product_id):
        product = shop.products.get(int(product_id))
        if product is None:
            raise SandboxError(f"unknown product {product_id}", status=404)
        return product

    def rest_product(self, shop, product):
        """The REST product of the products/* payloads."""
        variants = [shop.variants[v] for v in product["variant_ids"]]
        return {
            "id": product["id"],
            "admin_graphql_api_id": gid("Product", product["id"]),
            "title": product["title"],
            "body_html": product["description_html"],
            "vendor": product["vendor"],
            "product_type": product["product_type"],
            "handle": product["handle"],
            "status": product["status"].lower(),
            "tags": ", ".join(product["tags"]),
            "created_at": iso_offset(product["created_at"]),
            "updated_at": iso_offset(product["updated_at"]),
            "published_at": None,
            "published_scope": "web",
            "template_suffix": None,
            "variants": [
                {
                    "id": variant["id"],
                    "admin_graphql_api_id": gid("ProductVariant", variant["id"]),
                    "product_id": product["id"],
                    "title": variant["title"],
                    "sku": variant["sku"],
                    "price": money_str(variant["price"]),
                    "compare_at_price": None,
                    "position": index + 1,
                    "inventory_item_id": variant["inventory_item_id"],
                    "inventory_quantity": sum(
                        qty
                        for (item_id, _), qty in shop.levels.items()
                        if item_id == variant["inventory_item_id"]
                    ),
                    "inventory_policy": "deny",
                    "taxable": True,
                    "barcode": None,
                    "created_at": iso_offset(variant["created_at"]),
                    "updated_at": iso_offset(variant["updated_at"]),
                    **{
                        f"option{number + 1}": option["value"]
                        for number, option in enumerate(variant["options"][:3])
                    },
                }
                for index, variant in enumerate(variants)
            ],
            "options": [
                {
                    "id": product["id"] * 10 + position,
                    "product_id": product["id"],
                    "name": name,
                    "position": position,
                    "values": values,
                }
                for position, (name, values) in enumerate(self.product_options(shop, product), 1)
            ],
            "images": [],
            "image": None,
        }

    def product_options(self, shop, product):
        """``[(name, [values])]`` in the order the variants give them."""
        options = {}
        for variant_id in product["variant_ids"]:
            for option in shop.variants[variant_id]["options"]:
                values = options.setdefault(option["name"], [])
                if option["value"] not in values:
                    values.append(option["value"])
        return list(options.items())

    # ------------------------------------------------------------ customers
    def update_customer(self, domain, customer_id, **changes):
        with self.lock:
            shop = self.shop(domain)
            customer = self._customer_by_id(shop, customer_id)
            for key in ("email", "first_name", "last_name", "phone", "note"):
                if key in changes:
                    customer[key] = changes[key]
            if "tags" in changes:
                customer["tags"] = _tags(changes["tags"])
            if "address" in changes:
                customer["address"] = _address(changes["address"])
            customer["updated_at"] = self.now(after=customer["updated_at"])
            self.emit(shop, "CUSTOMERS_UPDATE", self.rest_customer(customer))
            return self.rest_customer(customer)

    def delete_customer(self, domain, customer_id):
        with self.lock:
            shop = self.shop(domain)
            customer = self._customer_by_id(shop, customer_id)
            if any(order["customer_id"] == customer["id"] for order in shop.orders.values()):
                raise SandboxError("Error deleting customer: the customer has orders", status=422)
            del shop.customers[customer["id"]]
            self.emit(
                shop,
                "CUSTOMERS_DELETE",
                {
                    "id": customer["id"],
                    "phone": None,
                    "addresses": [],
                    "tax_exemptions": [],
                    "email_marketing_consent": None,
                    "sms_marketing_consent": None,
                    "admin_graphql_api_id": gid("Customer", customer["id"]),
                },
            )
            return {"deleted": customer["id"]}

    def _customer_by_id(self, shop, customer_id):
        customer = shop.customers.get(int(customer_id))
        if customer is None:
            raise SandboxError(f"unknown customer {customer_id}", status=404)
        return customer

    # ------------------------------------------------------------ fulfillments
    def update_fulfillment(self, domain, fulfillment_id, shipment_status=None, tracking=None):
        """A carrier event (``shipment_status``) or new tracking: fulfillments/update."""
        with self.lock:
            shop = self.shop(domain)
            fulfillment = shop.fulfillments.get(int(fulfillment_id))
            if fulfillment is None:
                raise SandboxError(f"unknown fulfillment {fulfillment_id}", status=404)
            moment = self.now(after=fulfillment["updated_at"])
            if shipment_status is not None:
                if shipment_status not in SHIPMENT_STATUSES:
                    raise SandboxError(f"unknown shipment_status {shipment_status}")
                fulfillment["shipment_status"] = shipment_status
                fulfillment["events"].append((shipment_status, moment))
            if tracking:
                fulfillment["tracking_info"] = [
                    {
                        "company": tracking.get("company"),
                        "number": tracking.get("number"),
                        "url": tracking.get("url"),
                    }
                ]
            fulfillment["updated_at"] = moment
            self.emit(shop, "FULFILLMENTS_UPDATE", self.rest_fulfillment(fulfillment))
            return self.rest_fulfillment(fulfillment)

    # ------------------------------------------------------------ draft orders
    def create_draft_order(self, domain, **spec):
        with self.lock:
            shop = self.shop(domain)
            if not spec.get("lines"):
                raise SandboxError("a draft order needs lines")
            customer = None
            if spec.get("customer_id"):
                customer = self._customer_by_id(shop, spec["customer_id"])
            elif spec.get("customer"):
                customer = self._customer(shop, spec["customer"])
            moment = self.now()
            draft = {
                "id": self.next_id(),
                "name": f"#D{len(shop.draft_orders) + 1}",
                "status": "OPEN",
                "email": spec.get("email") or (customer and customer["email"]),
                "phone": spec.get("phone"),
                "customer_id": customer and customer["id"],
                "currency": shop.currency,
                "taxes_included": shop.taxes_included,
                "note": spec.get("note"),
                "tags": _tags(spec.get("tags")),
                "shipping_address": _address(spec.get("shipping_address")),
                "billing_address": _address(spec.get("billing_address")),
                "created_at": moment,
                "updated_at": moment,
                "completed_at": None,
                "invoice_sent_at": None,
                "order_id": None,
            }
            draft["line_items"] = [self._line_item(shop, draft, line) for line in spec["lines"]]
            shipping = spec.get("shipping_line")
            draft["shipping_lines"] = [self._shipping_line(draft, shipping)] if shipping else []
            shop.draft_orders[draft["id"]] = draft
            self.emit(shop, "DRAFT_ORDERS_CREATE", self.rest_draft_order(shop, draft))
            return self.rest_draft_order(shop, draft)

    def update_draft_order(self, domain, draft_id, **changes):
        with self.lock:
            shop = self.shop(domain)
            draft = self._draft(shop, draft_id)
            if draft["status"] == "COMPLETED":
                raise SandboxError("This order has been paid and cannot be modified", status=422)
            for key in ("note", "email", "phone"):
                if key in changes:
                    draft[key] = changes[key]
            if "tags" in changes:
                draft["tags"] = _tags(changes["tags"])
            if changes.get("lines"):
                draft["line_items"] = [
                    self._line_item(shop, draft, line) for line in changes["lines"]
                ]
            if changes.get("invoice_sent"):
                draft["status"], draft["invoice_sent_at"] = "INVOICE_SENT", self.now()
            draft["updated_at"] = self.now(after=draft["updated_at"])
            self.emit(shop, "DRAFT_ORDERS_UPDATE", self.rest_draft_order(shop, draft))
            return self.rest_draft_order(shop, draft)

    def complete_draft_order(self, domain, draft_id, payment_pending=False):
        """Turn the draft into an order (orders/create) and mark it completed."""
        with self.lock:
            shop = self.shop(domain)
            draft = self._draft(shop, draft_id)
            if draft["status"] == "COMPLETED":
                raise SandboxError("This order has already been completed", status=422)
            order = self.create_order(
                domain,
                customer_id=draft["customer_id"],
                email=draft["email"],
                phone=draft["phone"],
                note=draft["note"],
                tags=draft["tags"],
                financial_status="pending" if payment_pending else "paid",
                source_name="shopify_draft_order",
                source_identifier=str(draft["id"]),
                lines=[
                    {
                        "variant_id": line["variant_id"],
                        "sku": line["sku"],
                        "title": line["title"],
                        "quantity": line["quantity"],
                        "price": str(line["price"]),
                        "discount": str(line["discount"]),
                        "tax_lines": [
                            {"title": t["title"], "rate": str(t["rate"]), "price": str(t["price"])}
                            for t in line["tax_lines"]
                        ],
                    }
                    for line in draft["line_items"]
                ],
                shipping_lines=[
                    {"title": line["title"], "code": line["code"], "price": str(line["price"])}
                    for line in draft["shipping_lines"]
                ],
                shipping_address=draft["shipping_address"],
                billing_address=draft["billing_address"],
            )
            draft.update(status="COMPLETED", completed_at=self.now(), order_id=order["id"])
            draft["updated_at"] = self.now(after=draft["updated_at"])
            self.emit(shop, "DRAFT_ORDERS_UPDATE", self.rest_draft_order(shop, draft))
            return self.rest_draft_order(shop, draft)

    def delete_draft_order(self, domain, draft_id):
        with self.lock:
            shop = self.shop(domain)
            draft = self._draft(shop, draft_id)
            del shop.draft_orders[draft["id"]]
            self.emit(shop, "DRAFT_ORDERS_DELETE", {"id": draft["id"]})
            return {"deleted": draft["id"]}

    def _draft(self, shop, draft_id):
        draft = shop.draft_orders.get(int(draft_id))
        if draft is None:
            raise SandboxError(f"unknown draft order {draft_id}", status=404)
        return draft

    def rest_draft_order(self, shop, draft):
        totals = self.totals(draft)
        return {
            "id": draft["id"],
            "admin_graphql_api_id": gid("DraftOrder", draft["id"]),
            "name": draft["name"],
            "status": draft["status"].lower(),
            "email": draft["email"],
            "note": draft["note"],
            "tags": ", ".join(draft["tags"]),
            "currency": draft["currency"],
            "taxes_included": draft["taxes_included"],
            "order_id": draft["order_id"],
            "created_at": iso_offset(draft["created_at"]),
            "updated_at": iso_offset(draft["updated_at"]),
            "completed_at": iso_offset(draft["completed_at"]) if draft["completed_at"] else None,
            "invoice_sent_at": iso_offset(draft["invoice_sent_at"])
            if draft["invoice_sent_at"]
            else None,
            "subtotal_price": money_str(totals["subtotal_price"]),
            "total_tax": money_str(totals["total_tax"]),
            "total_price": money_str(totals["total_price"]),
            "line_items": [
                {
                    "id": line["id"],
                    "variant_id": line["variant_id"],
                    "product_id": line["product_id"],
                    "sku": line["sku"],
                    "title": line["title"],
                    "quantity": line["quantity"],
                    "price": money_str(line["price"]),
                }
                for line in draft["line_items"]
            ],
            "customer": self.rest_customer(shop.customers.get(draft["customer_id"])),
        }

    # ------------------------------------------------------------ returns
    def create_return(self, domain, order_id, lines=None, status="OPEN"):
        """A return of fulfilled units (``lines``: ``{line_item_id|sku, quantity}``)."""
        with self.lock:
            shop = self.shop(domain)
            order = self.order(shop, order_id)
            if status not in ("REQUESTED", "OPEN"):
                raise SandboxError("a return starts REQUESTED or OPEN")
            fulfilled = self._fulfilled_by_line(shop, order)
            returned = []
            for spec in lines or []:
                line = self._find_line(order, spec)
                quantity = int(spec.get("quantity", 1))
                if quantity <= 0 or quantity > fulfilled.get(line["id"], 0):
                    raise SandboxError(f"cannot return {quantity} unfulfilled units", status=422)
                returned.append({"line_item_id": line["id"], "quantity": quantity})
            if not returned:
                raise SandboxError("a return needs fulfilled lines")
            moment = self.now()
            record = {
                "id": self.next_id(),
                "order_id": order["id"],
                "name": f"{order['name']}-R{len(order.setdefault('return_ids', [])) + 1}",
                "status": status,
                "lines": returned,
                "created_at": moment,
                "approved_at": moment if status == "OPEN" else None,
                "closed_at": None,
            }
            shop.returns[record["id"]] = record
            order["return_ids"].append(record["id"])
            self.touch(shop, order)
            return {"id": record["id"], "admin_graphql_api_id": gid("Return", record["id"])}

    @staticmethod
    def payment_transactions(order, moment, next_id):
        """The order's payment, as its financial status says it was taken."""
        total = sum(
            (line["price"] * line["quantity"] - line["discount"] for line in order["line_items"]),
            Decimal(0),
        ) + sum((line["price"] for line in order["shipping_lines"]), Decimal(0))
        if not order["taxes_included"]:
            total += sum(
                (
                    tax["price"]
                    for line in order["line_items"] + order["shipping_lines"]
                    for tax in line["tax_lines"]
                ),
                Decimal(0),
            )
        kind, status, amount = {
            "pending": ("SALE", "PENDING", total),
            "authorized": ("AUTHORIZATION", "SUCCESS", total),
            "partially_paid": ("SALE", "SUCCESS", money(total / 2)),
            "voided": ("VOID", "SUCCESS", total),
        }.get(order["financial_status"], ("SALE", "SUCCESS", total))
        return [
            {
                "id": next_id(),
                "order_id": order["id"],
                "kind": kind.lower(),
                "gateway": "manual",
                "status": status.lower(),
                "amount": money(amount),
                "currency": order["currency"],
                "created_at": moment,
            }
        ]
