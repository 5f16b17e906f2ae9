from odoo import api, fields, models

from .integration_event import PipelineError

PAID_STATES = ("paid", "partially_refunded")
CONFIRM_STATES = ("authorized", "partially_paid", "paid", "partially_refunded")


class IntegrationCanonicalImporter(models.AbstractModel):
    """Turns canonical documents into Odoo records, under the system-of-record
    rules, whatever channel they came from."""

    _name = "integration.canonical.importer"
    _description = "Canonical document importer"

    @api.model
    def _import(self, backend, doc_type, document, event):
        method = getattr(self, f"_import_{doc_type}", None)
        if method is None:
            raise PipelineError("internal", f"No importer for canonical {doc_type}")
        return method(backend, document, event)

    # ------------------------------------------------------------ customer
    @api.model
    def _import_customer(self, backend, doc, event):
        """Match by binding, then email, then phone; write only what we may."""
        Partner = self.env["res.partner"].sudo()
        Binding = self.env["integration.binding"]
        partner = Binding._record(backend, "res.partner", doc["external_id"])
        if not partner and doc.get("email"):
            partner = Partner.search([("email", "=ilike", doc["email"])], limit=1)
        if not partner and doc.get("phone"):
            partner = Partner.search([("phone", "=", doc["phone"])], limit=1)
        values = self._partner_values(doc)
        values, _violations = self.env["integration.sor.rule"].filter_values(
            "customer",
            backend.system_id,
            values,
            record=partner or None,
            trace_id=event.trace_id if event else None,
            external_ref=doc["external_id"],
        )
        if partner:
            changed = {k: v for k, v in values.items() if partner[k] != v}
            if changed:
                partner.write(changed)
        else:
            values.setdefault("name", doc.get("email") or doc["external_id"])
            partner = Partner.create(values)
        Binding._bind(
            backend,
            partner,
            doc["external_id"],
            doc.get("updated_at")
            and fields.Datetime.to_datetime(doc["updated_at"][:19].replace("T", " ")),
        )
        return partner

    @api.model
    def _partner_values(self, doc, address=None):
        name = " ".join(p for p in (doc.get("first_name"), doc.get("last_name")) if p)
        values = {"name": name or doc.get("company") or doc.get("email")}
        if doc.get("email"):
            values["email"] = doc["email"]
        if doc.get("phone"):
            values["phone"] = doc["phone"]
        address = address or (doc.get("addresses") or [None])[0]
        if address:
            values.update(self._address_values(address))
        return {k: v for k, v in values.items() if v}

    @api.model
    def _address_values(self, address):
        values = {
            "street": address.get("street"),
            "street2": address.get("street2"),
            "city": address.get("city"),
            "zip": address.get("zip"),
        }
        if address.get("country_code"):
            country = self.env["res.country"].search(
                [("code", "=", address["country_code"].upper())], limit=1
            )
            values["country_id"] = country.id
            if address.get("state_code") and country:
                state = self.env["res.country.state"].search(
                    [("country_id", "=", country.id), ("code", "=", address["state_code"])],
                    limit=1,
                )
                values["state_id"] = state.id
        return {k: v for k, v in values.items() if v}

    # --------------------------------------------------------------- order
    @api.model
    def _import_order(self, backend, doc, event):
        Binding = self.env["integration.binding"]
        order = Binding._record(backend, "sale.order", doc["external_id"])
        if order:
            return self._update_order(backend, order, doc, event)
        partner = self._order_partner(backend, doc, event)
        values = self._order_values(backend, doc, partner)
        values["order_line"] = [(0, 0, line) for line in self._order_lines(backend, doc)]
        order = self.env["sale.order"].sudo().create(values)
        Binding._bind(backend, order, doc["external_id"], new=True)
        if doc.get("cancelled_at"):
            order._action_cancel()
        elif doc.get("financial_status") in CONFIRM_STATES:
            order.action_confirm()
            if backend.auto_invoice and doc["financial_status"] in PAID_STATES:
                self._invoice_and_pay(order)
        return order

    @api.model
    def _order_partner(self, backend, doc, event):
        customer = doc.get("customer")
        if customer and customer.get("external_id"):
            sub = dict(customer)
            if doc.get("billing_address"):
                sub["addresses"] = [doc["billing_address"]]
            return self._import_customer(backend, sub, event)
        if not backend.default_partner_id:
            raise PipelineError(
                "data_quality",
                f"Order {doc['name']} has no customer and {backend.name} no default customer",
                business_object="customer",
            )
        return backend.default_partner_id

    @api.model
    def _order_values(self, backend, doc, partner):
        values = {
            "partner_id": partner.id,
            "client_order_ref": doc["name"],
            "origin": f"{backend.name} {doc['name']}",
            "company_id": backend.company_id.id,
            "date_order": fields.Datetime.to_datetime(doc["created_at"][:19].replace("T", " ")),
            "note": doc.get("note") or False,
        }
        pricelist = self._pricelist(backend, doc["currency"])
        if pricelist:
            values["pricelist_id"] = pricelist.id
        if doc.get("shipping_address"):
            values["partner_shipping_id"] = self._shipping_partner(
                partner, doc["shipping_address"]
            ).id
        if backend.team_id:
            values["team_id"] = backend.team_id.id
        return values

    @api.model
    def _pricelist(self, backend, currency_code):
        company_currency = backend.company_id.currency_id
        if currency_code == company_currency.name:
            return self.env["product.pricelist"]
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", currency_code)], limit=1)
        )
        pricelist = self.env["product.pricelist"].search(
            [
                ("currency_id", "=", currency.id),
                ("company_id", "in", [False, backend.company_id.id]),
            ],
            limit=1,
        )
        if not pricelist:
            raise PipelineError(
                "business_rule",
                f"No pricelist in {currency_code} for {backend.company_id.name}",
                severity="high",
            )
        return pricelist

    @api.model
    def _shipping_partner(self, partner, address):
        values = self._address_values(address)
        existing = partner.child_ids.filtered(
            lambda c: (
                c.type == "delivery"
                and c.street == values.get("street")
                and c.zip == values.get("zip")
            )
        )[:1]
        if existing:
            return existing
        return (
            self.env["res.partner"]
            .sudo()
            .create(
                {
                    "parent_id": partner.id,
                    "type": "delivery",
                    "name": address.get("name") or partner.name,
                    **values,
                }
            )
        )

    @api.model
    def _products_for_skus(self, backend, skus):
        """{sku: product} by binding first, then internal reference: two queries
        whatever the number of lines."""
        Product = self.env["product.product"].sudo()
        bindings = (
            self.env["integration.binding"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "=", "product.product"),
                    ("external_id", "in", list(skus)),
                ]
            )
        )
        found = {b.external_id: Product.browse(b.res_id) for b in bindings}
        missing = [sku for sku in skus if sku not in found]
        if missing:
            for product in Product.search([("default_code", "in", missing)]):
                found.setdefault(product.default_code, product)
        return found

    @api.model
    def _order_lines(self, backend, doc):
        lines, unknown = [], []
        products = self._products_for_skus(backend, {line["sku"] for line in doc["lines"]})
        for line in doc["lines"]:
            product = products.get(line["sku"])
            if not product:
                unknown.append(line["sku"])
                continue
            qty = line["quantity"]
            gross = line["unit_price"] * qty
            discount = 100.0 * line.get("discount_amount", 0.0) / gross if gross else 0.0
            lines.append(
                {
                    "product_id": product.id,
                    "name": line.get("name") or product.display_name,
                    "product_uom_qty": qty,
                    "price_unit": line["unit_price"],
                    "discount": discount,
                    "tax_ids": [(6, 0, self._taxes(backend, line.get("tax_lines"), doc).ids)],
                }
            )
        if unknown:
            raise PipelineError(
                "mapping",
                f"Unknown SKU {', '.join(unknown)} on order {doc['name']}",
                severity="high",
                business_object="product",
                impact_amount=doc.get("total_price", 0.0),
                name=f"Unknown SKU {', '.join(unknown)} on order {doc['name']}",
            )
        for shipping in doc.get("shipping_lines") or []:
            lines.append(
                {
                    "product_id": backend.shipping_product_id.id,
                    "name": shipping.get("title") or backend.shipping_product_id.name,
                    "product_uom_qty": 1,
                    "price_unit": shipping["price"],
                    "is_delivery": True,
                    "tax_ids": [(6, 0, self._taxes(backend, shipping.get("tax_lines"), doc).ids)],
                }
            )
        return lines

    @api.model
    def _taxes(self, backend, tax_lines, doc):
        """Odoo sale taxes matching the channel's tax lines (rate and inclusion)."""
        Tax = self.env["account.tax"].sudo()
        taxes = Tax.browse()
        included = bool(doc.get("taxes_included"))
        for tax_line in tax_lines or []:
            rate = round(float(tax_line["rate"]) * 100, 4)
            tax = Tax.search(
                [
                    ("type_tax_use", "=", "sale"),
                    ("amount_type", "=", "percent"),
                    ("amount", "=", rate),
                    ("price_include", "=", included),
                    ("company_id", "=", backend.company_id.id),
                ],
                limit=1,
            )
            if not tax:
                raise PipelineError(
                    "business_rule",
                    f"No sale tax of {rate}% ({'included' if included else 'excluded'}) "
                    f"for order {doc['name']}",
                    severity="high",
                    business_object="order",
                )
            taxes |= tax
        return taxes

    @api.model
    def _update_order(self, backend, order, doc, event):
        shipped = order.picking_ids.filtered(lambda p: p.state == "done")
        if doc.get("cancelled_at"):
            if order.state == "cancel":
                return order
            if shipped:
                raise PipelineError(
                    "business_rule",
                    f"Order {doc['name']} was cancelled on {backend.name} but has shipped",
                    severity="high",
                    business_object="order",
                    record=order,
                    impact_amount=order.amount_total,
                )
            order._action_cancel()
            return order
        if shipped:
            return order
        if doc.get("shipping_address"):
            partner = self._shipping_partner(order.partner_id, doc["shipping_address"])
            if partner != order.partner_shipping_id:
                order.partner_shipping_id = partner
        self._update_order_lines(backend, order, doc)
        return order

    @api.model
    def _update_order_lines(self, backend, order, doc):
        """Bring quantities in line with the channel before anything shipped:
        changed lines are updated, new ones added, removed ones set to zero."""
        wanted = {}
        for line in doc["lines"]:
            wanted[line["sku"]] = wanted.get(line["sku"], 0) + line["quantity"]
        current = order.order_line.filtered(lambda line: not line.is_delivery)
        by_sku = {line.product_id.default_code: line for line in current}
        for sku, line in by_sku.items():
            quantity = wanted.pop(sku, 0)
            if line.product_uom_qty != quantity:
                line.product_uom_qty = quantity
        if wanted:
            added = [
                line for line in self._order_lines(backend, doc) if not line.get("is_delivery")
            ]
            products = self.env["product.product"].browse([line["product_id"] for line in added])
            new_lines = [
                (0, 0, values)
                for values, product in zip(added, products, strict=True)
                if product.default_code in wanted
            ]
            if new_lines:
                order.order_line = new_lines

    @api.model
    def _invoice_and_pay(self, order):
        invoice = order._create_invoices()
        invoice.action_post()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        return invoice
