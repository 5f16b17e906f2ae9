"""Connect the demo database to the sandbox's demo store (run by `make run`).

Runs inside ``odoo-bin shell``: ``env`` is given. Idempotent: a second
``make run`` finds the backend and refreshes it.
"""

import os

SANDBOX = os.environ.get("SHOPIFY_SANDBOX_URL", "http://127.0.0.1:8899")
ODOO_URL = os.environ.get("SUITE_ODOO_URL", "http://localhost:8069")
DOMAIN = "demo-store.myshopify.com"

env["ir.config_parameter"].set_param("web.base.url", ODOO_URL)  # noqa: F821
env["ir.config_parameter"].set_param("web.base.url.freeze", "True")  # noqa: F821
Backend = env["integration.backend"].with_context(tracking_disable=True)  # noqa: F821
backend = Backend.search([("code", "=", "shopify_demo")], limit=1) or Backend.create(
    {
        "name": "Demo Shopify store",
        "code": "shopify_demo",
        "channel_type": "shopify",
        "environment": "sandbox",
        "shopify_shop_domain": DOMAIN,
        "shopify_auth": "legacy_token",
    }
)
backend.write(
    {
        "api_url": f"{SANDBOX}/shops/{DOMAIN}",
        "shopify_needs_attention": False,
        "shopify_export_products": False,
        "state": "active",
        "default_partner_id": env.ref("base.res_partner_2").id,  # noqa: F821
    }
)
# The demo store charges a 7.25 % state tax on top of its prices: a tax in a
# group of its own name, so orders do not show it as "Tax 15%".
backend._ensure_sale_tax("State tax 7.25%", 7.25)
Credential = env["integration.credential"]  # noqa: F821
Credential._store_secret(backend, "client_secret", "demo-client-secret")
Credential._store_secret(backend, "access_token", "shpat_demo_token")
backend.action_shopify_sync_locations()
report = backend._shopify_check_webhooks()
print(f"[demo] webhooks: {report}")
print(f"[demo] catalogue: {backend._shopify_import_catalog()}")
# The catalogue is bound whatever becomes of the stock push (as their two
# jobs would be).
env.cr.commit()  # noqa: F821
print(f"[demo] stock: {backend._export_stock(full=True)}")
env.cr.commit()  # noqa: F821
