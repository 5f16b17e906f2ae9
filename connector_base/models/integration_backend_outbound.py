"""What every outbound flow shares: the refusal a channel answers with, and
the system-of-record rules read outbound (Odoo never writes an object to the
system that owns it)."""

from odoo import models

from .integration_event import PipelineError


class OutboundRefused(PipelineError):
    """The channel refused an outbound document for a business reason."""

    def __init__(self, message, **exception_kwargs):
        exception_kwargs.setdefault("severity", "high")
        super().__init__("business_rule", message, **exception_kwargs)


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------- system of record
    def _outbound_refusal(self, business_object, quiet=False):
        """Why Odoo may not write ``business_object`` to this channel, or None.

        The system-of-record rules, read outbound: the channel's own truth is
        never overwritten; a channel that owns stock (or shipments, products)
        gets none of Odoo's. Noted in the lineage unless ``quiet``.
        """
        rule = (
            self.env["integration.sor.rule"]
            ._rules_for(business_object)
            .filtered(lambda r: not r.field_name)[:1]
        )
        if not rule or rule.owner_scope == "odoo" or not rule._owned_by(self.system_id):
            return None
        reason = f"{business_object} is owned by {rule.owner_label}: Odoo sends none to {self.name}"
        if not quiet:
            self.env["integration.lineage"].record_step(
                "filtered",
                system=self.system_id,
                direction="outbound",
                outcome="skipped",
                job_uuid=self.env.context.get("job_uuid"),
                message=reason,
            )
        return reason
