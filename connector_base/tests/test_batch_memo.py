"""A batch asks each distinct rule, distribution and SKU once, and each
order still gets the answer it would get alone."""

from odoo.tests import tagged

from ..models.integration_batch_memo import batch_memo
from .common import PipelineCase


@tagged("post_install", "-at_install")
class TestBatchMemo(PipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.customers = cls.env.ref("stock.stock_location_customers")
        plan = cls.env["account.analytic.plan"].create({"name": "Channels"})
        cls.account = cls.env["account.analytic.account"].create(
            {"name": "Web shop", "plan_id": plan.id}
        )
        # Only the red product's lines are charged to the web shop.
        cls.env["account.analytic.distribution.model"].create(
            {
                "product_id": cls.products["TC-RED"].id,
                "analytic_distribution": {str(cls.account.id): 100},
            }
        )
        # A route of its own with a rule to customers: a procurement naming it
        # gets that rule, one that does not gets the warehouse's delivery.
        cls.route = cls.env["stock.route"].create({"name": "Express", "sequence": 1})
        cls.express_rule = cls.env["stock.rule"].create(
            {
                "name": "Express to customers",
                "route_id": cls.route.id,
                "action": "pull",
                "location_src_id": cls.warehouse.lot_stock_id.id,
                "location_dest_id": cls.customers.id,
                "picking_type_id": cls.warehouse.out_type_id.id,
                "procure_method": "make_to_stock",
            }
        )

    def values(self, **extra):
        return {"warehouse_id": self.warehouse, "company_id": self.env.company, **extra}

    def test_inside_a_batch_a_second_identical_question_makes_no_query(self):
        red = self.products["TC-RED"]
        Rule = self.env["stock.rule"]
        Distribution = self.env["account.analytic.distribution.model"]
        Importer = self.env["integration.canonical.importer"]
        vals = {"product_id": red.id, "company_id": self.env.company.id}
        with batch_memo():
            rule = Rule._get_rule(red, self.customers, self.values())
            distribution = Distribution._get_distribution(vals)
            products = Importer._products_for_skus(self.backend, {"TC-RED", "TC-BLUE"})
            self.env.flush_all()
            with self.assertQueryCount(0):
                self.assertEqual(Rule._get_rule(red, self.customers, self.values()), rule)
                self.assertEqual(Distribution._get_distribution(vals), distribution)
                self.assertEqual(
                    Importer._products_for_skus(self.backend, {"TC-RED"}), {"TC-RED": red}
                )
        self.assertTrue(rule)
        self.assertEqual(distribution, {str(self.account.id): 100})
        self.assertEqual(products, {"TC-RED": red, "TC-BLUE": self.products["TC-BLUE"]})
        # Outside a batch nothing is remembered: the same question asks again.
        before = self.env.cr.sql_log_count
        self.assertEqual(Distribution._get_distribution(vals), distribution)
        self.assertGreater(self.env.cr.sql_log_count, before)

    def test_different_questions_get_their_own_answers_inside_a_batch(self):
        red, blue = self.products["TC-RED"], self.products["TC-BLUE"]
        green = self.products["TC-GREEN"]
        green.route_ids = self.route  # its own route: the product is part of the question
        Rule = self.env["stock.rule"]
        Distribution = self.env["account.analytic.distribution.model"]
        with batch_memo():
            default = Rule._get_rule(red, self.customers, self.values())
            express = Rule._get_rule(red, self.customers, self.values(route_ids=self.route))
            green_rule = Rule._get_rule(green, self.customers, self.values())
            company = self.env.company.id
            red_vals = Distribution._get_distribution({"product_id": red.id, "company_id": company})
            blue_vals = Distribution._get_distribution(
                {"product_id": blue.id, "company_id": company}
            )
            self.assertEqual(red_vals, {str(self.account.id): 100})
            # A caller changing what it was given does not change the memo.
            red_vals["999"] = 1
            again = Distribution._get_distribution({"product_id": red.id, "company_id": company})
        self.assertEqual(express, self.express_rule)
        self.assertEqual(green_rule, self.express_rule)
        self.assertNotEqual(default, self.express_rule)
        self.assertEqual(default, Rule._get_rule(red, self.customers, self.values()))
        self.assertEqual(blue_vals, {})
        self.assertEqual(again, {str(self.account.id): 100})

    def test_orders_imported_together_get_what_each_would_get_alone(self):
        numbers = range(4601, 4604)
        for number in numbers:
            self.assertEqual(self.post(self.order_payload(number)).status_code, 200)
        self.run_jobs()
        [batch] = self.env["queue.job"].search(
            [("method_name", "=", "_process_batch"), ("id", ">=", self.first_job_id)]
        )
        self.assertIn("3 of 3 done", batch.result)
        self.post(self.order_payload(4604))
        self.run_jobs()
        orders = self.env["sale.order"].search(
            [("client_order_ref", "in", [f"#{n}" for n in range(4601, 4605)])]
        )
        self.assertEqual(len(orders), 4)
        alone = orders.filtered(lambda o: o.client_order_ref == "#4604")
        expected_rule = alone.picking_ids.move_ids.rule_id
        self.assertEqual(len(expected_rule), 1)
        for order in orders:
            self.assertEqual(order.picking_ids.move_ids.rule_id, expected_rule)
            for line in order.order_line.filtered(lambda line: not line.is_delivery):
                expected = (
                    {str(self.account.id): 100}
                    if line.product_id == self.products["TC-RED"]
                    else False
                )
                self.assertEqual(line.analytic_distribution or False, expected, line.name)

    def test_a_product_sold_in_a_batch_still_triggers_its_reordering_rule(self):
        blue = self.products["TC-BLUE"]
        vendors = self.env.ref("stock.stock_location_suppliers")
        resupply = self.env["stock.route"].create(
            {"name": "Resupply", "product_selectable": True, "sequence": 50}
        )
        self.env["stock.rule"].create(
            {
                "name": "Vendors to stock",
                "route_id": resupply.id,
                "action": "pull",
                "location_src_id": vendors.id,
                "location_dest_id": self.warehouse.lot_stock_id.id,
                "picking_type_id": self.warehouse.in_type_id.id,
                "procure_method": "make_to_stock",
            }
        )
        self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": blue.id,
                "warehouse_id": self.warehouse.id,
                "location_id": self.warehouse.lot_stock_id.id,
                "product_min_qty": 5,
                "product_max_qty": 10,
                "trigger": "auto",
                "route_id": resupply.id,
            }
        )
        for number in (4701, 4702):
            self.assertEqual(self.post(self.order_payload(number)).status_code, 200)
        self.run_jobs()
        [batch] = self.env["queue.job"].search(
            [("method_name", "=", "_process_batch"), ("id", ">=", self.first_job_id)]
        )
        self.assertIn("2 of 2 done", batch.result)
        resupplied = self.env["stock.move"].search(
            [
                ("location_id", "=", vendors.id),
                ("product_id", "in", [p.id for p in self.products.values()]),
            ]
        )
        self.assertEqual(resupplied.product_id, blue, "only the product with a rule")
        # Two sold from nothing: up to the maximum and what the orders take.
        self.assertEqual(sum(resupplied.mapped("product_uom_qty")), 12)
