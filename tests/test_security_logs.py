"""Credentials never reach the outbound log, whatever the channel: the
Shopify client-credentials grant sends the app's secret and receives the
shop's token, and neither is stored in ``integration.message``."""

from odoo.addons.connector_shopify.tests.common import CLIENT_ID, CLIENT_SECRET, ShopifyCase


class TestSecretsNotLogged(ShopifyCase):
    # Outside odoo.addons, Odoo's test case does not tag itself.
    test_tags = {"standard", "post_install", "-at_install"}
    test_module = "suite"

    def test_token_grant_is_logged_masked(self):
        token = self.backend._shopify_issue_token()
        self.assertTrue(token)
        message = self.env["integration.message"].search(
            [("backend_id", "=", self.backend.id), ("endpoint", "=", "oauth:access_token")],
            order="id desc",
            limit=1,
        )
        self.assertTrue(message, "the token call is logged")
        logged = " ".join(
            str(value or "")
            for value in message.read(["url", "request_excerpt", "response_excerpt", "error"])[
                0
            ].values()
        )
        self.assertNotIn(CLIENT_SECRET, logged)
        self.assertNotIn(token, logged)
        self.assertIn(CLIENT_ID, message.request_excerpt, "what is not a credential stays")
        self.assertIn('"client_secret": "***"', message.request_excerpt)
        self.assertIn('"access_token": "***"', message.response_excerpt)
