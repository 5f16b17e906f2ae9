"""Shopify's session: credentials, the GraphQL client over connector_base's
HTTP client, the cost bucket, the response contracts, and what a 401 or an
uninstall does."""

import logging
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.addons.connector_base.lib import retry
from odoo.exceptions import UserError

from .. import const
from ..lib import cost_signals, queries
from ..lib.graphql_client import DEFAULT_VERSION, ShopifyGraphQL

_logger = logging.getLogger(__name__)

# Requested cost last seen per (database, backend, operation): the next call
# of that operation waits for that much of the bucket.
_COST_MEMORY = {}


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ----------------------------------------------------- client hooks
    def _api_base_url(self):
        if self.channel_type != "shopify":
            return super()._api_base_url()
        return (self.api_url or f"https://{self.shopify_shop_domain}").rstrip("/")

    def _auth_headers(self):
        if self.channel_type != "shopify":
            return super()._auth_headers()
        return {"X-Shopify-Access-Token": self._shopify_access_token()}

    def _check_can_call(self, endpoint):
        if self.channel_type != "shopify":
            return super()._check_can_call(endpoint)
        if self.shopify_needs_attention:
            raise retry.AuthenticationError(
                f"{self.name}: Shopify credentials need attention; no call sent"
            )
        return None

    def _call_cost(self, endpoint):
        if self.channel_type != "shopify":
            return super()._call_cost(endpoint)
        operation = endpoint.split(":", 1)[-1]
        cost = _COST_MEMORY.get((self.env.cr.dbname, self.id, operation))
        if cost is None:
            cost = const.DEFAULT_COST["mutation" if operation in const.MUTATIONS else "query"]
        return cost

    def _rate_limit_usage(self, headers):
        """REST answers carry ``X-Shopify-Shop-Api-Call-Limit: 32/40``; GraphQL
        reports its bucket in the body (``_shopify_cost``)."""
        if self.channel_type != "shopify":
            return super()._rate_limit_usage(headers)
        headers = {key.lower(): value for key, value in headers.items()}
        return cost_signals.parse_call_limit(headers.get("x-shopify-shop-api-call-limit"))

    def _after_call(self, record):
        super()._after_call(record)
        if self.channel_type == "shopify" and record.status == 401:
            self._shopify_unauthorized(record.endpoint)

    # ---------------------------------------------------------- session
    def _shopify_access_token(self):
        """The Admin API token: the legacy one, or one issued by client credentials
        (renewed a minute before it expires)."""
        self.ensure_one()
        backend = self.sudo()
        token = backend._shopify_secret("access_token")
        if backend.shopify_auth == "legacy_token":
            return token or ""
        expires = backend.shopify_token_expires_at
        if token and expires and expires > fields.Datetime.now() + timedelta(minutes=1):
            return token
        return backend._shopify_issue_token()

    def _shopify_secret(self, key):
        """A secret of this backend, or None when it was never stored."""
        try:
            return self._get_secret(key)
        except UserError:
            return None

    def _shopify_issue_token(self):
        """Client-credentials grant of Dev Dashboard apps (one call, token ~24 h)."""
        try:
            response = self._client(auth=False).post(
                "/admin/oauth/access_token",
                json={
                    "client_id": self.shopify_client_id,
                    "client_secret": self._get_secret("client_secret"),
                    "grant_type": "client_credentials",
                },
                endpoint="oauth:access_token",
            )
        except retry.PermanentError as error:
            self._shopify_unauthorized("oauth:access_token", str(error))
            raise retry.AuthenticationError(
                f"{self.name}: token request refused: {error}"
            ) from error
        body = response.json()
        self.env["integration.credential"]._store_secret(self, "access_token", body["access_token"])
        self.shopify_token_expires_at = fields.Datetime.now() + timedelta(
            seconds=int(body.get("expires_in") or 86399)
        )
        return body["access_token"]

    def _shopify(self):
        """A GraphQL client on this backend's HTTP client (throttle, breaker, log)."""
        self.ensure_one()
        backend = self.sudo()
        return ShopifyGraphQL(
            backend._client(),
            backend.shopify_api_version or DEFAULT_VERSION,
            on_cost=backend._shopify_cost,
            on_data=backend._shopify_check_response,
            errors=retry,
        )

    def _shopify_call(
        self, document, variables=None, *, operation, trace_id=None, mutation_field=None
    ):
        """One document, waiting for the bucket; a throttled answer is tried
        again after Shopify's restore time when that is short, else raised as
        transient (inside a job: the job is retried then, never put to sleep)."""
        api_ = self._shopify()
        for attempt in range(4):
            try:
                if mutation_field:
                    return api_.mutate(
                        document,
                        variables,
                        operation=operation,
                        field=mutation_field,
                        trace_id=trace_id,
                    )
                return api_.execute(document, variables, operation=operation, trace_id=trace_id)
            except retry.ThrottledError as error:
                if attempt == 3:
                    raise
                self._pace(error.retry_after or 1.0, what="Shopify's throttled answer")
        return None

    def _shopify_cost(self, cost, operation=None):
        """Follow Shopify's bucket: its size, restore rate and what is left, and
        remember what the operation asked for, so its next call waits for that."""
        if operation and cost.get("requested"):
            _COST_MEMORY[(self.env.cr.dbname, self.id, operation)] = cost["requested"]
        maximum, rate = cost.get("maximum"), cost.get("restore_rate")
        if maximum and rate and (maximum != self.rate_capacity or rate != self.rate_per_second):
            self.env.cr.execute(
                "UPDATE integration_backend SET rate_capacity = %s, rate_per_second = %s "
                "WHERE id = %s",
                [maximum, rate, self.id],
            )
            self.invalidate_recordset(["rate_capacity", "rate_per_second"])
        if maximum and cost.get("available") is not None:
            self.env["integration.throttle"]._observe(
                self, max(maximum - cost["available"], 0.0), maximum
            )

    # -------------------------------------------------- response contracts
    def _shopify_check_response(self, operation, document, data, trace_id=None):
        """Validate the ``data`` of an answer to one of the connector's documents
        against its response contract (``shopify.graphql.<operation>``), once per
        answer, before anything reads it. Other documents (ad hoc queries, an
        operation named like ours with another selection) are not ours to judge.

        A breach raises a ``contract`` exception for the integration team, with
        the violations and the answer, and fails the call (ShopifyContractError).
        """
        spec = const.RESPONSE_CONTRACTS.get(operation)
        if not spec or document not in spec["documents"]:
            return
        result = self.env["integration.contract"].validate_payload(spec["code"], data)
        violations = result["violations"]
        if not violations:
            return
        version = result["version"]
        error = const.ShopifyContractError(operation, violations, version.display_name)
        self._shopify_contract_exception(
            str(error),
            business_object=spec["business_object"],
            payload=data,
            violations=violations,
            contract_version=version,
            trace_id=trace_id,
            name=f"{version.display_name}: {len(violations)} violation(s) in {self.name}'s answer",
        )
        raise error

    def _shopify_contract_exception(self, message, *, contract_version, **kwargs):
        """Raise the exception in its own transaction, so that it outlives the
        failed job's rollback; in the caller's when what it refers to is not
        committed yet (a backend being onboarded) or that transaction fails."""
        values = dict(kwargs, severity="high", contract_version=contract_version)
        try:
            with self.env.registry.cursor() as cr:
                cr.execute(
                    "SELECT (SELECT count(*) FROM integration_system WHERE id = %s)"
                    " + (SELECT count(*) FROM integration_contract_version WHERE id = %s)",
                    [self.system_id.id or 0, contract_version.id],
                )
                if cr.fetchone()[0] == bool(self.system_id) + 1:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["integration.exception"].raise_exception(
                        "contract",
                        message,
                        system=self.system_id.with_env(env),
                        **dict(values, contract_version=contract_version.with_env(env)),
                    )
                    return
        except psycopg2.Error:
            _logger.warning("Contract exception kept in the caller's transaction", exc_info=True)
        self.env["integration.exception"].sudo().raise_exception(
            "contract", message, system=self.system_id, **values
        )

    # ------------------------------------------------ credentials refused
    def _shopify_unauthorized(self, endpoint, detail=None):
        """401: stop calling (circuit open, flag raised) and ask a person."""
        self.ensure_one()
        self.env["integration.circuit"]._trip(self, endpoint)
        if self.shopify_needs_attention:
            return
        with self.env.registry.cursor() as cr:
            cr.execute(
                "UPDATE integration_backend SET shopify_needs_attention = TRUE WHERE id = %s",
                [self.id],
            )
        self.invalidate_recordset(["shopify_needs_attention"])
        self.env["integration.exception"].sudo().raise_exception(
            "authentication",
            f"Shopify refused {self.name}'s credentials ({endpoint}): "
            f"{detail or 'HTTP 401'}. Renew the token or the client secret, then clear "
            "'Needs attention' on the backend.",
            severity="critical",
            system=self.system_id,
            name=f"{self.name}: Shopify credentials refused",
        )

    def _shopify_uninstalled(self):
        """app/uninstalled: the store removed the app; nothing works until reinstalled."""
        self.ensure_one()
        self.sudo().write({"state": "disabled", "shopify_needs_attention": True})
        self._raise_attention(
            f"The app was uninstalled from {self.shopify_shop_domain}: the backend is "
            "disabled. Reinstall the app, renew the credentials and activate the backend.",
            category="authentication",
        )

    def action_shopify_clear_attention(self):
        self._check_integration_manager()
        self.write({"shopify_needs_attention": False})
        for backend in self:
            self.env["integration.circuit"].sudo().search([("backend_id", "=", backend.id)]).write(
                {"state": "closed", "failures": 0}
            )

    def action_shopify_test_connection(self):
        self.ensure_one()
        self._check_integration_manager()
        shop = self._shopify_call(queries.SHOP, operation="Shop")["shop"]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Connected to %(name)s (%(domain)s, %(currency)s).",
                    name=shop["name"],
                    domain=shop["myshopify_domain"]
                    if "myshopify_domain" in shop
                    else shop["myshopifyDomain"],
                    currency=shop["currencyCode"],
                ),
            },
        }
