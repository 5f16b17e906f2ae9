"""Bindings and inbox rows carry no single-column index that a composite
index already leads with: each would cost every binding a stock sync or an
import writes, and every delivery stored, and answer no query the composite
one does not."""

import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged
from odoo.tools import sql

MIGRATION = Path(__file__).parents[1] / "migrations" / "19.0.1.4.0" / "post-migrate.py"


def _migration():
    spec = importlib.util.spec_from_file_location("connector_base_19_0_1_4_0", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestRedundantIndexes(TransactionCase):
    def _existing(self, redundant):
        return [
            sql.make_index_name(table, column)
            for table, columns in redundant.items()
            for column in columns
            if sql.index_exists(self.env.cr, sql.make_index_name(table, column))
        ]

    def test_an_install_has_none_and_an_upgrade_drops_them(self):
        redundant = _migration().REDUNDANT
        self.assertEqual(self._existing(redundant), [])
        # A database installed before 19.0.1.4.0 has them (Odoo keeps an
        # index its field no longer asks for).
        for table, columns in redundant.items():
            for column in columns:
                sql.create_index(
                    self.env.cr, sql.make_index_name(table, column), table, [f'"{column}"']
                )
        self.assertEqual(len(self._existing(redundant)), 4)
        _migration().migrate(self.env.cr, "19.0.1.3.0")
        self.assertEqual(self._existing(redundant), [])

    def test_the_lookups_they_served_still_use_an_index(self):
        cr = self.env.cr
        cr.execute("SET LOCAL enable_seqscan = off")
        for query in (
            "SELECT id FROM integration_binding WHERE backend_id = 1",
            "SELECT id FROM integration_binding WHERE res_model = 'sale.order' AND res_id = 1",
            "SELECT id FROM integration_binding WHERE res_model = 'product.product'",
            "SELECT id FROM integration_event WHERE backend_id = 1",
        ):
            cr.execute("EXPLAIN " + query)
            plan = " ".join(row[0] for row in cr.fetchall())
            self.assertIn("Index", plan, f"{query}: {plan}")
