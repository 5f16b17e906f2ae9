import json

from odoo import api, fields, models


class IntegrationBinding(models.Model):
    """Links an Odoo record to its id on one backend; one table for every channel."""

    _name = "integration.binding"
    _description = "Integration binding"
    _order = "id desc"

    # No index of their own: the unique key leads with the backend and the
    # record index with the model, and every binding a sync or an import
    # writes would update three more.
    backend_id = fields.Many2one("integration.backend", required=True, ondelete="cascade")
    res_model = fields.Char(required=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True)
    external_id = fields.Char(required=True)
    external_updated_at = fields.Datetime()
    synced_at = fields.Datetime(default=fields.Datetime.now)
    extra = fields.Json(help="Channel-specific extras (e.g. inventory item id).")
    stock_dirty = fields.Boolean(
        index="btree_not_null",
        help="The product's Odoo stock changed since its level was last sent to the channel.",
    )
    stock_mark_ids = fields.One2many("integration.stock.mark", "binding_id")

    _backend_model_external_unique = models.Constraint(
        "UNIQUE(backend_id, res_model, external_id)",
        "An external id is bound once per backend and model.",
    )
    _record_idx = models.Index("(res_model, res_id)")

    @api.model
    def _find(self, backend, model, external_id):
        binding = self.sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", model),
                ("external_id", "=", str(external_id)),
            ],
            limit=1,
        )
        return binding

    @api.model
    def _record(self, backend, model, external_id):
        """The Odoo record bound to ``external_id`` (empty when unbound or gone)."""
        binding = self._find(backend, model, external_id)
        return self.env[model].browse(binding.res_id).exists() if binding else self.env[model]

    @api.model
    def _bind(self, backend, record, external_id, external_updated_at=None, extra=None, new=False):
        """Create or refresh the binding of ``record`` to ``external_id``
        (``new``: the caller just looked and found none).

        Insert-or-get under the unique key, never "search then create": when
        another job bound the same external id first, PostgreSQL makes this
        transaction retry (a serialization failure, which queue_job and the
        pipeline retry), and the retry finds that binding.
        """
        binding = self.browse() if new else self._find(backend, record._name, external_id)
        values = {
            "res_id": record.id,
            "synced_at": fields.Datetime.now(),
            "external_updated_at": external_updated_at or binding.external_updated_at,
        }
        if extra is not None:
            values["extra"] = extra
        if binding:
            binding.write(values)
            return binding
        binding_id = self._insert_or_get(backend, record._name, str(external_id), values)
        binding = self.sudo().browse(binding_id)
        if binding.res_id != record.id:
            binding.write(values)
        if hasattr(record, "_integration_channel_origin"):
            record._integration_channel_origin(binding)
        return binding

    @api.model
    def _insert_or_get(self, backend, model, external_id, values):
        """One statement: the new binding's id, or the one already there."""
        self.env.cr.execute(
            """
            INSERT INTO integration_binding
                (backend_id, res_model, external_id, res_id, synced_at, external_updated_at,
                 extra, create_uid, write_uid, create_date, write_date)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s,
                    now() at time zone 'UTC', now() at time zone 'UTC')
            ON CONFLICT (backend_id, res_model, external_id) DO NOTHING
            RETURNING id
            """,
            [
                backend.id,
                model,
                external_id,
                values["res_id"],
                values["synced_at"],
                values.get("external_updated_at") or None,
                json.dumps(values["extra"]) if values.get("extra") is not None else None,
                self.env.uid,
                self.env.uid,
            ],
        )
        row = self.env.cr.fetchone()
        if row:
            return row[0]
        return self._find(backend, model, external_id).id

    @api.model
    def _external_id(self, backend, record):
        binding = self.sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
            ],
            limit=1,
        )
        return binding.external_id or None
