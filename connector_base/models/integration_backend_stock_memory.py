"""What Odoo knows of a channel's stock, beside the export that uses it: the
marks stock changes leave (``integration.stock.mark``, the bindings'
``stock_dirty``), the channel's item ids and the levels last read or set
there (the bindings' ``extra``), written in short transactions of their own
so that a long export never meets an order import on a lock."""

import json
import logging

import psycopg2

from odoo import api, models

_logger = logging.getLogger(__name__)

# How long a write in a transaction of its own waits for a binding's lock
# before it is made in the caller's transaction instead, which may be the one
# holding it (a worker must never wait on itself).
APART_LOCK_TIMEOUT = "2s"


def _quiet_lock_timeout(record):
    """No "bad query" error in the logs for the lock timeout expected here."""
    return "lock timeout" not in record.getMessage()


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------- marks
    @api.model
    def _stock_mark_dirty(self, products):
        """Called on every stock change: leave a mark (an appended row, see
        integration.stock.mark) for the bound products of every active
        backend, and coalesce one export per backend that takes stock."""
        if not products:
            return
        # One statement on the hot path (every reservation and move). A
        # product already marked gets no second row (concurrent imports may
        # both add one: harmless, the export takes all).
        self.env["integration.binding"].flush_model()
        self.env.cr.execute(
            """
            INSERT INTO integration_stock_mark (backend_id, binding_id)
            SELECT b.backend_id, b.id
              FROM integration_binding b
              JOIN integration_backend k ON k.id = b.backend_id AND k.state = 'active'
             WHERE b.res_model = 'product.product' AND b.res_id = ANY(%s)
               AND NOT EXISTS (SELECT 1 FROM integration_stock_mark m WHERE m.binding_id = b.id)
            RETURNING backend_id
            """,
            [list(products.ids)],
        )
        backend_ids = sorted({row[0] for row in self.env.cr.fetchall()})
        self.env["integration.stock.mark"].invalidate_model()
        for backend in self.sudo().browse(backend_ids):
            if backend._stock_supported():
                backend._coalesce("_export_stock", flow="stock_out")

    def _stock_take_marks(self):
        """The bindings this backend's stock changes marked, their marks
        deleted in this transaction: an export that fails rolls the deletion
        back, so no change is lost."""
        self.env["integration.stock.mark"].flush_model()
        self.env.cr.execute(
            "DELETE FROM integration_stock_mark WHERE backend_id = %s RETURNING binding_id",
            [self.id],
        )
        binding_ids = {row[0] for row in self.env.cr.fetchall()}
        self.env["integration.stock.mark"].invalidate_model()
        return self.env["integration.binding"].sudo().browse(sorted(binding_ids))

    def _stock_set_dirty(self, bindings, dirty):
        """In a short transaction of its own, so order imports marking
        products never wait for (or conflict with) a long export. The
        bindings it changed: a full sync of thousands of clean bindings
        changes (and, retried, marks back) none of them."""
        if not bindings:
            return bindings

        def write(cr):
            cr.execute(
                "UPDATE integration_binding SET stock_dirty = %s "
                "WHERE id = ANY(%s) AND stock_dirty IS "
                + ("NOT TRUE" if dirty else "TRUE")
                + " RETURNING id",
                [dirty, bindings.ids],
            )
            return bindings.browse(sorted(row[0] for row in cr.fetchall()))

        changed = self._stock_write_apart(write)
        bindings.invalidate_recordset(["stock_dirty"])
        return changed

    def _stock_write_apart(self, write):
        """``write(cursor)`` in a short transaction of its own; in this one
        when a binding it writes stays locked (a caller that wrote those
        bindings itself, e.g. a catalogue import then a sync in one
        transaction, holds their locks until it ends). Its result."""
        sql_log = logging.getLogger("odoo.sql_db")
        sql_log.addFilter(_quiet_lock_timeout)
        try:
            with self.env.registry.cursor() as cr:
                cr.execute(f"SET LOCAL lock_timeout = '{APART_LOCK_TIMEOUT}'")
                result = write(cr)
                cr.execute("SET LOCAL lock_timeout = DEFAULT")
                return result
        except psycopg2.errors.LockNotAvailable:
            _logger.info("%s: bindings locked, written in the job's own transaction", self.name)
            return write(self.env.cr)
        finally:
            sql_log.removeFilter(_quiet_lock_timeout)

    # ------------------------------------------------------- known levels
    def _stock_item_map(self, bindings):
        """{binding id: the channel's item id}: the hook once per binding. A
        channel keeping its item ids in the bindings' ``extra`` may read them
        in one query instead (``_stock_extra_values``): a full sync maps
        thousands, and every read of a Json field is a deep copy."""
        return {binding.id: self._stock_item_id(binding) for binding in bindings}

    def _stock_extra_values(self, bindings, key, latest=False):
        """{binding id: ``extra[key]``} of many bindings in one query, without
        the ORM's deep copy of each binding's whole ``extra``.

        ``latest``: as last committed, read in a transaction of its own. The
        known levels are written that way (``_stock_store_levels``, the
        level webhooks), so a job whose snapshot is older than them (a heal
        run after the reconciliation stored what it read) would otherwise
        compare against what the channel held before.
        """
        if not bindings:
            return {}
        self.env["integration.binding"].flush_model(["extra"])
        query = "SELECT id, extra->%s FROM integration_binding WHERE id = ANY(%s)"
        if latest:
            with self.env.registry.cursor() as cr:
                cr.execute(query, [key, list(bindings.ids)])
                return dict(cr.fetchall())
        self.env.cr.execute(query, [key, list(bindings.ids)])
        return dict(self.env.cr.fetchall())

    def _stock_known_levels(self, bindings, items=None):
        items = items if items is not None else self._stock_item_map(bindings)
        known = {}
        for binding_id, levels in self._stock_extra_values(bindings, "levels", True).items():
            item = items[binding_id]
            for location, quantity in (levels or {}).items():
                known[(item, location)] = quantity
        return known

    def _stock_store_levels(self, bindings, known, items=None):
        """Remember the channel's quantities (what we read or set there).

        Facts about the channel, kept whatever becomes of this job, written in
        a short transaction of their own so that order imports marking
        products meanwhile never meet this long job on a serialization conflict.
        """
        items = items if items is not None else self._stock_item_map(bindings)
        by_item = {}
        for (item, location), quantity in known.items():
            by_item.setdefault(item, {})[location] = quantity
        stored = self._stock_extra_values(bindings, "levels", True)
        rows = []
        for binding_id in bindings.ids:
            levels = by_item.get(items[binding_id], {})
            if levels != stored.get(binding_id):
                rows.append((binding_id, json.dumps(levels)))
        if not rows:
            return

        def write(cr):
            for start in range(0, len(rows), 1000):
                chunk = rows[start : start + 1000]
                cr.execute(
                    "UPDATE integration_binding b SET extra = jsonb_set("
                    "COALESCE(b.extra, '{}'::jsonb), '{levels}', v.levels::jsonb) "
                    "FROM (VALUES "
                    + ", ".join(["(%s, %s)"] * len(chunk))
                    + ") AS v(id, levels) WHERE b.id = v.id",
                    [value for row in chunk for value in row],
                )

        self._stock_write_apart(write)
        bindings.invalidate_recordset(["extra"])
