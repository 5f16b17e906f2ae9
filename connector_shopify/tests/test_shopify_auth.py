from odoo.tests import tagged

from .common import CLIENT_ID, CLIENT_SECRET, DOMAIN, ShopifyCase


@tagged("post_install", "-at_install")
class TestShopifyAuth(ShopifyCase):
    def test_client_credentials_token_is_issued_and_kept(self):
        self.backend._shopify_call("query Shop { shop { name } }", operation="Shop")
        token = self.backend._get_secret("access_token")
        self.assertTrue(token)
        self.assertTrue(self.backend.shopify_token_expires_at)
        self.backend._shopify_call("query Shop { shop { name } }", operation="Shop")
        self.assertEqual(self.backend._get_secret("access_token"), token, "token reused")

    def test_revoked_token_needs_attention_and_opens_circuit(self):
        self.backend._shopify_call("query Shop { shop { name } }", operation="Shop")
        self.control("POST", f"/_sandbox/shops/{DOMAIN}/revoke_tokens")
        from odoo.addons.connector_base.lib.retry import AuthenticationError

        # Not assertRaises: its savepoint would undo what the failure recorded.
        self.assertRaisesNoRollback(AuthenticationError)
        self.assertTrue(self.backend.shopify_needs_attention)
        circuit = self.env["integration.circuit"].search([("backend_id", "=", self.backend.id)])
        self.assertIn("open", circuit.mapped("state"))
        exception = self.env["integration.exception"].search(
            [("category", "=", "authentication"), ("system_id", "=", self.backend.system_id.id)]
        )
        self.assertEqual(len(exception), 1)
        calls = len(self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls"))
        self.assertRaisesNoRollback(AuthenticationError)
        self.assertEqual(
            len(self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls")),
            calls,
            "no call is sent while the backend needs attention",
        )

    def assertRaisesNoRollback(self, error_class):
        try:
            self.backend._shopify_call("query Shop { shop { name } }", operation="Shop")
        except error_class:
            return
        self.fail(f"{error_class.__name__} not raised")

    def test_app_uninstalled_disables_the_backend(self):
        self.backend.action_shopify_sync_locations()
        self.backend._shopify_check_webhooks()
        self.control("POST", f"/_sandbox/shops/{DOMAIN}/uninstall")
        self.wait_deliveries(1)
        self.run_jobs()
        self.assertEqual(self.backend.state, "disabled")
        self.assertTrue(self.backend.shopify_needs_attention)
        self.assertTrue(
            self.env["integration.exception"].search(
                [("category", "=", "authentication"), ("name", "ilike", "uninstalled")]
            )
        )

    def test_onboarding_wizard_connects_a_store(self):
        wizard = self.env["shopify.onboarding"].create(
            {
                "name": "Wizard store",
                "shop_domain": DOMAIN,
                "api_url": self.sandbox.shop_url(DOMAIN),
                "auth": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "environment": "sandbox",
            }
        )
        wizard.action_test_connection()
        self.assertEqual(wizard.step, "locations")
        self.assertEqual(wizard.shop_name, "Odoo test store")
        self.assertEqual(wizard.location_ids.mapped("name"), ["Main"])
        self.assertFalse(wizard.client_secret, "the secret lives in the vault, not the wizard")
        wizard.action_finish()
        self.assertEqual(wizard.step, "done")
        backend = wizard.backend_id
        self.assertEqual(backend.state, "active")
        self.assertEqual(backend.shopify_location_ids.warehouse_id, self.warehouse)
        self.assertIn("6 webhook(s) created", wizard.webhook_report)
