from odoo.addons.connector_base.models.integration_event import PipelineError

from .common import PipelineCase


class TestReturnImport(PipelineCase):
    """Channel refunds become credit notes; restocked units come back."""

    def setUp(self):
        super().setUp()
        self.importer = self.env["integration.canonical.importer"]

    def import_order(self, number, **overrides):
        self.assertEqual(self.post(self.order_payload(number, **overrides)).status_code, 200)
        self.run_jobs()
        event = self.events().filtered(lambda e: e.external_id == str(900000 + number))
        self.assertEqual(event.state, "done", event.last_error)
        return event, self.env["sale.order"].browse(event.res_id)

    def refund_doc(self, number, lines, total, **overrides):
        doc = {
            "external_id": f"R-{number}",
            "order_external_id": str(900000 + number),
            "created_at": "2026-11-25T09:00:00+01:00",
            "reason": "customer",
            "lines": lines,
            "total_refund": total,
            "currency": self.env.company.currency_id.name,
            "transactions": [{"gateway": "test_pay", "amount": total, "kind": "refund"}],
        }
        doc.update(overrides)
        return doc

    def line(self, order, sku):
        return order.order_line.filtered(lambda line: line.product_id.default_code == sku)

    def refunds(self, order):
        return self.env["account.move"].search(
            [("move_type", "=", "out_refund"), ("invoice_origin", "=", order.name)]
        )

    def ship(self, order):
        picking = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def test_partial_refund_before_shipping_lowers_the_order(self):
        event, order = self.import_order(5001)
        doc = self.refund_doc(
            5001, [{"sku": "TC-RED", "quantity": 1, "restock": True, "refund_amount": 10.0}], 10.0
        )
        credit_note = self.importer._import_return(self.backend, doc, event)
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertAlmostEqual(credit_note.amount_total, 10.0)
        self.assertFalse(credit_note.reversed_entry_id, "the order had no invoice")
        red = self.line(order, "TC-RED")
        self.assertEqual(
            [(ml.product_id, ml.quantity, ml.sale_line_ids) for ml in credit_note.invoice_line_ids],
            [(red.product_id, 1.0, red)],
        )
        self.assertEqual(red.product_uom_qty, 1, "the unshipped unit is taken off the order")
        self.assertEqual(red.qty_invoiced, -1, "the credit note counts against the order")
        moves = order.picking_ids.move_ids.filtered(
            lambda m: m.product_id == red.product_id and m.state != "cancel"
        )
        self.assertEqual(sum(moves.mapped("product_uom_qty")), 1, "the delivery follows")
        self.assertFalse(order.picking_ids.filtered(lambda p: p.picking_type_code == "incoming"))
        self.assertEqual(
            self.env["integration.binding"]._record(self.backend, "account.move", "R-5001"),
            credit_note,
        )
        self.assertFalse(credit_note.payment_state in ("paid", "in_payment"), "auto_invoice off")

    def test_refund_after_delivery_creates_a_return_to_receive(self):
        event, order = self.import_order(5002)
        delivery = self.ship(order)
        doc = self.refund_doc(
            5002,
            [
                {"sku": "TC-BLUE", "quantity": 1, "restock": True, "refund_amount": 20.0},
                {"sku": "TC-RED", "quantity": 1, "restock": False, "refund_amount": 10.0},
            ],
            34.5,
            shipping_refund=4.5,
        )
        credit_note = self.importer._import_return(self.backend, doc, event)
        self.assertEqual(credit_note.state, "posted")
        self.assertAlmostEqual(credit_note.amount_total, 34.5)
        self.assertEqual(
            sorted(
                (ml.product_id.default_code, ml.quantity, ml.price_unit)
                for ml in credit_note.invoice_line_ids
            ),
            [("CHANNEL-SHIPPING", 1.0, 4.5), ("TC-BLUE", 1.0, 20.0), ("TC-RED", 1.0, 10.0)],
        )
        back = delivery.return_ids
        self.assertEqual(len(back), 1)
        self.assertEqual(back.picking_type_code, "incoming")
        self.assertEqual(back.state, "assigned", "ready for the warehouse, not validated")
        self.assertEqual(
            [(m.product_id.default_code, m.product_uom_qty) for m in back.move_ids],
            [("TC-BLUE", 1.0)],
            "only the restocked units come back",
        )
        self.assertEqual(self.line(order, "TC-BLUE").product_uom_qty, 1, "shipped: order kept")
        self.assertEqual(self.line(order, "TC-RED").product_uom_qty, 2)

    def test_invoiced_order_refund_reverses_the_invoice_and_pays_back(self):
        for product in self.products.values():
            product.invoice_policy = "order"
        self.backend.auto_invoice = True
        event, order = self.import_order(5003)
        invoice = order.invoice_ids
        self.assertEqual((len(invoice), invoice.state), (1, "posted"))
        doc = self.refund_doc(
            5003,
            [
                {"sku": "TC-GREEN", "quantity": 1, "restock": False, "refund_amount": 20.0},
                {"sku": "TC-RED", "quantity": 1, "restock": True, "refund_amount": 10.0},
            ],
            30.0,
        )
        credit_note = self.importer._import_return(self.backend, doc, event)
        self.assertEqual(credit_note.reversed_entry_id, invoice)
        self.assertEqual(credit_note.state, "posted")
        self.assertAlmostEqual(credit_note.amount_total, 30.0)
        self.assertEqual(
            sorted(
                (ml.product_id.default_code, ml.quantity) for ml in credit_note.invoice_line_ids
            ),
            [("TC-GREEN", 1.0), ("TC-RED", 1.0)],
            "only the refunded lines and quantities, no shipping",
        )
        self.assertIn(credit_note.payment_state, ("paid", "in_payment"))
        red = self.line(order, "TC-RED")
        self.assertEqual(red.product_uom_qty, 1)
        self.assertEqual((red.qty_invoiced, red.qty_to_invoice), (1, 0))
        self.assertEqual(self.line(order, "TC-GREEN").product_uom_qty, 1, "not restocked")

    def test_partial_refund_transaction_pays_part_of_the_credit_note(self):
        for product in self.products.values():
            product.invoice_policy = "order"
        self.backend.auto_invoice = True
        event, _order = self.import_order(5004)
        doc = self.refund_doc(
            5004,
            [{"sku": "TC-BLUE", "quantity": 1, "restock": False}],
            20.0,
            transactions=[
                {"amount": 15.0, "kind": "refund"},
                {"amount": 50.0, "kind": "void"},
            ],
        )
        credit_note = self.importer._import_return(self.backend, doc, event)
        self.assertEqual(credit_note.payment_state, "partial")
        self.assertAlmostEqual(credit_note.amount_residual, 5.0)

    def test_replayed_return_keeps_one_credit_note(self):
        event, order = self.import_order(5005)
        doc = self.refund_doc(5005, [{"sku": "TC-RED", "quantity": 1, "restock": True}], 10.0)
        first = self.importer._import_return(self.backend, doc, event)
        again = self.importer._import_return(self.backend, doc, event)
        self.assertEqual(again, first)
        self.assertEqual(self.refunds(order), first)
        self.assertEqual(self.line(order, "TC-RED").product_uom_qty, 1, "lowered once")

    def test_unknown_order_is_a_mapping_error(self):
        event, _order = self.import_order(5006)
        doc = self.refund_doc(5999, [{"sku": "TC-RED", "quantity": 1}], 10.0)
        with self.assertRaises(PipelineError) as caught:
            self.importer._import_return(self.backend, doc, event)
        self.assertEqual(caught.exception.category, "mapping")
        self.assertEqual(caught.exception.exception_kwargs["business_object"], "order")
        self.assertIn("905999", str(caught.exception))
        self.assertFalse(
            self.env["integration.binding"]._find(self.backend, "account.move", "R-5999")
        )

    def test_sku_not_on_the_order_is_a_mapping_error(self):
        event, order = self.import_order(5007, lines=[{"sku": "TC-RED", "qty": 2, "price": 10.0}])
        doc = self.refund_doc(5007, [{"sku": "TC-BLUE", "quantity": 1}], 20.0)
        with self.assertRaises(PipelineError) as caught:
            self.importer._import_return(self.backend, doc, event)
        self.assertEqual(caught.exception.category, "mapping")
        self.assertEqual(caught.exception.exception_kwargs["business_object"], "product")
        self.assertIn("TC-BLUE", str(caught.exception))
        self.assertFalse(self.refunds(order))

    def test_total_mismatch_leaves_no_credit_note(self):
        event, order = self.import_order(5008)
        doc = self.refund_doc(5008, [{"sku": "TC-RED", "quantity": 1, "restock": True}], 15.0)
        with self.assertRaises(PipelineError) as caught:
            self.importer._import_return(self.backend, doc, event)
        error = caught.exception
        self.assertEqual(error.category, "business_rule")
        self.assertEqual(error.exception_kwargs["business_object"], "payment")
        self.assertEqual(error.exception_kwargs["severity"], "high")
        self.assertIn(f"Refund R-5008 of order {order.name}", str(error))
        self.assertIn("refunded 15.00", str(error))
        self.assertIn("credit note totals 10.00", str(error))
        self.assertFalse(self.refunds(order))
        self.assertFalse(
            self.env["integration.binding"]._find(self.backend, "account.move", "R-5008")
        )
        self.assertEqual(self.line(order, "TC-RED").product_uom_qty, 2, "order untouched")

    def test_refund_failure_becomes_a_governance_exception(self):
        """Through the event's failure path: an exception to work, owned by a team."""
        event, order = self.import_order(5009)
        doc = self.refund_doc(5009, [{"sku": "TC-RED", "quantity": 1}], 99.0)
        try:
            self.importer._import_return(self.backend, doc, event)
        except PipelineError as error:
            exception = event._fail(error.category, str(error), **error.exception_kwargs)
        else:
            self.fail("a total mismatch must fail")
        self.assertEqual(exception.category, "business_rule")
        self.assertEqual(exception.severity, "high")
        self.assertEqual(exception.related_record, order)
        self.assertEqual(exception.team_id, self.env.ref("integration_governance.team_finance"))
        self.assertEqual(event.state, "failed")

    def test_shipping_refund_is_tax_included(self):
        event, order = self.import_order(5010)
        tax = self.env["account.tax"].create(
            {"name": "Refund test VAT 20%", "amount": 20, "amount_type": "percent"}
        )
        order.order_line.filtered("is_delivery").tax_ids = tax
        doc = self.refund_doc(5010, [], 5.4, shipping_refund=5.4)
        credit_note = self.importer._import_return(self.backend, doc, event)
        self.assertAlmostEqual(credit_note.amount_total, 5.4)
        self.assertAlmostEqual(credit_note.amount_tax, 0.9)
        self.assertEqual(
            [(ml.product_id, ml.price_unit, ml.tax_ids) for ml in credit_note.invoice_line_ids],
            [(self.backend.shipping_product_id, 4.5, tax)],
        )
        self.assertEqual(self.line(order, "TC-RED").product_uom_qty, 2, "an amount only")

    def test_void_only_refund_books_nothing(self):
        event, order = self.import_order(5011)
        doc = self.refund_doc(
            5011, [], 0.0, transactions=[{"gateway": "test_pay", "amount": 64.5, "kind": "void"}]
        )
        result = self.importer._import_return(self.backend, doc, event)
        self.assertFalse(result)
        self.assertFalse(self.refunds(order))
        self.assertEqual(self.line(order, "TC-RED").product_uom_qty, 2)
