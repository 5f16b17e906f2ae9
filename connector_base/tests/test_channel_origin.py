from .common import PipelineCase


class TestChannelOrigin(PipelineCase):
    """Sale orders, deliveries and invoices say which channel an order came
    from, with the channel's reference; they filter and group by channel."""

    def test_order_delivery_and_invoice_carry_the_channel(self):
        self.backend.auto_invoice = True
        self.post(self.order_payload(7101))
        self.run_jobs()
        order = self.env["sale.order"].search([("client_order_ref", "=", "#7101")])
        self.assertEqual(order.channel_backend_id, self.backend)
        self.assertEqual(order.channel_order_ref, "#7101")
        self.assertEqual(order.channel_external_id, "907101")
        # The test channel has no admin to link to (Shopify's is tested there).
        self.assertFalse(order.channel_admin_url)
        self.assertEqual(order.picking_ids.channel_backend_id, self.backend)
        self.assertEqual(order.picking_ids.channel_order_ref, "#7101")
        self.assertTrue(order.invoice_ids)
        self.assertEqual(order.invoice_ids.channel_backend_id, self.backend)
        self.assertEqual(order.invoice_ids.channel_order_ref, "#7101")
        # Filter and group by channel.
        SaleOrder = self.env["sale.order"]
        self.assertIn(order, SaleOrder.search([("channel_backend_id", "=", self.backend.id)]))
        groups = dict(
            SaleOrder._read_group([("id", "=", order.id)], ["channel_backend_id"], ["__count"])
        )
        self.assertEqual(groups, {self.backend: 1})
        Move = self.env["account.move"]
        self.assertEqual(
            Move.search([("channel_backend_id", "=", self.backend.id)]), order.invoice_ids
        )

    def test_a_second_binding_does_not_change_the_origin(self):
        self.post(self.order_payload(7102))
        self.run_jobs()
        order = self.env["sale.order"].search([("client_order_ref", "=", "#7102")])
        other = self.env["integration.backend"].create(
            {"name": "3PL", "code": "tpl_origin", "channel_type": "test_channel"}
        )
        self.env["integration.binding"]._bind(other, order, "WH-7102")
        self.assertEqual(order.channel_backend_id, self.backend)
        self.assertEqual(order.channel_external_id, "907102")

    def test_shipped_canonical_contracts_say_which_addon_shipped_them(self):
        version = (
            self.env["integration.contract"]
            .search([("code", "=", "canonical.order")])
            .version_ids.filtered(lambda v: v.version == "1.0.0")
        )
        self.assertEqual(version.origin_module, "connector_base")
        self.assertTrue(version.origin_module_version.startswith("19.0."))
        self.assertFalse(version.approver_id)
        test_channel = (
            self.env["integration.contract"]
            .search([("code", "=", "test_channel.order")])
            .version_ids
        )
        self.assertEqual(test_channel.origin_module, "connector_test_channel")

    def test_demo_sale_tax_sits_in_a_group_of_its_own_name(self):
        tax = self.backend._ensure_sale_tax("State tax 7.25%", 7.25)
        self.assertEqual((tax.amount, tax.type_tax_use), (7.25, "sale"))
        self.assertEqual(tax.tax_group_id.name, "State tax 7.25%")
        # Run again (make run reuses its database): the same tax and group.
        again = self.backend._ensure_sale_tax("State tax 7.25%", 7.25)
        self.assertEqual((again, again.tax_group_id), (tax, tax.tax_group_id))
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env.ref("base.res_partner_2").id,
                "order_line": [
                    (0, 0, {"product_id": self.products["TC-RED"].id, "tax_ids": [(6, 0, tax.ids)]})
                ],
            }
        )
        groups = order.tax_totals["subtotals"][0]["tax_groups"]
        self.assertEqual([g["group_name"] for g in groups], ["State tax 7.25%"])
