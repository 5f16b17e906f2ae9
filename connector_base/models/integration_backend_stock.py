"""Stock out to every channel that takes stock, the mirror of inbound.

Odoo change (``stock.move``) -> dirty marks on the product bindings -> one
coalesced export job per backend -> targets built from Odoo's current free
quantity (less the units of orders still in the inbox) -> canonical
``stock_level`` documents checked against their contract -> the channel's
compare-and-set call (``_stock_push_levels``) -> known levels kept on the
bindings -> lineage. A refused compare re-reads the batch and tries again; a
refusal is an exception for the fulfilment team.

A channel fills: ``_stock_supported``, ``_stock_locations``,
``_stock_item_id``, ``_stock_read_levels``, ``_stock_push_levels`` and, to
hold back units of orders waiting in the inbox, ``_stock_pending_spec``; one
with a bulk import fills ``_stock_push_levels_bulk`` for the big syncs.
The stock reconciliation is in ``integration_backend_reconcile_stock.py``;
the marks and the known levels in ``integration_backend_stock_memory.py``;
the full sync (its button, what it reads first) in
``integration_backend_stock_full.py``.
"""

from datetime import datetime, timezone

from odoo import models
from odoo.tools.float_utils import float_round

from ..lib import stock_levels
from .integration_backend_jobs import integration_job
from .integration_backend_outbound import OutboundRefused
from .integration_event import contract_breach

