from markupsafe import Markup, escape

from odoo import api, fields, models

from ..lib.vocabulary import BUSINESS_OBJECTS

CELL_STYLES = {
    "owner": "text-bg-success",
    "ignore": "text-bg-light",
    "exception": "text-bg-danger",
    "fill_empty": "text-bg-warning",
}


class IntegrationOwnershipMatrix(models.TransientModel):
    """Ownership at a glance: business objects (and their fields) against
    systems; each cell says who owns it and what a non-owner's write gets."""

    _name = "integration.ownership.matrix"
    _description = "Ownership matrix"

    matrix = fields.Html(compute="_compute_matrix", sanitize=False, readonly=True)
    can_edit = fields.Boolean(compute="_compute_matrix")

    def _compute_display_name(self):
        for matrix in self:
            matrix.display_name = self.env._("Ownership matrix")

    @api.model
    def _cells(self):
        """{(business object, field or ''): {"rule", "cells": {system id: key}}}
        where key is ``owner`` or the non-owner's policy."""
        systems = self.env["integration.system"].search([])
        rules = self.env["integration.sor.rule"].search([])
        rows = {}
        for rule in rules:
            key = (rule.business_object, rule.field_name or "")
            if key in rows and not rule.company_id:
                continue  # a company's own rule wins
            rows[key] = {
                "rule": rule,
                "cells": {s.id: "owner" if rule._owned_by(s) else rule.policy for s in systems},
            }
        return systems, rows

    @api.depends_context("uid")
    def _compute_matrix(self):
        can_edit = self.env.user.has_group("integration_governance.group_integration_manager")
        systems, rows = self._cells()
        policies = dict(self.env["integration.sor.rule"]._fields["policy"].selection)
        labels = {
            "owner": self.env._("Owner"),
            "ignore": self.env._("Ignored"),
            "exception": self.env._("Exception"),
            "fill_empty": self.env._("Fill empty"),
        }
        html = [
            Markup(
                "<table class='table table-sm table-bordered align-middle o_ownership_matrix'>"
                "<thead><tr><th>Business object</th><th>Owner</th>"
            )
        ]
        html += [Markup("<th class='text-center'>%s</th>") % s.name for s in systems]
        html.append(Markup("</tr></thead>"))
        for code, label in BUSINESS_OBJECTS:
            keys = sorted(k for k in rows if k[0] == code)
            if not keys:
                continue
            object_row = rows.get((code, ""))
            field_keys = [k for k in keys if k[1]]
            html.append(Markup("<tbody>"))
            html.append(
                self._row(
                    label, object_row, systems, labels, policies, bold=True, fields=field_keys
                )
            )
            for key in field_keys:
                html.append(self._row(f"↳ {key[1]}", rows[key], systems, labels, policies))
            html.append(Markup("</tbody>"))
        html.append(Markup("</table>"))
        for matrix in self:
            matrix.can_edit = can_edit
            matrix.matrix = Markup("").join(html)

    def _row(self, label, row, systems, labels, policies, bold=False, fields=()):
        title = escape(label)
        if fields:
            title = Markup("%s <small class='text-muted'>(%s)</small>") % (
                label,
                self.env._("%s field rule(s)", len(fields)),
            )
        cells = []
        for system in systems:
            key = row["cells"].get(system.id) if row else None
            if not key:
                cells.append(Markup("<td class='text-center text-muted'>–</td>"))
                continue
            cells.append(
                Markup("<td class='text-center'><span class='badge %s' title='%s'>%s</span></td>")
                % (CELL_STYLES[key], policies.get(key, labels[key]), labels[key])
            )
        owner = row["rule"].owner_label if row else ""
        return Markup("<tr class='%s'><td>%s</td><td>%s</td>%s</tr>") % (
            "fw-bold" if bold else "small",
            title,
            owner,
            Markup("").join(cells),
        )

    def action_edit_rules(self):
        """The rules behind the matrix, editable by an Integration Manager."""
        self.env["integration.sor.rule"].check_access("write")
        return self.env["ir.actions.act_window"]._for_xml_id(
            "integration_governance.action_integration_sor_rule"
        )
