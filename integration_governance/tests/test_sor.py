from .common import GovernanceCase


class TestSystemOfRecord(GovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["integration.sor.rule"]
        # Replace the shipped defaults for 'customer' with rules under test.
        cls.Rule.search([("business_object", "in", ("customer", "price", "shipment"))]).write(
            {"active": False}
        )
        cls.env.flush_all()
        cls.Rule.create(
            {
                "business_object": "customer",
                "owner_scope": "role",
                "owner_role": "sales_channel",
                "policy": "fill_empty",
            }
        )
        cls.Rule.create(
            {
                "business_object": "customer",
                "field_name": "vat",
                "owner_scope": "odoo",
                "policy": "ignore",
            }
        )
        cls.Rule.create({"business_object": "price", "owner_scope": "odoo", "policy": "exception"})
        cls.Rule.create(
            {
                "business_object": "shipment",
                "owner_scope": "system",
                "owner_system_id": cls.wms.id,
                "policy": "ignore",
            }
        )
        cls.partner = cls.env["res.partner"].create({"name": "Ann", "email": "ann@x.org"})

    def test_owner_writes_everything_it_owns(self):
        values = {"email": "new@x.org", "phone": "123"}
        applied, violations = self.Rule.filter_values(
            "customer", self.shop, values, record=self.partner
        )
        self.assertEqual(applied, values)
        self.assertEqual(violations, [])

    def test_field_rule_beats_object_rule_and_ignore_is_noted(self):
        applied, violations = self.Rule.filter_values(
            "customer",
            self.shop,
            {"vat": "BE0477472701", "phone": "9"},
            record=self.partner,
            trace_id="a" * 32,
            external_ref="C-1",
        )
        self.assertEqual(applied, {"phone": "9"})
        self.assertEqual([v["field"] for v in violations], ["vat"])
        self.assertEqual(violations[0]["policy"], "ignore")
        step = self.Lineage.search([("trace_id", "=", "a" * 32)])
        self.assertEqual(step.step, "filtered")
        self.assertIn("vat", step.message)
        self.assertFalse(self.Exc.search([("external_ref", "=", "C-1")]))

    def test_fill_empty_accepts_only_empty_values(self):
        applied, violations = self.Rule.filter_values(
            "customer", self.wms, {"email": "wms@x.org", "phone": "555"}, record=self.partner
        )
        self.assertEqual(applied, {"phone": "555"})  # phone was empty, email was not
        self.assertEqual([v["field"] for v in violations], ["email"])
        applied, _violations = self.Rule.filter_values("customer", self.wms, {"email": "n@x.org"})
        self.assertEqual(applied, {"email": "n@x.org"}, "no record yet: everything is empty")

    def test_exception_policy_raises_into_the_queue(self):
        applied, violations = self.Rule.filter_values(
            "price", self.shop, {"list_price": 19.0}, external_ref="SKU-9"
        )
        self.assertEqual(applied, {})
        self.assertEqual(violations[0]["policy"], "exception")
        exc = self.Exc.search([("external_ref", "=", "SKU-9")])
        self.assertEqual(exc.category, "sor_conflict")
        self.assertEqual(exc.payload, {"list_price": 19.0})
        # Odoo itself may write prices.
        applied, violations = self.Rule.filter_values("price", self.odoo, {"list_price": 21.0})
        self.assertEqual((applied, violations), ({"list_price": 21.0}, []))

    def test_one_system_owner(self):
        applied, _v = self.Rule.filter_values("shipment", self.wms, {"carrier_tracking_ref": "T1"})
        self.assertEqual(applied, {"carrier_tracking_ref": "T1"})
        applied, violations = self.Rule.filter_values(
            "shipment", self.shop, {"carrier_tracking_ref": "T2"}, apply_effects=False
        )
        self.assertEqual(applied, {})
        self.assertEqual(violations[0]["owner"], "WMS")

    def test_object_without_rule_accepts(self):
        self.Rule.search([("business_object", "=", "return")]).write({"active": False})
        applied, violations = self.Rule.filter_values("return", self.shop, {"reason": "x"})
        self.assertEqual((applied, violations), ({"reason": "x"}, []))

    def test_defaults_ship_as_data(self):
        def owner(xmlid):
            return self.env.ref(f"integration_governance.sor_{xmlid}").owner_label

        self.assertEqual(owner("stock"), "Odoo")
        self.assertEqual(owner("product"), "Odoo")
        self.assertEqual(owner("price"), "Odoo")
        self.assertEqual(owner("order"), "Sales channel")
        self.assertEqual(owner("customer"), "Sales channel")
        self.assertEqual(owner("shipment"), "3PL / logistics")