# A refused compare is re-read and sent again this many times at most.
STALE_ROUNDS = 3


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # --------------------------------------------------------------- hooks
    def _stock_supported(self):
        """Hook: True when the channel takes stock levels from Odoo."""
        return False

    def _stock_locations(self):
        """Hook: the channel's locations Odoo sends stock to, as a list of
        ``{"id": channel location id, "name": label, "location": stock.location}``
        (Odoo's free quantity at that stock location is what the channel may sell)."""
        return []

    def _stock_item_id(self, binding):
        """Hook: the channel's id of a product binding's stock item (default:
        the binding's external id, e.g. the SKU); falsy: not stocked there."""
        return binding.external_id

    def _stock_read_levels(self, location_id, item_ids=None):
        """Hook: ``{item id: available quantity}`` at a channel location: every
        item there (``item_ids`` None) or only those given."""
        raise NotImplementedError(f"{self.channel_type} backends read no stock levels")

    def _stock_push_levels(self, changes):
        """Hook: send one batch of ``stock_levels.LevelChange`` (one location),
        each applied only if the channel's quantity is still ``change.known``
        (``None``: never read, no compare).

        Returns the changes the channel refused because its quantity moved
        (stale compare): the pipeline re-reads them and sends them again. A
        channel that refuses a whole call for one stale compare returns a
        ``stock_levels.PushResult`` instead, so that only the stale items are
        read again and the others are sent again as they were.
        Raise ``OutboundRefused`` for any other refusal.
        """
        raise NotImplementedError(f"{self.channel_type} backends take no stock levels")

    def _stock_push_levels_bulk(self, batches):
        """Hook: send many batches at once through the channel's bulk import
        (one operation instead of one call per batch), each batch as
        ``_stock_push_levels`` would send it (one location, its compares).

        Returns one answer per batch, in order: what ``_stock_push_levels``
        would have returned for it, or the ``OutboundRefused`` it would have
        raised; or None when the channel has no bulk import (or cannot use it
        now): the batches then go one call each. While the channel runs the
        import, raise queue_job's ``RetryableJobError``: the job is retried and
        the hook, called again with the same batches, finds its operation.
        """
        return None

    def _stock_batch_size(self):
        """Hook: how many levels one push call takes."""
        return 100

    def _stock_pending_spec(self):
        """Hook: how to count the units of the channel's orders still in the
        inbox (taken off the channel's stock, not yet reserved in Odoo):
        ``{"topics": [...], "lines": "<payload key of the lines>",
        "sku": "<line key>", "quantity": "<line key>"}``, or None."""
        return None

    # ------------------------------------------------------------ export
    def _stock_bindings(self, product_ids=None, dirty_only=False):
        domain = [("backend_id", "=", self.id), ("res_model", "=", "product.product")]
        if product_ids is not None:
            domain.append(("res_id", "in", list(product_ids)))
        if dirty_only:
            domain.append(("stock_dirty", "=", True))
        bindings = self.env["integration.binding"].sudo().search(domain)
        items = self._stock_item_map(bindings)
        return bindings.filtered(lambda b: items[b.id])

    @integration_job
    def _export_stock(self, product_ids=None, full=False, read_all=False):
        """Bring the channel's available quantities to Odoo's (the changed
        products, the given ones, or all with ``full``): compare-and-set,
        idempotent, in the channel's batches. A full sync compares with the
        levels Odoo knows; with ``read_all`` it reads every level first, so
        that drift no webhook told is corrected too."""
        self.ensure_one()
        if self.state != "active":
            return "backend not active"
        refused = self._outbound_refusal("stock")
        if refused:
            return refused
        # Its calls are logged as replayable: a replay sends the levels again.
        backend = self.with_context(
            integration_replay=("integration.backend", self.id, "_replay_export_stock")
        )
        # A full sync's whole reads come before anything else: a channel
        # reading in the background (a bulk query) has the job look again
        # later, and a look costs that call, not Odoo's side of thousands of
        # levels.
        read = backend._stock_read_unknown_locations(read_all) if full else None
        changed_only = not full and product_ids is None
        bindings = self._stock_bindings(product_ids, dirty_only=changed_only)
        if product_ids is None:
            marked = self._stock_take_marks()
            items = self._stock_item_map(marked)
            bindings |= marked.filtered(lambda b: items[b.id])
        if not bindings:
            return "nothing to export"
        # Changes arriving from now on mark their products again; those it
        # found marked are marked again here if this export fails (the marks
        # it took come back with the rollback).
        cleared = self._stock_set_dirty(bindings, False)
        try:
            return backend._stock_export_levels(bindings, read)
        except Exception:
            self._stock_set_dirty(cleared, True)
            raise

    def _replay_export_stock(self):
        """Replay of a logged stock call: every product's level, from Odoo's
        current state (what the failed call did not set is sent again)."""
        return self._export_stock(full=True)

    def _stock_read_everywhere(self):
        """{channel location: {item: quantity}}: every level the channel has."""
        return {
            location["id"]: self._stock_read_levels(location["id"])
            for location in self._stock_locations()
        }

    def _stock_export_levels(self, bindings, read=None):
        """``read``: every level of the locations a full sync read whole (what
        was known there is then forgotten); elsewhere only the levels not
        known are read."""
        items = self._stock_item_map(bindings)
        known = self._stock_known_levels(bindings, items)
        locations = self._stock_locations()
        for location_id, levels in (read or {}).items():
            stock_levels.merge_read(known, location_id, levels, whole=True)
        targets = self._stock_targets(bindings, items)
        for location in [loc for loc in locations if loc["id"] not in (read or {})]:
            missing = {
                item
                for (item, loc) in targets
                if loc == location["id"] and (item, loc) not in known
            }
            if missing:
                whole = len(missing) > stock_levels.FULL_READ_ABOVE
                self._stock_read_into(known, location["id"], None if whole else missing)
        changes = stock_levels.plan(targets, known)
        self._stock_check_documents(changes)
        try:
            sent = self._stock_push(changes, known)
        finally:
            self._stock_store_levels(bindings, known, items)
        settlement = self.env.context.get("stock_settlement")
        if settlement is not None:
            settlement.note(targets, known)
        if sent:
            self.env["integration.lineage"].record_step(
                "exported",
                system=self.system_id,
                direction="outbound",
                job_uuid=self.env.context.get("job_uuid"),
                message=f"stock: {sent} level(s) of {len(targets)} changed",
            )
        # Last: it commits the system's success time in a transaction of its
        # own, which a later reference to the system here would collide with.
        self._mark_flow_success("stock_out")
        return f"{len(targets)} levels compared, {sent} changed on {self.name}"

    def _stock_read_into(self, known, location_id, item_ids):
        """Read the channel's levels at a location (all of them when
        ``item_ids`` is None: what we knew there is then forgotten)."""
        read = self._stock_read_levels(location_id, item_ids)
        stock_levels.merge_read(known, location_id, read, whole=item_ids is None)

    def _stock_pending_quantities(self):
        """Units of the channel's orders already in the inbox but not yet in
        Odoo's stock: the channel took them off, Odoo has not reserved them."""
        spec = self._stock_pending_spec()
        if not spec:
            return {}
        self.env["integration.event"].flush_model()
        self.env.cr.execute(
            """
            SELECT line->>%s, SUM((line->>%s)::numeric)
              FROM integration_event e, jsonb_array_elements(e.payload->%s) line
             WHERE e.backend_id = %s AND e.state IN ('received', 'processing')
               AND e.topic = ANY(%s)
             GROUP BY 1
            """,
            [spec["sku"], spec["quantity"], spec["lines"], self.id, list(spec["topics"])],
        )
        return {sku: float(qty) for sku, qty in self.env.cr.fetchall() if sku}

    def _stock_targets(self, bindings, items=None):
        """{(item, channel location): (quantity Odoo can sell there, SKU)}."""
        items = items if items is not None else self._stock_item_map(bindings)
        pending = self._stock_pending_quantities()
        products = self.env["product.product"].sudo().browse(bindings.mapped("res_id"))
        targets = {}
        for location in self._stock_locations():
            free = self._stock_free_quantities(products, location["location"])
            for binding in bindings:
                sku = binding.external_id
                quantity = free.get(binding.res_id, 0.0) - pending.get(sku, 0.0)
                targets[(items[binding.id], location["id"])] = (max(int(quantity), 0), sku)
        return targets

    def _stock_free_quantities(self, products, location):
        """{product id: Odoo's free quantity at ``location`` and below}, as
        ``free_qty`` computes it (quants' quantity less reserved, to the unit of
        measure's rounding), in one grouped query: a full sync of thousands of
        products must not compute every stock quantity field of each."""
        if not products:
            return {}
        domain_quant_loc, _moves_in, domain_move_out_loc = products.with_context(
            location=location.id
        )._get_domain_locations()
        groups = (
            self.env["stock.quant"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                [("product_id", "in", products.ids), *domain_quant_loc],
                ["product_id"],
                ["quantity:sum", "reserved_quantity:sum"],
            )
        )
        # Deliveries an import batch confirmed and its reservation job has not
        # reserved yet: sold, so held back as if reserved.
        deferred = dict(
            self.env["stock.move"]
            .sudo()
            ._read_group(
                [
                    ("picking_id.integration_reserve_pending", "=", True),
                    ("state", "in", ("confirmed", "partially_available")),
                    ("product_id", "in", products.ids),
                    *domain_move_out_loc,
                ],
                ["product_id"],
                ["product_qty:sum"],
            )
        )
        # Every unit of measure rounds to the "Product Unit" precision (uom.round).
        digits = self.env["decimal.precision"].precision_get("Product Unit")
        free = {}
        for product, quantity, reserved in groups:
            # Reserving takes no more than is free (free_qty never goes below
            # zero by a reservation).
            held = min(deferred.get(product, 0.0), max(quantity - reserved, 0.0))
            free[product.id] = float_round(quantity - reserved - held, precision_digits=digits)
        return free

    def _stock_check_documents(self, changes):
        """Each level sent is a canonical ``stock_level``: one that breaks its
        contract is not sent, and is raised with its violations."""
        if not changes:
            return
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        names = {location["id"]: location["name"] for location in self._stock_locations()}
        Contract = self.env["integration.contract"]
        broken = []
        for change in changes:
            document = {
                "sku": change.key or str(change.item_id),
                "location_code": str(names.get(change.location_id) or change.location_id),
                "quantity_available": change.quantity,
                "updated_at": now,
            }
            result = Contract.validate_payload("canonical.stock_level", document)
            if result["violations"]:
                broken.append((change, result))
        for change, result in broken:
            changes.remove(change)
            breach = contract_breach(
                f"Stock level of {change.key} at {names.get(change.location_id)}",
                result,
                business_object="stock",
                name=f"{result['version'].display_name}: stock level of {change.key}",
            )
            self._job_exception(breach.category, str(breach), **breach.exception_kwargs)

    def _stock_push(self, changes, known):
        """Send the changes (more than one batch: through the channel's bulk
        import when it has one); a refused compare re-reads the batch's items
        and recomputes against the channel's new quantities (a few times)."""
        size = self._stock_batch_size()
        batches = list(stock_levels.batches(changes, size))
        answers = self._stock_push_levels_bulk(batches) if len(changes) > size else None
        sent = 0
        for index, batch in enumerate(batches):
            sent += self._stock_push_batch(batch, known, answers[index] if answers else None)
        return sent

    def _stock_push_batch(self, batch, known, answer=None):
        """One batch until applied; ``answer``: what the channel already made of
        its first sending (a bulk import), else it is sent now."""
        sent = 0
        for round_ in range(STALE_ROUNDS + 1):
            try:
                if round_ or answer is None:
                    answer = self._stock_push_levels(batch)
                if isinstance(answer, OutboundRefused):
                    raise answer
                stale, unapplied = stock_levels.split_push_result(answer)
            except OutboundRefused as error:
                self._job_exception(
                    "business_rule",
                    f"{self.name} refused stock levels of "
                    f"{', '.join(c.key for c in batch[:10])}"
                    f"{'...' if len(batch) > 10 else ''}: {error}",
                    business_object="stock",
                    name=f"{self.name}: stock update refused",
                )
                break
            not_applied = {id(change) for change in stale + unapplied}
            for change in batch:
                if id(change) not in not_applied:
                    known[(change.item_id, change.location_id)] = change.quantity
                    sent += 1
            if not stale:
                if not unapplied:
                    break
                batch = unapplied
                continue
            if round_ == STALE_ROUNDS:
                self._job_exception(
                    "business_rule",
                    f"{self.name} kept refusing the compare of "
                    f"{', '.join(c.key for c in stale[:10])}: its quantities keep moving",
                    business_object="stock",
                    name=f"{self.name}: stock update refused",
                )
                break
            # Only what the channel refused is read again.
            fresh = self._stock_read_levels(
                stale[0].location_id, {change.item_id for change in stale}
            )
            for change in stale:
                change.known = fresh.get(change.item_id)
                known[(change.item_id, change.location_id)] = change.known
            batch = unapplied + [c for c in stale if c.known != c.quantity]
            if not batch:
                break
        return sent
