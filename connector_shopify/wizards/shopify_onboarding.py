import re

from odoo import api, fields, models
from odoo.addons.connector_base.lib.retry import IntegrationError
from odoo.exceptions import UserError

from ..lib import queries
from ..lib.graphql_client import API_VERSIONS, DEFAULT_VERSION

DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


class ShopifyOnboarding(models.TransientModel):
    """Connect a store in three steps: credentials, locations, go live."""

    _name = "shopify.onboarding"
    _description = "Connect a Shopify store"

    step = fields.Selection(
        [("credentials", "Credentials"), ("locations", "Locations"), ("done", "Done")],
        default="credentials",
    )
    name = fields.Char(required=True, default="Shopify store")
    shop_domain = fields.Char(required=True, help="e.g. my-store.myshopify.com")
    api_url = fields.Char(
        "API base URL",
        help="Leave empty for https://<shop domain>; set it to reach a sandbox.",
    )
    api_version = fields.Selection([(v, v) for v in API_VERSIONS], default=DEFAULT_VERSION)
    auth = fields.Selection(
        [
            ("client_credentials", "Dev Dashboard app (client credentials)"),
            ("legacy_token", "Custom app Admin API token"),
        ],
        default="client_credentials",
        required=True,
    )
    client_id = fields.Char("Client ID")
    client_secret = fields.Char(
        "Client secret / API secret key", help="Also signs the webhooks Shopify sends."
    )
    access_token = fields.Char("Admin API access token")
    environment = fields.Selection(
        [("production", "Production"), ("staging", "Staging"), ("sandbox", "Sandbox")],
        default="production",
    )
    backend_id = fields.Many2one("integration.backend", readonly=True)
    shop_name = fields.Char(readonly=True)
    shop_currency = fields.Char(readonly=True)
    location_ids = fields.One2many("shopify.onboarding.location", "wizard_id")
    webhook_report = fields.Text(readonly=True)

    @api.constrains("shop_domain")
    def _check_domain(self):
        for wizard in self:
            if not DOMAIN.match((wizard.shop_domain or "").strip().lower()):
                raise UserError(self.env._("%s is not a myshopify domain.", wizard.shop_domain))

    def _backend_values(self):
        domain = self.shop_domain.strip().lower()
        return {
            "name": self.name,
            "channel_type": "shopify",
            "environment": self.environment,
            "shopify_shop_domain": domain,
            "api_url": self.api_url or f"https://{domain}",
            "shopify_api_version": self.api_version,
            "shopify_auth": self.auth,
            "shopify_client_id": self.client_id,
        }

    def action_test_connection(self):
        """Create (or update) the draft backend, store secrets, read the shop."""
        self.ensure_one()
        if self.auth == "client_credentials" and not (self.client_id and self.client_secret):
            raise UserError(self.env._("A Dev Dashboard app needs its client id and secret."))
        if self.auth == "legacy_token" and not self.access_token:
            raise UserError(self.env._("Paste the custom app's Admin API access token."))
        Backend = self.env["integration.backend"].sudo()
        backend = self.backend_id or Backend.search(
            [("shopify_shop_domain", "=", self.shop_domain.strip().lower())], limit=1
        )
        values = self._backend_values()
        if backend:
            backend.write(values)
        else:
            code = re.sub(r"[^a-z0-9]+", "_", values["shopify_shop_domain"].split(".")[0])
            backend = Backend.create({**values, "code": f"shopify_{code}"})
        Credential = self.env["integration.credential"].sudo()
        if self.client_secret:
            Credential._store_secret(backend, "client_secret", self.client_secret)
        if self.access_token:
            Credential._store_secret(backend, "access_token", self.access_token)
        backend.shopify_token_expires_at = False
        try:
            shop = backend._shopify_call(queries.SHOP, operation="Shop")["shop"]
            locations = backend._shopify_fetch_locations()
        except IntegrationError as error:
            raise UserError(
                self.env._("Shopify did not accept the connection: %s", error)
            ) from error
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", backend.company_id.id)], limit=1
        )
        self.write(
            {
                "backend_id": backend.id,
                "client_secret": False,
                "access_token": False,
                "shop_name": shop["name"],
                "shop_currency": shop["currencyCode"],
                "step": "locations",
                "location_ids": [(5, 0, 0)]
                + [
                    (
                        0,
                        0,
                        {
                            "name": node["name"],
                            "shopify_id": node["id"],
                            "warehouse_id": warehouse.id,
                            "export_stock": node["isActive"],
                        },
                    )
                    for node in locations
                ],
            }
        )
        return self._reopen()

    def action_finish(self):
        """Map locations, subscribe webhooks, match the catalogue, go live."""
        self.ensure_one()
        backend = self.backend_id.sudo()
        Location = self.env["shopify.location"].sudo()
        for line in self.location_ids:
            location = backend.shopify_location_ids.filtered(
                lambda loc, line=line: loc.shopify_id == line.shopify_id
            )
            values = {
                "name": line.name,
                "warehouse_id": line.warehouse_id.id,
                "export_stock": line.export_stock and bool(line.warehouse_id),
            }
            if location:
                location.write(values)
            else:
                Location.create({**values, "backend_id": backend.id, "shopify_id": line.shopify_id})
        backend.action_activate()
        report = backend._shopify_check_webhooks()
        backend.action_shopify_import_catalog()
        self.write(
            {
                "step": "done",
                "webhook_report": (
                    f"{report['created']} webhook(s) created, {report['updated']} repaired, "
                    f"{report['ok']} already in order."
                    + ("\n" + "\n".join(report["errors"]) if report["errors"] else "")
                ),
            }
        )
        return self._reopen()

    def action_open_backend(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "integration.backend",
            "res_id": self.backend_id.id,
            "view_mode": "form",
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
