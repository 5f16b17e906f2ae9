import logging
import math
import secrets
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.integration_governance.lib import payload as payload_lib
from odoo.exceptions import AccessError, UserError

from ..lib import retry as retry_lib
from ..lib.http_client import HttpClient

_logger = logging.getLogger(__name__)
# When this process last stored a delivery, per (database, backend): the
# inbox drain batches only under steady traffic (_ensure_drain_job).
_ARRIVALS = {}
# A pacing wait up to this long is taken in place; a longer one inside a job
# retries the job after it instead of holding a worker asleep.
PACE_IN_PLACE_SECONDS = 1.0
# Until when a drain job is known to be pending with a later eta, per
# (database, backend): deliveries meanwhile need not look for it.
_DRAIN_PENDING_UNTIL = {}

ENVIRONMENTS = [("production", "Production"), ("staging", "Staging"), ("sandbox", "Sandbox")]
STATES = [
    ("draft", "Draft"),
    ("active", "Active"),
    ("paused", "Paused"),
    ("disabled", "Disabled"),
]


class IntegrationBackend(models.Model):
    """One connection to one channel account (a shop, a seller account, a 3PL).

    Like ``payment.provider``: a channel module adds its ``channel_type`` with
    ``selection_add`` and overrides the ``_hook`` methods below, each guarded
    by ``if self.channel_type != "mine": return super()...``.
    """

    _name = "integration.backend"
    _description = "Integration backend"
    _inherit = ["mail.thread"]
    _order = "sequence, name"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(required=True, help="Technical name, used for its job channel and system.")
    sequence = fields.Integer(default=10)
    channel_type = fields.Selection([], required=True, string="Channel")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    environment = fields.Selection(ENVIRONMENTS, default="sandbox", required=True)
    state = fields.Selection(STATES, default="draft", required=True, tracking=True)
    api_url = fields.Char("API base URL")
    system_id = fields.Many2one("integration.system", readonly=True, ondelete="restrict")
    webhook_token = fields.Char(
        copy=False,
        readonly=True,
        groups="integration_governance.group_integration_manager",
        default=lambda self: secrets.token_urlsafe(32),
    )
    webhook_url = fields.Char(
        compute="_compute_webhook_url",
        groups="integration_governance.group_integration_manager",
        help="Give this URL to the channel; it carries the backend's secret token.",
    )
    max_payload_kb = fields.Integer("Webhook size limit (KB)", default=1024)
    inbox_batch_window = fields.Float(
        "Inbox batch window (s)",
        default=1.0,
        help="Under steady traffic the inbox drain waits this long, so that waiting "
        "events are imported in micro-batches; a lone event (nothing else arrived "
        "within the window) is drained at once. 0 drains every event at once.",
    )
    job_channel = fields.Char(compute="_compute_job_channel")
    channel_capacity = fields.Integer(
        "Job capacity",
        default=1,
        help="Parallel jobs for this backend; put it in [queue_job] channels of the "
        "server configuration, e.g. root.integration.<code>:<capacity>.",
    )
    flow_ids = fields.One2many("integration.backend.flow", "backend_id", "Flows")
    credential_ids = fields.One2many("integration.credential", "backend_id", "Secrets")
    timeout_connect = fields.Float("Connect timeout (s)", default=3.05)
    timeout_read = fields.Float("Read timeout (s)", default=20.0)
    circuit_threshold = fields.Integer("Circuit opens after failures", default=5)
    circuit_reset_seconds = fields.Integer("Circuit probes after (s)", default=60)
    retry_base_seconds = fields.Float("Retry base delay (s)", default=5.0)
    retry_cap_seconds = fields.Float("Retry max delay (s)", default=3600.0)
    backlog_threshold = fields.Integer("Degraded above backlog", default=500)
    rate_capacity = fields.Float("Rate bucket size", default=40.0)
    rate_per_second = fields.Float("Rate leak per second", default=2.0)
    default_partner_id = fields.Many2one(
        "res.partner", help="Customer of orders that arrive without one (e.g. POS sales)."
    )
    team_id = fields.Many2one("crm.team", "Sales team")
    shipping_product_id = fields.Many2one(
        "product.product",
        default=lambda self: self.env.ref(
            "connector_base.product_channel_shipping", raise_if_not_found=False
        ),
        help="Product of the delivery line of imported orders.",
    )
    auto_invoice = fields.Boolean(
        "Invoice paid orders",
        help="Invoice and register the payment of orders paid on the channel.",
    )
    metrics_token = fields.Char(
        groups="integration_governance.group_integration_manager", copy=False
    )

    circuit_state = fields.Selection(
        [("closed", "Closed"), ("open", "Open"), ("half_open", "Half open")],
        compute="_compute_health",
    )
    backlog = fields.Integer(compute="_compute_health")
    error_rate_24h = fields.Float("Error rate 24h (%)", compute="_compute_health")
    # Health over time: the backend's system's throughput and errors, drawn.
    health_24h = fields.Html("Last 24 hours", related="system_id.activity_24h")
    health_7d = fields.Html("Last 7 days", related="system_id.activity_7d")
    degraded = fields.Boolean(compute="_compute_health")

    _code_unique = models.Constraint("UNIQUE(code)", "A backend's code must be unique.")
    _webhook_token_unique = models.Constraint("UNIQUE(webhook_token)", "Webhook tokens are unique.")

    # ------------------------------------------------------------ computes
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for backend in self:
            token = backend.sudo().webhook_token
            backend.webhook_url = f"{base}/integration/webhook/{token}" if token else False

    def _compute_job_channel(self):
        for backend in self:
            backend.job_channel = f"root.integration.{backend.code or 'backend'}"

    def _compute_health(self):
        Event = self.env["integration.event"].sudo()
        since = fields.Datetime.now() - timedelta(hours=24)
        backlog = dict(
            Event._read_group(
                [("backend_id", "in", self.ids), ("state", "in", ("received", "processing"))],
                ["backend_id"],
                ["__count"],
            )
        )
        stats = {}
        for backend, state, count in Event._read_group(
            [("backend_id", "in", self.ids), ("received_at", ">=", since)],
            ["backend_id", "state"],
            ["__count"],
        ):
            stats.setdefault(backend.id, {})[state] = count
        Circuit = self.env["integration.circuit"].sudo()
        for backend in self:
            circuits = Circuit.search([("backend_id", "=", backend.id)])
            states = set(circuits.mapped("state"))
            backend.circuit_state = (
                "open" if "open" in states else "half_open" if "half_open" in states else "closed"
            )
            backend.backlog = backlog.get(backend, 0)
            counts = stats.get(backend.id, {})
            total = sum(counts.values())
            backend.error_rate_24h = 100.0 * counts.get("failed", 0) / total if total else 0.0
            backend.degraded = (
                backend.circuit_state == "open" or backend.backlog > backend.backlog_threshold
            )

    def action_open_health_24h(self):
        """What went wrong when: the last 24 hours as a graph (Integration User)."""
        self.ensure_one()
        return self.system_id.action_open_activity_24h()

    def action_open_health_7d(self):
        self.ensure_one()
        return self.system_id.action_open_activity_7d()

    # ---------------------------------------------------------------- CRUD
    @api.model_create_multi
    def create(self, vals_list):
        backends = super().create(vals_list)
        for backend in backends:
            backend._ensure_system()
            backend._ensure_flows()
            backend._ensure_job_channel()
        return backends

    def _ensure_system(self):
        """Give governance a name for this backend (one system per backend)."""
        for backend in self.filtered(lambda b: not b.system_id):
            backend.system_id = (
                self.env["integration.system"]
                .sudo()
                .create(
                    {
                        "name": backend.name,
                        "code": f"backend_{backend.code}",
                        "role": backend._system_role(),
                        "system_type": backend.channel_type,
                        "company_id": backend.company_id.id,
                    }
                )
            )

    def _ensure_job_channel(self):
        """A queue_job channel per backend, under root.integration."""
        Channel = self.env["queue.job.channel"].sudo()
        parent = self.env.ref("connector_base.channel_integration")
        for backend in self:
            if not Channel.search([("complete_name", "=", backend.job_channel)], limit=1):
                Channel.create({"name": backend.code, "parent_id": parent.id})

    def _ensure_flows(self):
        Flow = self.env["integration.backend.flow"].sudo()
        for backend in self:
            existing = set(backend.flow_ids.mapped("flow"))
            for flow, priority in backend._default_flows():
                if flow not in existing:
                    Flow.create({"backend_id": backend.id, "flow": flow, "priority": priority})

    # --------------------------------------------------------------- hooks
    def _system_role(self):
        """Hook: the governance role of this channel's system."""
        return "sales_channel"

    def _default_flows(self):
        """Hook: [(flow, priority)] this channel runs; lower priority runs first."""
        return [("orders_in", 10), ("stock_out", 20), ("catalog", 30), ("reconciliation", 90)]

    @api.model
    def _webhook_fields(self):
        """The backend's columns the webhook route's hooks read
        (``_webhook_verify``, ``_webhook_check``, ``_webhook_describe``,
        ``_event_trace_id``, the drain): the route reads them with the backend
        in one statement, so a delivery costs no ORM fetch of the row. A
        channel adds the stored columns its own hooks read, whatever the
        backend's channel (one SELECT serves them all). Optional: a column
        not listed is still read, by a fetch."""
        return [
            "state",
            "max_payload_kb",
            "channel_type",
            "company_id",
            "code",
            "system_id",
            "inbox_batch_window",
        ]

    @api.model
    def _webhook_columns(self):
        """The columns the webhook route reads with the backend: its own
        (state, size limit, system) and ``_webhook_fields``'s, stored plain
        ones only: a computed, related, translated or unknown name a channel listed by
        mistake is read by the ORM as before, and never breaks the route."""
        names = ["state", "max_payload_kb", "system_id", *self._webhook_fields()]
        return [
            name
            for name in dict.fromkeys(names)
            if (field := self._fields.get(name))
            and field.store
            and field.column_type
            and not field.translate
            # The route caches these; a recomputed value never goes through
            # write(), which is what drops the cache.
            and not field.compute
            and not field.related
        ]

    def _webhook_verify(self, headers, body):
        """Hook: True when ``body`` is signed by the channel (constant time)."""
        raise NotImplementedError(f"{self.channel_type} backends do not take webhooks")

    def _webhook_describe(self, headers, payload):
        """Hook: ``{"topic", "external_id", "dedup_key", "updated_at"}`` of a delivery."""
        raise NotImplementedError(f"{self.channel_type} backends do not take webhooks")

    def _webhook_check(self, headers, payload):
        """Hook: why an authentic delivery is not for this backend, or None.

        The channel's identity headers (its account, its topic) are compared
        with the backend and its subscriptions; a delivery that fails is
        refused with 400 and nothing is stored.
        """
        return None

    def _channel_admin_url(self, binding):
        """Hook: the address of a bound record (an order) in the channel's own
        admin, for a person to open; None when the channel has none."""
        return None

    def _event_trace_id(self, description):
        """Hook: the trace id of a delivery's business transaction, derived
        from (system, object, external id) so that a webhook, another topic
        and a catch-up poll of the same order share one trace. Default
        object: the topic's family (``orders`` of ``orders/updated``)."""
        topic = description.get("topic") or ""
        return payload_lib.business_trace_id(
            self.system_id.code or self.code, topic.split("/")[0], description.get("external_id")
        )

    def _event_contract_code(self, event):
        """Hook: the channel contract an event's payload must meet (None: no check)."""
        return None

    def _event_business_object(self, event):
        """Hook: the governance business object of an event's topic."""
        return "order"

    def _event_flow(self, topic):
        """Hook: the flow an inbound event of this topic belongs to. Its job
        takes that flow's priority, so at peak a channel's orders go before
        the stock levels it echoes back (default: every topic is an order)."""
        return "orders_in"

    def _event_priority(self, topic):
        """Hook: the job priority of this topic's events when it is not their
        flow's, for a signal that only lets a waiting job go on (a channel's
        "your bulk operation ended"): it must not queue behind an orders
        backlog. None: the flow's priority."""
        return None

    def _map_event(self, event, payload):
        """Hook: turn a channel payload into ``(document type, canonical document)``.

        Return ``(None, None)`` for a topic that needs no import.
        """
        raise NotImplementedError(f"{self.channel_type} backends map no events")

    def _auth_headers(self):
        """Hook: headers that authenticate an API call."""
        return {}

    def _after_import(self, event, doc_type, record):
        """Hook: tell the channel what became of an event (e.g. acknowledge an order)."""
        return None

    # ----------------------------------------------------------- services
    def _get_secret(self, key):
        self.ensure_one()
        return self.env["integration.credential"].sudo()._read_secret(self, key)

    def _client(self, auth=True):
        """An HTTP client with this backend's base URL, timeouts, auth headers,
        throttle, breaker and log: every channel's calls go through it.

        ``auth=False`` is for the call that obtains the credentials (a token
        grant): no auth headers, no throttle step, only the log.
        """
        self.ensure_one()
        backend = self.sudo()
        if not auth:
            return HttpClient(
                backend._api_base_url(),
                timeout=(backend.timeout_connect, backend.timeout_read),
                after_call=lambda record: self.env["integration.message"]._log_call(
                    backend, record
                ),
            )
        return HttpClient(
            backend._api_base_url(),
            timeout=(backend.timeout_connect, backend.timeout_read),
            headers=backend._auth_headers(),
            before_call=lambda endpoint: backend._before_call(endpoint),
            after_call=lambda record: backend._after_call(record),
        )

    def _api_base_url(self):
        """Hook: the root of the channel's API (default: the backend's API URL)."""
        return (self.api_url or "").rstrip("/")

    def _check_can_call(self, endpoint):
        """Hook: raise (e.g. ``AuthenticationError``) when no call may be sent
        until a person acts (credentials refused, app uninstalled)."""
        return None

    def _call_cost(self, endpoint):
        """Hook: what a call takes from the rate bucket (default one token;
        Shopify: the query cost its last answer reported)."""
        return 1.0

    def _before_call(self, endpoint):
        """Every call: may it go, is its circuit closed, and wait for the
        shared bucket (a pacing wait of seconds, capped)."""
        self._check_can_call(endpoint)
        self.env["integration.circuit"]._check(self, endpoint)
        cost = min(self._call_cost(endpoint), self.rate_capacity)
        wait = self.env["integration.throttle"]._acquire(self, cost)
        self._pace(wait)

    def _pace(self, wait, what="the shared rate bucket"):
        """Wait ``wait`` seconds before a call: a short pacing pause is taken
        in place; a longer one inside a job never holds its worker asleep: the
        job is retried after it (a ``ThrottledError`` the job decorator turns
        into ``RetryableJobError(seconds=…)``); outside a job it is capped."""
        if wait <= 0:
            return
        if wait > PACE_IN_PLACE_SECONDS and self.env.context.get("job_uuid"):
            raise retry_lib.ThrottledError(
                f"{self.name}: {what} asks for {wait:.1f}s", retry_after=wait
            )
        time.sleep(min(wait, PACE_IN_PLACE_SECONDS if self.env.context.get("job_uuid") else 20.0))

    def _after_call(self, record):
        ok = record.error is None and record.status is not None and record.status < 400
        failure = record.status is None or record.status >= 500 or record.status == 429
        self.env["integration.circuit"]._record(self, record.endpoint, ok=ok, failure=failure)
        usage = self._rate_limit_usage(record.response_headers or {})
        if usage:
            self.env["integration.throttle"]._observe(self, *usage)
        code = self.env.context.get("integration_contract")
        version = (
            self.env["integration.contract.version"].browse(
                self.env["integration.contract"]._active_version_id(code)
            )
            if code
            else None
        )
        self.env["integration.message"]._log_call(self, record, contract_version=version)

    def _rate_limit_usage(self, headers):
        """Hook: ``(used, capacity)`` the channel reports in a response, if any.

        The default reads the IETF ``RateLimit-Limit`` / ``RateLimit-Remaining``
        headers; channels with their own signal (call-limit or cost headers)
        override it.
        """
        headers = {key.lower(): value for key, value in headers.items()}
        try:
            limit = int(headers["ratelimit-limit"].split(",")[0])
            remaining = int(headers["ratelimit-remaining"].split(",")[0])
        except (KeyError, ValueError):
            return None
        return (max(limit - remaining, 0), limit) if limit > 0 else None

    def _retry_delay(self, attempt, retry_after=None):
        return retry_lib.retry_delay(
            attempt, retry_after, base=self.retry_base_seconds, cap=self.retry_cap_seconds
        )

    def _mark_flow_success(self, flow):
        """Note the flow's and the system's last success, at most once a
        minute (hot path).

        In its own short transaction that skips rows another job holds: two
        jobs finishing at once must not fail on a serialization conflict over
        a timestamp. The system's time goes to its heartbeat row, never to the
        system row every lineage row references (see
        integration.system.heartbeat), once this transaction has committed.
        """
        now = fields.Datetime.now()
        flows = self.flow_ids.filtered(
            lambda f: (
                f.flow == flow
                and (not f.last_success_at or (now - f.last_success_at).total_seconds() >= 60)
            )
        )
        if not flows:
            return
        with self.env.registry.cursor() as cr:
            cr.execute(
                "UPDATE integration_backend_flow SET last_success_at = %s WHERE id IN "
                "(SELECT id FROM integration_backend_flow WHERE id = ANY(%s) "
                "FOR UPDATE SKIP LOCKED)",
                [now, flows.ids],
            )
        # What was committed apart, not this transaction's older snapshot: the
        # other events of a batch must not each write the time again.
        for policy in flows:
            policy._update_cache({"last_success_at": now}, validate=False)
        heartbeat, system_id = self.env["integration.system.heartbeat"], self.system_id.id
        if system_id:
            # Once this transaction committed: the system may be new in it.
            self.env.cr.postcommit.add(lambda: heartbeat._beat_in_own_transaction(system_id, now))

    # -------------------------------------------------------------- inbox
    def _drain_identity(self):
        return f"integration.backend:{self.id}:drain"

    def _ensure_drain_job(self, arrival=False, follow_up=False):
        """Keep one pending 'drain the inbox' job per backend (identity key).

        ``arrival``: called for a delivery just stored. When another one
        reached this process within the backend's batch window, traffic is
        steady: the new drain waits out the window, so the events gathered
        meanwhile go in micro-batches (one job, one create and confirm for
        many orders) instead of a job each. A lone delivery drains at once.
        ``follow_up``: asked by a drain that found events, after the window.
        """
        self.ensure_one()
        key, now, delay = (self.env.cr.dbname, self.id), time.monotonic(), 0
        if arrival:
            last, _ARRIVALS[key] = _ARRIVALS.get(key), now
            window = self.inbox_batch_window
            if window and last is not None and now - last < window:
                delay = math.ceil(window)  # queue_job's eta counts whole seconds
            if window and now < _DRAIN_PENDING_UNTIL.get(key, 0.0):
                # A drain seen pending with a later eta cannot have started
                # yet: it will take this event too, no query needed.
                return False
        if follow_up:
            delay = math.ceil(self.inbox_batch_window)
        self.env.cr.execute(
            "SELECT eta FROM queue_job WHERE identity_key = %s AND state IN "
            "('wait_dependencies', 'pending', 'enqueued') LIMIT 1",
            [self._drain_identity()],
        )
        row = self.env.cr.fetchone()
        if row:
            if row[0] and self.inbox_batch_window:
                ahead = (row[0] - fields.Datetime.now()).total_seconds()
                _DRAIN_PENDING_UNTIL[key] = now + ahead - 0.5
            return False
        # An off flow stores events and processes them once switched on; a
        # batch flow drains at its next window.
        delayable = self._flow_delay(
            "orders_in",
            self._drain_identity(),
            f"Drain inbox of {self.name}",
            delay=delay,
            priority=5,
        )
        if not delayable:
            return False
        delayable._drain_inbox()
        return True

    def _drain_inbox(self, batch_size=500):
        """Hand received events to the queue in bulk (micro-batches of one
        backend and topic, see ``integration.event._enqueue``).

        A drain that found events asks for one more after the batch window:
        a delivery committed while this one read the inbox is never left to
        the sweep, and under steady traffic the drains follow the window.
        """
        self.ensure_one()
        Event = self.env["integration.event"].sudo()
        last_id, found = 0, 0
        while True:
            self.env.cr.execute(
                "SELECT id FROM integration_event WHERE backend_id = %s AND state = 'received' "
                "AND job_uuid IS NULL AND id > %s ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                [self.id, last_id, batch_size],
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            if ids:
                Event.browse(ids)._enqueue()
                last_id, found = ids[-1], found + len(ids)
            if len(ids) < batch_size:
                break
        if found and self.state == "active" and self.inbox_batch_window:
            self._ensure_drain_job(follow_up=True)
        return f"{found} events handed to the queue"

    # ------------------------------------------------------------ actions
    def _check_integration_manager(self):
        """Actions that change a backend, its secrets or the channel are an
        Integration Manager's (or a system administrator's): checked before
        any ``sudo()``, since every public method is reachable over RPC."""
        user = self.env.user
        if not (
            self.env.su
            or user.has_group("integration_governance.group_integration_manager")
            or user.has_group("base.group_system")
        ):
            raise AccessError(self.env._("Only an Integration Manager can do this."))
        self.check_access("write")

    def action_activate(self):
        self._check_integration_manager()
        self.write({"state": "active"})
        return True

    def action_pause(self):
        self._check_integration_manager()
        self.write({"state": "paused"})
        return True

    def action_disable(self):
        self._check_integration_manager()
        self.write({"state": "disabled"})
        return True

    def action_regenerate_webhook_token(self):
        self._check_integration_manager()
        for backend in self.sudo():
            backend.webhook_token = secrets.token_urlsafe(32)
        return True

    def action_rotate_secrets(self):
        self._check_integration_manager()
        count = self.env["integration.credential"].sudo()._rotate_all()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%s secret(s) re-encrypted with the newest key.", count),
            },
        }

    def action_open_events(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Inbox"),
            "res_model": "integration.event",
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.id)],
        }

    def _raise_attention(self, message, category="authentication"):
        """A problem only a person can fix: raise it, never retry it forever."""
        self.ensure_one()
        self.message_post(body=message)
        return self.env["integration.exception"].raise_exception(
            category, message, severity="critical", system=self.system_id
        )

    @api.model
    def _find_by_webhook_token(self, token):
        if not token:
            return self.browse()
        return self.sudo().search([("webhook_token", "=", token)], limit=1)

    def _check_active(self):
        if self.state != "active":
            raise UserError(self.env._("Backend %s is not active.", self.name))
