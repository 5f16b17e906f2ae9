from odoo import fields, models


class IntegrationTestSource(models.Model):
    """A minimal inbox record: its replay turns a payload into a partner."""

    _name = "integration.test.source"
    _inherit = ["integration.replayable.mixin"]
    _description = "Replayable test source"

    name = fields.Char()
    payload = fields.Json()
    partner_id = fields.Many2one("res.partner")

    def _integration_replay(self, exception, payload):
        if payload.get("fail"):
            raise ValueError(f"cannot import {payload.get('name')}")
        values = {"name": payload["name"], "email": payload.get("email")}
        if "credit_limit" in payload:
            values["comment"] = f"credit {payload['credit_limit']}"
        if self.partner_id:
            self.partner_id.write(values)
        else:
            self.partner_id = self.env["res.partner"].create(values)
        return self.partner_id

    def _integration_replay_payload(self):
        return self.payload
