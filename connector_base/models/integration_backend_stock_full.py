"""The full stock sync: every bound product's level, as the admin's "Sync
stock" button or a replay asks for it.

It compares Odoo's targets with the levels Odoo knows of the channel (what it
set there, what the channel's level webhooks told, what it read) and reads
first only a location where more than ``FULL_READ_ABOVE`` of its levels are
unknown (a first sync), in one read of the location; the admin's button reads
every level first. A known level that went stale is refused by the
channel's compare-and-set and only that item is read again; drift no webhook
told is the stock reconciliation's to find, which reads every level.
"""

from odoo import fields, models
from odoo.exceptions import UserError

from ..lib import stock_levels


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    stock_supported = fields.Boolean(
        compute="_compute_stock_supported",
        help="The channel takes stock levels from Odoo.",
    )

    def _compute_stock_supported(self):
        for backend in self:
            try:
                supported = bool(backend.channel_type) and backend._stock_supported()
            except NotImplementedError:
                supported = False  # a scaffolded channel whose hooks are not written yet
            backend.stock_supported = supported

    def action_sync_stock(self):
        """Send every bound product's level now, as a job: the first sync once
        the catalogue is matched and the locations mapped, or whenever the
        channel should hold Odoo's stock, drift no webhook told included. It
        reads every level first (one bulk read where the channel has one);
        the other full syncs compare with the levels Odoo knows."""
        self._check_integration_manager()
        queued, off = [], []
        for backend in self:
            if backend.state != "active" or not backend.stock_supported:
                raise UserError(
                    self.env._("%s takes no stock levels now (it must be active).", backend.name)
                )
            job = backend._flow_job(
                "stock_out",
                "_export_stock",
                self.env._("%s: full stock sync", backend.name),
                what="_export_stock_full",  # not the coalesced export's key
                full=True,
                read_all=True,
            )
            (queued if job else off).append(backend.name)
        message = self.env._("Full stock sync queued: %s.", ", ".join(queued)) if queued else ""
        if off:
            message += " " + self.env._("The stock flow is off for %s.", ", ".join(off))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "success" if queued else "warning", "message": message.strip()},
        }

    def _stock_read_unknown_locations(self, read_all=False):
        """{channel location: {item: quantity}} of the locations a full sync
        reads whole: every one with ``read_all``, else those
        ``_stock_full_read_locations`` names (more than
        ``stock_levels.FULL_READ_ABOVE`` levels unknown: a first sync).
        Elsewhere the levels Odoo knows are the compares."""
        domain = [("backend_id", "=", self.id), ("res_model", "=", "product.product")]
        bindings = self.env["integration.binding"].sudo().search(domain)
        # Asked again at each look at a bulk read: the item ids once.
        items = {id_: item for id_, item in self._stock_item_map(bindings).items() if item}
        if not items:
            return None
        if read_all:
            return self._stock_read_everywhere()
        known = self._stock_known_levels(bindings.browse(list(items)), items)
        return {
            location_id: self._stock_read_levels(location_id)
            for location_id in self._stock_full_read_locations(items, known)
        }

    def _stock_full_read_locations(self, items, known):
        """The channel locations where more than ``stock_levels.FULL_READ_ABOVE``
        of the ``items``' levels ({binding id: item id}) are not ``known``
        ({(item, location): quantity})."""
        bound = set(items.values())
        return [
            location["id"]
            for location in self._stock_locations()
            if sum((item, location["id"]) not in known for item in bound)
            > stock_levels.FULL_READ_ABOVE
        ]
