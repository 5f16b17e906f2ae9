"""The sandbox's query costs against the examples Shopify published (see sandbox/cost.py)."""

from .sandbox_support import DOMAIN, SandboxCase

# https://community.shopify.dev/t/unexpectedly-low-graphql-query-cost-in-shopify-admin-api-seeking-clarification/23101
VARIANT_ITEMS = """query getVariantsInventoryItem($id: ID!) {
  product(id: $id) { variants(first: 250) { nodes { inventoryItem { id tracked } } } }
}"""
# Shopify Engineering, "Rate Limiting GraphQL APIs by Calculating Query Complexity".
SHOP = "{ shop { id name timezoneOffsetMinutes customerAccounts } }"
TOO_BIG = """{ products(first: 250) { nodes { variants(first: 250) { nodes {
  inventoryItem { inventoryLevels(first: 250) { nodes { location { id } } } } } } } } }"""


class TestPublishedCosts(SandboxCase):
    def cost(self, query, variables=None):
        body = self.graphql(query, variables).json()
        return body, body.get("extensions", {}).get("cost")

    def test_the_published_variant_query_costs_what_shopify_answered(self):
        _, cost = self.cost(VARIANT_ITEMS, {"id": "gid://shopify/Product/1"})
        self.assertEqual((cost["requestedQueryCost"], cost["actualQueryCost"]), (25, 1))

    def test_actual_cost_follows_the_edges_returned(self):
        # A still bucket: what is left shows the refund, not the restore rate.
        self.sandbox.set_bucket(DOMAIN, restore_rate=0, available=2000)
        body, cost = self.cost(VARIANT_ITEMS, {"id": self.product["admin_graphql_api_id"]})
        self.assertEqual(len(body["data"]["product"]["variants"]["nodes"]), 2)
        # product 1 + connection 2 + two variants sized as one, each 1 + its item 1.
        self.assertEqual((cost["requestedQueryCost"], cost["actualQueryCost"]), (25, 5))
        available = cost["throttleStatus"]["currentlyAvailable"]
        self.assertEqual(available, 2000 - 5)  # the difference was refunded

    def test_objects_cost_one_and_scalars_and_enums_nothing(self):
        _, cost = self.cost(SHOP)
        self.assertEqual((cost["requestedQueryCost"], cost["actualQueryCost"]), (1, 1))

    def test_a_mutation_costs_ten(self):
        body, cost = self.cost(
            'mutation { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1")'
            " { deletedWebhookSubscriptionId userErrors { field message } } }"
        )
        self.assertEqual(
            body["data"]["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"], None
        )
        self.assertEqual((cost["requestedQueryCost"], cost["actualQueryCost"]), (10, 10))

    def test_money_and_other_value_objects_cost_nothing(self):
        order = self.order()
        _, bare = self.cost(
            "query($id: ID!) { order(id: $id) { id } }", {"id": order["admin_graphql_api_id"]}
        )
        _, valued = self.cost(
            "query($id: ID!) { order(id: $id) { id totalPriceSet { shopMoney { amount } }"
            " shippingAddress { city } taxLines { priceSet { shopMoney { amount } } } } }",
            {"id": order["admin_graphql_api_id"]},
        )
        self.assertEqual(bare["requestedQueryCost"], 1)
        self.assertEqual(valued["requestedQueryCost"], 1)

    def test_no_single_query_above_a_thousand_points(self):
        self.sandbox.set_bucket(DOMAIN, maximum=100_000, available=100_000)
        body, cost = self.cost(TOO_BIG)
        self.assertNotIn("data", body)
        self.assertIsNone(cost)  # refused before the bucket is touched
        error = body["errors"][0]
        self.assertEqual(error["extensions"]["code"], "MAX_COST_EXCEEDED")
        self.assertEqual(error["extensions"]["cost"], 3181)
        self.assertEqual(error["extensions"]["maxCost"], 1000)
