from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError

from .common import GovernanceCase


class TestLineage(GovernanceCase):
    def trace(self, ref="#T-5001"):
        order = self.env["res.partner"].create({"name": "Order holder"})
        first = self.Lineage.record_step("received", system=self.shop, external_ref=ref)
        trace = first.trace_id
        self.Lineage.record_step("validated", trace_id=trace, system=self.shop, external_ref=ref)
        self.Lineage.record_step(
            "imported",
            trace_id=trace,
            system=self.shop,
            external_ref=ref,
            record=order,
            duration_ms=12,
        )
        return trace, order

    def test_record_step_starts_and_chains_a_trace(self):
        trace, _order = self.trace()
        self.assertRegex(trace, r"^[0-9a-f]{32}$")
        rows = self.Lineage.search([("trace_id", "=", trace)], order="id")
        self.assertEqual(rows.mapped("step"), ["received", "validated", "imported"])
        self.assertEqual(rows[0].prev_hash, "")
        self.assertEqual(rows[1].prev_hash, rows[0].row_hash)
        self.assertEqual(rows[2].prev_hash, rows[1].row_hash)
        self.assertEqual(self.Lineage.check_chain([trace]), [])

    def test_append_only(self):
        trace, _order = self.trace()
        row = self.Lineage.search([("trace_id", "=", trace)], limit=1)
        with self.assertRaises(UserError):
            row.write({"message": "changed"})
        with self.assertRaises(UserError):
            row.unlink()
        with self.assertRaises(UserError):
            row.sudo().unlink()

    def test_chain_check_catches_a_tampered_row(self):
        trace, _order = self.trace()
        rows = self.Lineage.search([("trace_id", "=", trace)], order="id")
        self.env.cr.execute(
            "UPDATE integration_lineage SET outcome = 'failure' WHERE id = %s", [rows[1].id]
        )
        breaks = self.Lineage.check_chain([trace])
        self.assertEqual([b["lineage_id"] for b in breaks], [rows[1].id])
        self.assertIn("changed", breaks[0]["reason"])

    def unkey(self, trace):
        """Rewrite a trace's hashes the way 19.0.1.0.0 wrote them (no key)."""
        from ..lib import payload as payload_lib
        from ..models.integration_lineage import (
            CHAINED_FIELDS,
            _chained,
        )

        prev = ""
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT id, {', '.join(CHAINED_FIELDS)} FROM integration_lineage "
            "WHERE trace_id = %s ORDER BY id",
            [trace],
        )
        for values in self.env.cr.dictfetchall():
            values["recorded_at"] = fields.Datetime.to_string(values["recorded_at"])
            row_hash = payload_lib.chain_hash(prev, _chained(values))
            self.env.cr.execute(
                "UPDATE integration_lineage SET prev_hash = %s, row_hash = %s WHERE id = %s",
                [prev, row_hash, values["id"]],
            )
            prev = row_hash
        self.env.invalidate_all()

    def test_upgrade_rekeys_old_chains_but_keeps_their_breaks(self):
        intact, _order = self.trace("#T-5101")
        tampered, _order = self.trace("#T-5102")
        self.unkey(intact)
        self.unkey(tampered)
        self.assertTrue(self.Lineage.check_chain([intact]), "unkeyed rows do not verify")
        rows = self.Lineage.search([("trace_id", "=", tampered)], order="id")
        self.env.cr.execute(
            "UPDATE integration_lineage SET outcome = 'failure' WHERE id = %s", [rows[1].id]
        )
        self.Lineage._rekey_chains()
        self.assertEqual(self.Lineage.check_chain([intact]), [])
        breaks = self.Lineage.check_chain([tampered])
        self.assertIn(rows[1].id, [b["lineage_id"] for b in breaks])

    def test_chain_check_catches_a_deleted_row(self):
        trace, _order = self.trace()
        rows = self.Lineage.search([("trace_id", "=", trace)], order="id")
        self.env.cr.execute("DELETE FROM integration_lineage WHERE id = %s", [rows[1].id])
        self.env.invalidate_all()
        breaks = self.Lineage.check_chain([trace])
        self.assertEqual([b["lineage_id"] for b in breaks], [rows[2].id])

    def test_where_is_order(self):
        trace, order = self.trace("#T-5001")
        other, _o = self.trace("#T-5002")
        Finder = self.env["integration.trace.finder"]
        self.assertEqual(Finder.find_traces(query="#T-5001"), [trace])
        self.assertEqual(Finder.find_traces(query="T-5001"), [trace])
        self.assertEqual(Finder.find_traces(query=trace), [trace])
        self.assertEqual(Finder.find_traces(record=order), [trace])
        finder = Finder.create({"query": "#T-5002"})
        self.assertEqual(set(finder.lineage_ids.mapped("trace_id")), {other})
        self.assertIn(other, finder.timeline)

    def test_smart_button_on_sale_order(self):
        partner = self.env["res.partner"].create({"name": "Buyer"})
        order = self.env["sale.order"].create({"partner_id": partner.id})
        self.assertEqual(order.integration_trace_count, 0)
        self.Lineage.record_step("imported", system=self.shop, record=order, external_ref="#7")
        order.invalidate_recordset(["integration_trace_count"])
        self.assertEqual(order.integration_trace_count, 1)
        action = order.action_view_integration_traces()
        finder = self.env["integration.trace.finder"].browse(action["res_id"])
        self.assertEqual(finder.trace_count, 1)

    def test_retention_purge_deletes_whole_old_traces_only(self):
        old, _o = self.trace("#OLD")
        new, _n = self.trace("#NEW")
        self.env.cr.execute(
            "UPDATE integration_lineage SET recorded_at = %s WHERE trace_id = %s",
            [fields.Datetime.now() - timedelta(days=400), old],
        )
        self.env.invalidate_all()
        self.assertEqual(self.Lineage._cron_purge(), 1)
        self.assertFalse(self.Lineage.search([("trace_id", "=", old)]))
        self.assertEqual(self.Lineage.search_count([("trace_id", "=", new)]), 3)
        self.assertEqual(self.Lineage.check_chain([new]), [])
