from odoo import api, fields, models

# The steps where a transaction lands on (or leaves from) a business record:
# only these give a trace its subject. A reconciliation run or a
# system-of-record filter touches records without being about them.
SUBJECT_STEPS = ("imported", "exported")


class IntegrationTrace(models.Model):
    """One business transaction (an order, a shipment, a return): its subject
    and the traces that joined it.

    Lineage rows, events, exceptions and messages carry a trace id. Every
    trace id gets one row here (insert-or-get on a unique key). A trace
    whose transaction lands on a record that already is another trace's
    subject joins that trace's journey (``journey_id``): a 3PL's confirmation
    of an order's shipment, a refund of a channel order, a second channel's
    view of the same order. The journey is the root trace and its members.
    """

    _name = "integration.trace"
    _description = "Business transaction trace"
    _order = "id desc"
    _rec_name = "name"

    trace_id = fields.Char(required=True, readonly=True)
    journey_id = fields.Many2one(
        "integration.trace",
        "Joined journey",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The trace whose business transaction this one is part of.",
    )
    last_step_at = fields.Datetime("Last step", readonly=True)
    member_ids = fields.One2many("integration.trace", "journey_id", "Joined traces")
    res_model = fields.Char("Subject model", readonly=True)
    res_id = fields.Many2oneReference("Subject", model_field="res_model", readonly=True)
    name = fields.Char(compute="_compute_subject")
    partner_id = fields.Many2one("res.partner", "Customer", compute="_compute_subject")
    amount_total = fields.Monetary("Amount", compute="_compute_subject")
    currency_id = fields.Many2one("res.currency", compute="_compute_subject")
    references = fields.Char("References", compute="_compute_references")

    _trace_unique = models.Constraint("UNIQUE(trace_id)", "A trace id is recorded once.")
    # One journey per business record: two traces racing to claim the same
    # subject cannot both win (the loser's job retries and joins).
    _subject_unique = models.UniqueIndex(
        "(res_model, res_id) WHERE journey_id IS NULL AND res_model IS NOT NULL"
    )

    # ------------------------------------------------------------- subject
    def _subject_record(self):
        self.ensure_one()
        if not self.res_model or self.res_model not in self.env or not self.res_id:
            return None
        record = self.env[self.res_model].sudo().browse(self.res_id).exists()
        return record or None

    @api.depends("res_model", "res_id", "trace_id")
    def _compute_subject(self):
        for trace in self:
            record = trace._subject_record()
            trace.name = record.display_name if record else trace.trace_id
            trace.partner_id = record.partner_id if record and "partner_id" in record else False
            has_amount = record and "amount_total" in record and "currency_id" in record
            trace.amount_total = record.amount_total if has_amount else 0.0
            trace.currency_id = record.currency_id if has_amount else self.env.company.currency_id

    def _compute_references(self):
        """The references every system knows the transaction by."""
        Lineage = self.env["integration.lineage"].sudo()
        for trace in self:
            rows = Lineage.search_read(
                [("trace_id", "in", trace._journey_trace_ids()), ("external_ref", "!=", False)],
                ["system_id", "external_ref"],
                order="id",
            )
            seen = []
            for row in rows:
                label = f"{row['system_id'][1] if row['system_id'] else '?'}: {row['external_ref']}"
                if label not in seen:
                    seen.append(label)
            trace.references = ", ".join(seen)

    def action_open_journey(self):
        """The journey view of this trace's business transaction."""
        self.ensure_one()
        self.check_access("read")
        return self.env["integration.trace.finder"].open_for(trace_id=self._root().trace_id)

    # ------------------------------------------------------------ journeys
    def _root(self):
        return self.journey_id or self

    def _journey_trace_ids(self):
        """Every trace id of this trace's journey, the root's first."""
        root = self._root()
        return [root.trace_id, *root.member_ids.mapped("trace_id")]

    @api.private
    @api.model
    def journeys_of(self, trace_ids):
        """The journeys (root traces) the given trace ids belong to, in order."""
        traces = self.sudo().search([("trace_id", "in", list(trace_ids))])
        by_id = {t.trace_id: t for t in traces}
        roots = self.browse()
        for trace_id in trace_ids:
            trace = by_id.get(trace_id)
            if trace and trace._root() not in roots:
                roots |= trace._root()
        return roots

    @api.private
    @api.model
    def journey_of_record(self, record):
        """The journey whose subject is ``record`` (or its subject), if any."""
        subject = self._subject_of(record)
        if not subject:
            return self.browse()
        return self.sudo().search(
            [
                ("res_model", "=", subject._name),
                ("res_id", "=", subject.id),
                ("journey_id", "=", False),
            ],
            limit=1,
        )

    @api.model
    def _has_subject(self, model_name):
        """Whether records of this model can name a trace's subject (asked
        before reading the record: a product's level steps need no read)."""
        return hasattr(self.env[model_name], "_integration_trace_subject")

    @api.model
    def _subject_of(self, record):
        """The business record a step on ``record`` is about (an order for its
        delivery or invoice); None for records that are no subject."""
        if not record or not hasattr(record, "_integration_trace_subject"):
            return None
        return record._integration_trace_subject()

    # -------------------------------------------------------------- intake
    @api.model
    def _register_steps(self, vals_list):
        """Insert-or-get the traces of new lineage rows, give each its subject
        or join the journey of the record it landed on. Called by the
        lineage service only (under its per-trace lock)."""
        trace_ids = sorted({v["trace_id"] for v in vals_list})
        # Insert-or-touch in one statement. Touching the row is what keeps a
        # trace's hash chain whole under concurrent workers: a transaction
        # that appended to the same trace after this one's snapshot makes
        # this one fail with a serialization error (REPEATABLE READ), so its
        # job retries and chains onto the real tail instead of forking it.
        self.env.cr.execute(
            """
            INSERT INTO integration_trace
                (trace_id, last_step_at, create_uid, write_uid, create_date, write_date)
            SELECT t, now() at time zone 'UTC', %s, %s,
                   now() at time zone 'UTC', now() at time zone 'UTC'
              FROM unnest(%s::varchar[]) AS t
            ON CONFLICT (trace_id) DO UPDATE SET last_step_at = EXCLUDED.last_step_at
            """,
            [self.env.uid, self.env.uid, trace_ids],
        )
        self.invalidate_model(["last_step_at"])
        landing = {}
        for vals in vals_list:
            if vals.get("step") in SUBJECT_STEPS and vals.get("res_model") and vals.get("res_id"):
                landing.setdefault(vals["trace_id"], (vals["res_model"], vals["res_id"]))
        if not landing:
            return
        traces = self.sudo().search([("trace_id", "in", list(landing))])
        for trace in traces.filtered(lambda t: not t.res_model and not t.journey_id):
            res_model, res_id = landing[trace.trace_id]
            if res_model not in self.env or not self._has_subject(res_model):
                continue
            subject = self._subject_of(self.env[res_model].sudo().browse(res_id).exists())
            if not subject:
                continue
            owner = self.journey_of_record(subject)
            if owner and owner != trace:
                trace.journey_id = owner
                # Traces that had joined this one follow it into the journey.
                trace.member_ids.write({"journey_id": owner.id})
            else:
                trace.write({"res_model": subject._name, "res_id": subject.id})
