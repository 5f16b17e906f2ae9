from odoo import fields, models
from odoo.exceptions import AccessError


class IntegrationReconciliationLine(models.Model):
    """One mismatch found by a reconciliation run, with both values."""

    _name = "integration.reconciliation.line"
    _description = "Reconciliation mismatch"
    _order = "run_id, id"

    run_id = fields.Many2one(
        "integration.reconciliation.run", required=True, ondelete="cascade", index=True
    )
    key = fields.Char(required=True, help="What was compared, e.g. a SKU or order number.")
    field_name = fields.Char("Field")
    odoo_value = fields.Char("Odoo value")
    external_value = fields.Char("External value")
    res_model = fields.Char()
    res_id = fields.Many2oneReference(model_field="res_model")
    resolution = fields.Selection(
        [
            ("heal", "To heal"),
            ("healed", "Healed"),
            ("exception", "Exception"),
            ("ignored", "Ignored"),
        ],
        required=True,
        default="heal",
    )
    exception_id = fields.Many2one("integration.exception", readonly=True)
    note = fields.Char()

    def action_heal(self):
        """UI: heal the selected lines (an Integration Manager's decision)."""
        if not self.env.user.has_group("integration_governance.group_integration_manager"):
            raise AccessError(self.env._("Only an Integration Manager can heal a mismatch."))
        self.check_access("write")
        return self._heal()

    def _heal(self):
        """Heal through the run's channel hook, all of a run's lines in one
        call (``_heal_lines``); what it did not heal is raised."""
        for run in self.run_id:
            lines = self.filtered(lambda line, run=run: line.run_id == run)
            healed = run._heal_lines(lines) & lines
            healed.write({"resolution": "healed"})
            unhealed = lines - healed
            unhealed.write({"resolution": "exception"})
            unhealed._raise_exception()
        return True

    def _raise_exception(self):
        for line in self:
            run = line.run_id
            record = (
                self.env[line.res_model].browse(line.res_id)
                if line.res_model and line.res_id
                else None
            )
            line.exception_id = self.env["integration.exception"].raise_exception(
                "data_quality",
                f"Reconciliation mismatch on {line.key} {line.field_name or ''}: "
                f"Odoo {line.odoo_value!r}, {run.system_id.name} {line.external_value!r}",
                severity="medium",
                system=run.system_id,
                business_object={
                    "stock": "stock",
                    "orders": "order",
                    "settlements": "settlement",
                    "products": "product",
                    "customers": "customer",
                }.get(run.kind),
                external_ref=line.key,
                record=record,
                trace_id=run.trace_id,
                fingerprint_parts=[
                    "recon",
                    run.kind,
                    run.system_id.code,
                    line.key,
                    line.field_name,
                ],
            )
        return True
