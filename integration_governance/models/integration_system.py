from datetime import timedelta

from odoo import api, fields, models

from ..lib import sparkline
from ..lib.vocabulary import OPEN_STATES, SYSTEM_ROLES

# An open exception whose SLA deadline is this close is "at risk".
AT_RISK_HOURS = 2


class IntegrationSystem(models.Model):
    """A system on the other side of an exchange (or Odoo itself).

    Governance needs a name for "who said this" that does not depend on any
    connector: channel modules link their backends to a system.
    """

    _name = "integration.system"
    _description = "Integrated system"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Stable technical name, e.g. 'odoo' or 'shopify_eu'.")
    role = fields.Selection(SYSTEM_ROLES, required=True, default="sales_channel")
    system_type = fields.Char(
        help="Channel type shared by systems of one kind (e.g. 'shopify'); "
        "system-of-record rules can name it to cover every such system."
    )
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    description = fields.Text()
    last_success_at = fields.Datetime(
        "Last successful sync",
        compute="_compute_last_success_at",
        inverse="_inverse_last_success_at",
        help="Set by the pipeline after successful exchanges (integration.system.heartbeat).",
    )

    exception_open_count = fields.Integer(compute="_compute_dashboard")
    exception_critical_count = fields.Integer(compute="_compute_dashboard")
    exception_high_count = fields.Integer(compute="_compute_dashboard")
    exception_medium_count = fields.Integer(compute="_compute_dashboard")
    exception_low_count = fields.Integer(compute="_compute_dashboard")
    sla_breach_count = fields.Integer("SLA breaches", compute="_compute_dashboard")
    sla_at_risk_count = fields.Integer(
        "SLA at risk",
        compute="_compute_dashboard",
        help=f"Open exceptions whose SLA deadline falls within {AT_RISK_HOURS} hours.",
    )
    oldest_exception_id = fields.Many2one("integration.exception", compute="_compute_dashboard")
    oldest_exception_date = fields.Datetime(compute="_compute_dashboard")
    error_rate_24h = fields.Float("Error rate 24h (%)", compute="_compute_dashboard", digits=(5, 1))
    steps_24h = fields.Integer("Exchanges 24h", compute="_compute_dashboard")

    activity_24h = fields.Html(
        "Last 24 hours", compute="_compute_activity", sanitize=False, readonly=True
    )
    activity_7d = fields.Html(
        "Last 7 days", compute="_compute_activity", sanitize=False, readonly=True
    )

    _code_unique = models.Constraint("UNIQUE(code)", "A system's code must be unique.")

    @api.model
    def _resolve(self, system):
        """Accept a record, an id or a code; return the system record."""
        if isinstance(system, models.BaseModel):
            return system
        if isinstance(system, int):
            return self.browse(system)
        if isinstance(system, str):
            found = self.with_context(active_test=False).search([("code", "=", system)], limit=1)
            if found:
                return found
            raise ValueError(f"Unknown integration system '{system}'")
        return self.browse()

    @api.model
    def _odoo(self):
        return self.env.ref("integration_governance.system_odoo")

    def _compute_last_success_at(self):
        beats = (
            self.env["integration.system.heartbeat"].sudo().search([("system_id", "in", self.ids)])
        )
        times = {beat.system_id.id: beat.last_success_at for beat in beats}
        for system in self:
            system.last_success_at = times.get(system.id, False)

    def _inverse_last_success_at(self):
        for system in self.filtered("last_success_at"):
            self.env["integration.system.heartbeat"]._beat(
                self.env.cr, system.id, system.last_success_at
            )

    def _compute_dashboard(self):
        Exception_ = self.env["integration.exception"]
        now = fields.Datetime.now()
        open_domain = [("system_id", "in", self.ids), ("state", "in", OPEN_STATES)]
        by_severity = {
            (system.id, severity): count
            for system, severity, count in Exception_._read_group(
                open_domain, ["system_id", "severity"], ["__count"]
            )
        }
        breaches = {
            system.id: count
            for system, count in Exception_._read_group(
                open_domain + [("sla_deadline", "<", now)], ["system_id"], ["__count"]
            )
        }
        at_risk = {
            system.id: count
            for system, count in Exception_._read_group(
                open_domain + self._at_risk_domain(now), ["system_id"], ["__count"]
            )
        }
        oldest = {
            system.id: first_seen
            for system, first_seen in Exception_._read_group(
                open_domain, ["system_id"], ["first_seen:min"]
            )
        }
        since = now - timedelta(hours=24)
        steps = {}
        for system, outcome, count in self.env["integration.lineage"]._read_group(
            [("system_id", "in", self.ids), ("recorded_at", ">=", since)],
            ["system_id", "outcome"],
            ["__count"],
        ):
            steps.setdefault(system.id, {})[outcome] = count
        for system in self:
            counts = {
                sev: by_severity.get((system.id, sev), 0)
                for sev in ("critical", "high", "medium", "low")
            }
            system.exception_critical_count = counts["critical"]
            system.exception_high_count = counts["high"]
            system.exception_medium_count = counts["medium"]
            system.exception_low_count = counts["low"]
            system.exception_open_count = sum(counts.values())
            system.sla_breach_count = breaches.get(system.id, 0)
            system.sla_at_risk_count = at_risk.get(system.id, 0)
            system.oldest_exception_date = oldest.get(system.id)
            system.oldest_exception_id = (
                Exception_.search(
                    [("system_id", "=", system.id), ("state", "in", OPEN_STATES)],
                    order="first_seen asc, id asc",
                    limit=1,
                )
                if system.id in oldest
                else False
            )
            outcomes = steps.get(system.id, {})
            total = sum(outcomes.values())
            system.steps_24h = total
            system.error_rate_24h = 100.0 * outcomes.get("failure", 0) / total if total else 0.0

    def _compute_activity(self):
        """Throughput and errors per hour (24 h) and per day (7 days), drawn."""
        now = fields.Datetime.now()
        hour = now.replace(minute=0, second=0, microsecond=0)
        day = hour.replace(hour=0)
        periods = {
            "activity_24h": ("hour", [hour - timedelta(hours=h) for h in range(23, -1, -1)]),
            "activity_7d": ("day", [day - timedelta(days=d) for d in range(6, -1, -1)]),
        }
        # Buckets in UTC, as the starts above: the user's timezone would shift them.
        Lineage = self.env["integration.lineage"].sudo().with_context(tz="UTC")
        for field_name, (interval, starts) in periods.items():
            counts = {}
            for system, bucket, outcome, count in Lineage._read_group(
                [("system_id", "in", self.ids), ("recorded_at", ">=", starts[0])],
                ["system_id", f"recorded_at:{interval}", "outcome"],
                ["__count"],
            ):
                key = (system.id, bucket.replace(tzinfo=None))
                ok, err = counts.get(key, (0, 0))
                if outcome == "failure":
                    err += count
                else:
                    ok += count
                counts[key] = (ok, err)
            fmt = "%H:00" if interval == "hour" else "%a %d"
            for system in self:
                buckets = [
                    (start.strftime(fmt), *counts.get((system.id, start), (0, 0)))
                    for start in starts
                ]
                system[field_name] = sparkline.bars(
                    buckets, label=self.env._("Throughput and errors")
                )

    def action_open_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "integration_governance.action_integration_exception"
        )
        action["domain"] = [("system_id", "=", self.id)]
        action["context"] = {"search_default_open": 1}
        return action

    def action_open_breaches(self):
        action = self.action_open_exceptions()
        action["context"] = {"search_default_open": 1, "search_default_sla_breached": 1}
        return action

    @api.model
    def _at_risk_domain(self, now):
        return [
            ("sla_deadline", ">=", now),
            ("sla_deadline", "<", now + timedelta(hours=AT_RISK_HOURS)),
        ]

    def action_open_at_risk(self):
        """Open exceptions about to breach their SLA, most urgent first."""
        action = self.action_open_exceptions()
        action["domain"] += self._at_risk_domain(fields.Datetime.now())
        action["name"] = self.env._("%s: SLA at risk", self.name)
        return action

    def action_open_activity_24h(self):
        return self._open_activity(hours=24, interval="hour")

    def action_open_activity_7d(self):
        return self._open_activity(hours=24 * 7, interval="day")

    def _open_activity(self, hours, interval):
        """This system's steps over a period as a graph: throughput stacked
        by outcome (failures are the errors), per hour or per day."""
        self.ensure_one()
        self.env["integration.lineage"].check_access("read")
        since = fields.Datetime.now() - timedelta(hours=hours)
        graph = self.env.ref("integration_governance.integration_lineage_view_graph_activity")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "%(system)s: last %(period)s",
                system=self.name,
                period=(self.env._("24 hours") if hours <= 24 else self.env._("7 days")),
            ),
            "res_model": "integration.lineage",
            "view_mode": "graph,list,pivot",
            "views": [(graph.id, "graph"), (False, "list"), (False, "pivot")],
            "domain": [("system_id", "=", self.id), ("recorded_at", ">=", since)],
            "context": {
                "graph_groupbys": [f"recorded_at:{interval}", "outcome"],
                "graph_mode": "bar",
                "graph_stacked": True,
            },
        }
