from .common import GovernanceCase


class TestReconciliation(GovernanceCase):
    def test_run_counts_and_unhealable_lines_raise_exceptions(self):
        Run = self.env["integration.reconciliation.run"]
        run = Run.start("stock", self.wms)
        run.add_mismatch("SKU-1", "quantity", 5, 3)
        run.add_mismatch("SKU-2", "quantity", 0, 2, heal=False)
        run.finish(compared_count=10)
        self.assertEqual(run.state, "done")
        self.assertEqual(
            (run.compared_count, run.matched_count, run.mismatched_count),
            (10, 8, 2),
        )
        # No channel heals 'stock' here: every line became an exception.
        self.assertEqual(run.exception_count, 2)
        self.assertEqual(run.healed_count, 0)
        exc = run.line_ids.exception_id
        self.assertEqual(len(exc), 2)
        self.assertEqual(set(exc.mapped("category")), {"data_quality"})
        self.assertEqual(set(exc.mapped("external_ref")), {"SKU-1", "SKU-2"})
        step = self.Lineage.search([("trace_id", "=", run.trace_id), ("step", "=", "reconciled")])
        self.assertIn("8 matched", step.message)

    def test_heal_hook(self):
        Run = type(self.env["integration.reconciliation.run"])
        healed = []

        def _heal_other_line(self, line):
            healed.append(line.key)
            return True

        Run._heal_other_line = _heal_other_line
        try:
            run = self.env["integration.reconciliation.run"].start("other", self.wms)
            run.add_mismatch("SKU-9", "quantity", 1, 2)
            run.finish(compared_count=1)
        finally:
            del Run._heal_other_line
        self.assertEqual(healed, ["SKU-9"])
        self.assertEqual(run.healed_count, 1)
        self.assertFalse(run.line_ids.exception_id)

    def test_set_wise_heal_hook_gets_every_line_at_once(self):
        """``_heal_<kind>_lines`` is called once with all the lines to heal;
        those it does not return are raised, the others healed."""
        Run = type(self.env["integration.reconciliation.run"])
        calls = []

        def _heal_other_lines(self, lines):
            calls.append(sorted(lines.mapped("key")))
            return lines.filtered(lambda line: line.key != "SKU-2")

        Run._heal_other_lines = _heal_other_lines
        try:
            run = self.env["integration.reconciliation.run"].start("other", self.wms)
            for key in ("SKU-1", "SKU-2", "SKU-3"):
                run.add_mismatch(key, "quantity", 1, 2)
            run.add_mismatch("SKU-4", "quantity", 1, 2, heal=False)
            run.finish(compared_count=4)
        finally:
            del Run._heal_other_lines
        self.assertEqual(calls, [["SKU-1", "SKU-2", "SKU-3"]])
        self.assertEqual(run.healed_count, 2)
        self.assertEqual(set(run.line_ids.exception_id.mapped("external_ref")), {"SKU-2", "SKU-4"})

    def test_many_mismatches_recorded_in_one_call(self):
        run = self.env["integration.reconciliation.run"].start("other", self.wms)
        partner = self.env.user.partner_id
        lines = run.add_mismatches(
            [
                {"key": "A", "field_name": "qty", "odoo_value": 1, "external_value": None},
                {
                    "key": "B",
                    "field_name": "qty",
                    "odoo_value": 2,
                    "external_value": 3,
                    "record": partner,
                    "heal": False,
                },
            ]
        )
        self.assertEqual(lines.mapped("key"), ["A", "B"])
        self.assertEqual(lines.mapped("external_value"), ["", "3"])
        self.assertEqual(lines.mapped("resolution"), ["heal", "exception"])
        self.assertEqual((lines[1].res_model, lines[1].res_id), ("res.partner", partner.id))
        self.assertEqual(run.mismatched_count, 2)
