import contextvars

from odoo import api, models

# The running dry-run's journal, if any. A context variable rather than an
# ORM context key: it cannot be set through RPC and holds a mutable list.
DRY_RUN_JOURNAL = contextvars.ContextVar("integration_dry_run_journal", default=None)


class Base(models.AbstractModel):
    """Journal every create, write and unlink while a dry-run replay runs."""

    _inherit = "base"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        journal = DRY_RUN_JOURNAL.get()
        if journal is not None and not self._transient:
            for record, vals in zip(records, vals_list, strict=False):
                journal.append(
                    {
                        "operation": "create",
                        "model": self._name,
                        "id": record.id,
                        "changes": {k: (None, _short(v)) for k, v in vals.items()},
                    }
                )
        return records

    def write(self, vals):
        journal = DRY_RUN_JOURNAL.get()
        if journal is None or self._transient:
            return super().write(vals)
        before = {
            record.id: {name: _short(record[name]) for name in vals if name in record._fields}
            for record in self
        }
        result = super().write(vals)
        for record in self:
            journal.append(
                {
                    "operation": "write",
                    "model": self._name,
                    "id": record.id,
                    "changes": {
                        name: (before[record.id].get(name), _short(value))
                        for name, value in vals.items()
                    },
                }
            )
        return result

    def unlink(self):
        journal = DRY_RUN_JOURNAL.get()
        if journal is not None and not self._transient:
            for record in self:
                journal.append(
                    {"operation": "unlink", "model": self._name, "id": record.id, "changes": {}}
                )
        return super().unlink()


def _short(value):
    if isinstance(value, models.BaseModel):
        return value.display_name if len(value) == 1 else f"{value._name}{value.ids}"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
