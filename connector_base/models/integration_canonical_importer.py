from odoo import Command, api, fields, models
from odoo.tools import plaintext2html

from .integration_batch_memo import current_memo
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

    @api.model
    def _imports_many(self, doc_type):
        """Whether documents of this type can be imported many at a time
        (``_import_<doc type>_many``, as a micro-batch does)."""
        return hasattr(self, f"_import_{doc_type}_many")

    @api.model
    def _import_many(self, backend, doc_type, items):
        """Import [(event, document)] in one call: their records, in order."""
        return getattr(self, f"_import_{doc_type}_many")(backend, items)

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
            changed = {
                k: v
                for k, v in values.items()
                # Many2one values are ids: compare them with the record's id.
                if (partner[k].id if isinstance(partner[k], models.BaseModel) else partner[k]) != v
            }
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
        values = self._new_order_values(backend, doc, event)
        return self._create_orders(backend, [(doc, values)])

    @api.model
    def _new_order_values(self, backend, doc, event):
        """The sale order of a channel order Odoo does not have yet (partner
        matched or created, lines mapped), not yet created."""
        partner = self._order_partner(backend, doc, event)
        values = self._order_values(backend, doc, partner)
        values["order_line"] = [(0, 0, line) for line in self._order_lines(backend, doc)]
        return values

    @api.model
    def _create_orders(self, backend, items):
        """Create, bind and confirm new orders in bulk: ``items`` is a list of
        (canonical document, values); one ``create`` and one ``action_confirm``
        for all, as the ORM is cheapest. The orders, in the items' order."""
        Binding = self.env["integration.binding"]
        orders = self.env["sale.order"].sudo().create([values for _doc, values in items])
        for order, (doc, _values) in zip(orders, items, strict=True):
            Binding._bind(backend, order, doc["external_id"], new=True)
        cancelled = orders.browse(
            [o.id for o, (doc, _v) in zip(orders, items, strict=True) if doc.get("cancelled_at")]
        )
        confirmed = orders.browse(
            [
                o.id
                for o, (doc, _v) in zip(orders, items, strict=True)
                if not doc.get("cancelled_at") and doc.get("financial_status") in CONFIRM_STATES
            ]
        )
        if cancelled:
            cancelled._action_cancel()
        if confirmed:
            confirmed.action_confirm()
        if backend.auto_invoice:
            for order, (doc, _values) in zip(orders, items, strict=True):
                if order in confirmed and doc["financial_status"] in PAID_STATES:
                    self._invoice_and_pay(order)
        return orders

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
            # The customer's words, shown as text: escaped, never read as HTML.
            "note": plaintext2html(doc["note"]) if doc.get("note") else False,
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
        """The customer itself when the order ships to its own address (most
        do), else its delivery contact at that address, created once."""
        values = self._address_values(address)
        name = address.get("name")
        if (
            (not name or name == partner.name)
            and all(
                (partner[key].id if key.endswith("_id") else partner[key]) == value
                for key, value in values.items()
            )
            and {"street", "zip"} <= set(values)
        ):
            return partner
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
        whatever the number of lines (none for SKUs an earlier order of the
        same batch named, see integration_batch_memo)."""
        Product = self.env["product.product"].sudo()
        memo = current_memo()
        known = {}
        if memo is not None:
            known = {
                sku: Product.browse(memo[("sku", backend.id, sku)])
                for sku in skus
                if ("sku", backend.id, sku) in memo
            }
            skus = [sku for sku in skus if sku not in known]
            if not skus:
                return known
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
        if memo is not None:
            memo.update({("sku", backend.id, sku): product.id for sku, product in found.items()})
        return {**known, **found}

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
        changes = {"order_line": [(line["sku"], line["quantity"]) for line in doc["lines"]]}
        if doc.get("shipping_address"):
            partner = self._shipping_partner(order.partner_id, doc["shipping_address"])
            if partner != order.partner_shipping_id:
                changes["partner_shipping_id"] = partner.id
        # An update writes only what the channel owns of an order (the rules).
        allowed, _violations = self.env["integration.sor.rule"].filter_values(
            "order",
            backend.system_id,
            changes,
            record=order,
            trace_id=event.trace_id if event else None,
            external_ref=doc["external_id"],
        )
        if "partner_shipping_id" in allowed:
            order.partner_shipping_id = allowed["partner_shipping_id"]
        if "order_line" in allowed:
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

    # -------------------------------------------------------------- return
    @api.model
    def _import_return(self, backend, doc, event):
        """A channel refund: a posted credit note for the refunded units and
        shipping (reversing the order's invoice when it has one), and the
        restocked units back: a return receipt, ready for the warehouse, for
        goods that shipped; a lower ordered quantity for goods that did not.
        Returns the credit note; a return already bound is not done twice."""
        Binding = self.env["integration.binding"]
        credit_note = Binding._record(backend, "account.move", doc["external_id"])
        if credit_note:
            return credit_note
        order = Binding._record(backend, "sale.order", doc["order_external_id"]).sudo()
        if not order:
            raise PipelineError(
                "mapping",
                f"Refund {doc['external_id']} is for order {doc['order_external_id']}, "
                f"not imported from {backend.name} (yet)",
                business_object="order",
                severity="high",
                impact_amount=doc["total_refund"],
            )
        if order.state != "sale":
            state = "cancelled" if order.state == "cancel" else "not confirmed"
            raise PipelineError(
                "business_rule",
                f"Refund {doc['external_id']} of order {order.name}: the order is {state} "
                "in Odoo, there is no sale to credit",
                business_object="order",
                severity="high",
                record=order,
                impact_amount=doc["total_refund"],
            )
        items = self._return_items(backend, order, doc)
        if not items and not doc.get("shipping_refund") and doc["total_refund"] <= 0.01:
            return self.env["account.move"]  # e.g. a voided authorization: nothing to book
        lower, give_back = self._return_goods_plan(order, doc, items)
        credit_note = self._return_credit_note(backend, order, doc, items)
        self._check_refund_total(backend, order, doc, credit_note)
        credit_note.action_post()
        refunded = sum(t["amount"] for t in doc.get("transactions") or () if t["kind"] == "refund")
        if backend.auto_invoice and refunded > 0:
            self._pay_refund(credit_note, refunded)
        for line, quantity in lower.items():
            line.product_uom_qty -= quantity
        self._create_returns(give_back)
        Binding._bind(backend, credit_note, doc["external_id"], new=True)
        return credit_note

    @api.model
    def _return_items(self, backend, order, doc):
        """[(sale order line, refunded quantity, restock)] of the refund's lines;
        a SKU spread over several order lines is taken from each in turn."""
        products = self._products_for_skus(
            backend, {line["sku"] for line in doc.get("lines") or ()}
        )
        sold = order.order_line.filtered(
            lambda line: not line.is_delivery and not line.display_type
        )
        left = {line: line.product_uom_qty for line in sold}
        items = []
        for refund_line in doc.get("lines") or ():
            sku, quantity = refund_line["sku"], refund_line["quantity"]
            product = products.get(sku)
            lines = sold.filtered(lambda line, product=product: line.product_id == product)
            if not product or not lines:
                raise PipelineError(
                    "mapping",
                    f"Refund {doc['external_id']} of order {order.name}: SKU {sku} "
                    "is not on the order",
                    business_object="product",
                    severity="high",
                    record=order,
                    impact_amount=doc["total_refund"],
                )
            for line in lines:
                taken = min(quantity, left[line])
                if taken <= 0:
                    continue
                left[line] -= taken
                quantity -= taken
                items.append((line, taken, bool(refund_line.get("restock"))))
                if not quantity:
                    break
            if quantity > 0:
                raise PipelineError(
                    "business_rule",
                    f"Refund {doc['external_id']} of order {order.name}: "
                    f"{refund_line['quantity']} x {sku} refunded, more than the order holds",
                    business_object="order",
                    severity="high",
                    record=order,
                    impact_amount=doc["total_refund"],
                )
        return items

    @api.model
    def _return_goods_plan(self, order, doc, items):
        """What the restocked units change, decided before anything is written:
        ({order line: quantity to take off}, {shipped move: quantity to receive
        back}). Units not shipped yet are taken off the order first."""
        lower, give_back = {}, {}
        for line, quantity, restock in items:
            if not restock:
                continue
            unshipped = max(line.product_uom_qty - line.qty_delivered, 0.0)
            cancelled = min(quantity, unshipped)
            if cancelled:
                lower[line] = lower.get(line, 0.0) + cancelled
            back = quantity - cancelled
            shipped = line.move_ids.filtered(
                lambda m: m.state == "done" and m.picking_code == "outgoing"
            )
            for move in shipped.sorted("id"):
                if line.product_uom_id.is_zero(back):
                    break
                returned = sum(
                    m.product_uom_qty for m in move.returned_move_ids if m.state != "cancel"
                )
                available = move.product_uom._compute_quantity(
                    move.quantity - returned - give_back.get(move, 0.0), line.product_uom_id
                )
                taken = min(back, available)
                if taken > 0:
                    give_back[move] = give_back.get(
                        move, 0.0
                    ) + line.product_uom_id._compute_quantity(taken, move.product_uom)
                    back -= taken
            if not line.product_uom_id.is_zero(back):
                raise PipelineError(
                    "business_rule",
                    f"Refund {doc['external_id']} of order {order.name}: {quantity:g} x "
                    f"{line.product_id.display_name} to restock, but only "
                    f"{quantity - back:g} are still to ship or were shipped and not returned",
                    business_object="order",
                    severity="high",
                    record=order,
                    impact_amount=doc["total_refund"],
                )
        return lower, give_back

    @api.model
    def _return_credit_note(self, backend, order, doc, items):
        """The draft credit note of the refunded lines, at the order's prices."""
        wanted = {}
        for line, quantity, _restock in items:
            wanted[line] = wanted.get(line, 0.0) + quantity
        shipping = doc.get("shipping_refund") or 0.0
        ref = f"{backend.name} refund {doc['external_id']}"
        if doc.get("reason"):
            ref = f"{ref}: {doc['reason']}"
        invoice = order.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        ).sorted("id")[-1:]
        if not invoice:
            values = order._prepare_invoice()
            values.pop("transaction_ids", None)
            commands = [
                Command.create(line._prepare_invoice_line(quantity=quantity))
                for line, quantity in wanted.items()
            ]
            if shipping:
                commands.append(
                    Command.create(self._shipping_refund_line(backend, order, shipping))
                )
            values.update(move_type="out_refund", ref=ref, invoice_line_ids=commands)
            return (
                self.env["account.move"]
                .sudo()
                .with_company(order.company_id)
                .with_context(default_move_type="out_refund")
                .create(values)
            )
        credit_note = invoice._reverse_moves([{"ref": ref}])
        commands, covered = [], set()
        for move_line in credit_note.invoice_line_ids:
            sale_line = move_line.sale_line_ids[:1]
            if (
                move_line.display_type == "product"
                and sale_line in wanted
                and sale_line not in covered
            ):
                covered.add(sale_line)
                quantity = sale_line.product_uom_id._compute_quantity(
                    wanted[sale_line], move_line.product_uom_id or sale_line.product_uom_id
                )
                commands.append(Command.update(move_line.id, {"quantity": quantity}))
            else:
                commands.append(Command.delete(move_line.id))
        for sale_line, quantity in wanted.items():
            if sale_line not in covered:
                commands.append(Command.create(sale_line._prepare_invoice_line(quantity=quantity)))
        if shipping:
            commands.append(Command.create(self._shipping_refund_line(backend, order, shipping)))
        credit_note.write({"invoice_line_ids": commands})
        return credit_note

    @api.model
    def _shipping_refund_line(self, backend, order, amount):
        """Credit note line values of a shipping refund, on the backend's shipping
        product with the taxes of the order's delivery line. ``amount`` is paid
        back tax included, like a line's refund_amount."""
        delivery = order.order_line.filtered("is_delivery")[:1]
        product = backend.shipping_product_id or delivery.product_id
        excluded = delivery.tax_ids.filtered(lambda tax: not tax.price_include)
        price_unit = amount
        if excluded:
            price_unit = excluded._get_tax_details(
                amount,
                1.0,
                rounding_method="round_globally",
                product=product,
                special_mode="total_included",
            )["total_excluded"]
        if delivery:
            values = delivery._prepare_invoice_line(quantity=1, price_unit=price_unit, discount=0.0)
        else:
            values = {"quantity": 1, "price_unit": price_unit}
        if product:
            values.update(product_id=product.id, name=product.display_name)
        else:
            values["name"] = self.env._("Shipping refund")
        return values

    @api.model
    def _check_refund_total(self, backend, order, doc, credit_note):
        """The channel's refund and the credit note must agree like money does
        (the currency's rounding, the channel's rounding method, the backend's
        tolerance); on a mismatch the draft goes and the refund becomes an
        exception."""
        currency = credit_note.currency_id
        total = credit_note.amount_total
        lines = len(credit_note.invoice_line_ids.filtered("tax_ids")) or 1
        if doc["currency"] == currency.name and backend._amounts_match(
            doc["total_refund"], total, currency, lines, company=credit_note.company_id
        ):
            return
        credit_note.unlink()
        raise PipelineError(
            "business_rule",
            f"Refund {doc['external_id']} of order {order.name}: {backend.name} refunded "
            f"{doc['total_refund']:.2f} {doc['currency']}, Odoo's credit note totals "
            f"{total:.2f} {currency.name}",
            # Money that does not add up: routed to Finance like payments.
            business_object="payment",
            severity="high",
            record=order,
            impact_amount=abs(doc["total_refund"] - total),
        )

    @api.model
    def _pay_refund(self, credit_note, amount):
        """The money paid back, as a payment on the credit note (a part of it
        when the channel's refund transactions cover less)."""
        wizard = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=credit_note.ids
        )
        values = {}
        if credit_note.currency_id.compare_amounts(amount, credit_note.amount_residual) < 0:
            values["amount"] = amount
        return wizard.create(values)._create_payments()

    @api.model
    def _create_returns(self, give_back):
        """One return per shipped delivery, through Odoo's return wizard, left
        ready for the warehouse to receive and validate."""
        returns = self.env["stock.picking"]
        for picking in self.env["stock.move"].union(*give_back).picking_id:
            wizard = (
                self.env["stock.return.picking"]
                .sudo()
                .with_context(
                    active_id=picking.id, active_ids=picking.ids, active_model="stock.picking"
                )
                .create({"picking_id": picking.id})
            )
            for return_line in wizard.product_return_moves:
                return_line.quantity = give_back.get(return_line.move_id, 0.0)
            returns |= wizard._create_return()
        return returns
