"""The sandbox's Admin GraphQL API, driven over real HTTP as the connector drives it."""

import time

import requests

from ..lib import queries
from ..sandbox.cost import query_cost
from ..sandbox.schema_files import load_schema
from .sandbox_support import CLIENT_ID, CLIENT_SECRET, DOMAIN, TIMEOUT, TOKEN, SandboxCase

# The connector's inventorySetQuantities for 2025-10: no @idempotent, compareQuantity.
INVENTORY_SET_2025_10 = queries.INVENTORY_SET_2025_10


class TestDocuments(SandboxCase):
    """Every document of queries.ALL answers real data on 2026-10."""

    def setUp(self):
        super().setUp()
        # Generous bucket: these tests check data, not throttling (tested below).
        self.sandbox.set_bucket(DOMAIN, maximum=100_000, available=100_000, max_query_cost=100_000)
        self.variant = self.product["variants"][0]
        self.item = self.variant["inventory_item_gid"]
        self.location_gid = self.location["admin_graphql_api_id"]

    def test_shop_locations_variants(self):
        shop = self.data(queries.SHOP)["shop"]
        self.assertEqual(shop["myshopifyDomain"], DOMAIN)
        self.assertEqual(shop["currencyCode"], "USD")
        self.assertIs(shop["taxesIncluded"], False)
        locations = self.data(queries.LOCATIONS, {"first": 10})["locations"]
        self.assertEqual(locations["nodes"][0]["id"], self.location_gid)
        self.assertEqual(locations["nodes"][0]["legacyResourceId"], str(self.location["id"]))
        variants = self.data(queries.VARIANTS, {"first": 10, "query": "sku:CHAIR-WHT"})
        nodes = variants["productVariants"]["nodes"]
        self.assertEqual([n["sku"] for n in nodes], ["CHAIR-WHT"])
        self.assertEqual(nodes[0]["price"], "125.00")
        self.assertEqual(nodes[0]["product"]["title"], "Office Chair")
        both = self.data(queries.VARIANTS, {"first": 10, "query": "sku:CHAIR-WHT OR sku:CHAIR-BLK"})
        self.assertEqual(len(both["productVariants"]["nodes"]), 2)

    def test_inventory_reads_and_set(self):
        levels = self.data(
            queries.INVENTORY_LEVELS, {"locationId": self.location_gid, "first": 10}
        )["location"]["inventoryLevels"]["nodes"]
        by_sku = {n["item"]["sku"]: n["quantities"][0]["quantity"] for n in levels}
        self.assertEqual(by_sku, {"CHAIR-BLK": 10, "CHAIR-WHT": 0})
        result = self.data(
            queries.INVENTORY_SET,
            {
                "key": "set-1",
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "quantities": [
                        {
                            "inventoryItemId": self.item,
                            "locationId": self.location_gid,
                            "quantity": 7,
                            "changeFromQuantity": 10,
                        }
                    ],
                },
            },
        )["inventorySetQuantities"]
        self.assertEqual(result["userErrors"], [])
        self.assertTrue(result["inventoryAdjustmentGroup"]["id"].startswith("gid://shopify/"))
        nodes = self.data(
            queries.ITEM_LEVELS, {"ids": [self.item], "locationId": self.location_gid}
        )
        level = nodes["nodes"][0]["inventoryLevel"]["quantities"][0]
        self.assertEqual(level, {"name": "available", "quantity": 7})

    def test_orders_fulfillment_orders_and_fulfillment(self):
        order = self.order(
            customer={"email": "ava@example.com", "first_name": "Ava", "last_name": "Miller"},
            lines=[
                {
                    "sku": "CHAIR-BLK",
                    "quantity": 2,
                    "discount": "5.00",
                    "tax_lines": [{"title": "State tax", "rate": 0.1}],
                }
            ],
            shipping_lines=[{"code": "STD", "title": "Standard", "price": "9.90"}],
            shipping_address={"first_name": "Ava", "city": "Austin", "province_code": "TX"},
            discount_codes=[{"code": "SAVE5", "amount": "5.00"}],
        )
        orders = self.data(queries.ORDERS, {"first": 2, "query": None})["orders"]["nodes"]
        self.assertEqual(len(orders), 1)
        node = orders[0]
        self.assertEqual(node["legacyResourceId"], str(order["id"]))
        self.assertEqual(node["displayFinancialStatus"], "PAID")
        self.assertEqual(node["discountCodes"], ["SAVE5"])
        self.assertEqual(
            node["subtotalPriceSet"]["shopMoney"], {"amount": "236.00", "currencyCode": "USD"}
        )
        self.assertEqual(node["totalTaxSet"]["shopMoney"]["amount"], "23.60")
        self.assertEqual(node["totalPriceSet"]["shopMoney"]["amount"], "269.50")
        self.assertEqual(node["shippingAddress"]["countryCodeV2"], "US")
        self.assertEqual(node["shippingAddress"]["provinceCode"], "TX")
        line = node["lineItems"]["nodes"][0]
        self.assertEqual(line["variant"]["id"], self.variant["admin_graphql_api_id"])
        self.assertEqual(
            line["discountAllocations"][0]["allocatedAmountSet"]["shopMoney"]["amount"], "5.00"
        )
        self.assertEqual(line["taxLines"][0]["rate"], 0.1)
        self.assertEqual(
            node["shippingLines"]["nodes"][0]["originalPriceSet"]["shopMoney"]["amount"], "9.90"
        )

        fulfillment_orders = self.data(queries.FULFILLMENT_ORDERS, {"id": node["id"]})
        fulfillment_order = fulfillment_orders["order"]["fulfillmentOrders"]["nodes"][0]
        self.assertEqual(fulfillment_order["status"], "OPEN")
        self.assertEqual(fulfillment_order["assignedLocation"]["location"]["id"], self.location_gid)
        fo_line = fulfillment_order["lineItems"]["nodes"][0]
        self.assertEqual((fo_line["sku"], fo_line["remainingQuantity"]), ("CHAIR-BLK", 2))

        def fulfill(quantity):
            return self.data(
                queries.FULFILLMENT_CREATE,
                {
                    "fulfillment": {
                        "lineItemsByFulfillmentOrder": [
                            {
                                "fulfillmentOrderId": fulfillment_order["id"],
                                "fulfillmentOrderLineItems": [
                                    {"id": fo_line["id"], "quantity": quantity}
                                ],
                            }
                        ],
                        "trackingInfo": {
                            "company": "UPS",
                            "number": "1Z999",
                            "url": "https://ups.example/1Z999",
                        },
                        "notifyCustomer": False,
                    }
                },
            )["fulfillmentCreate"]

        def status():
            found = self.data(queries.FULFILLMENT_ORDERS, {"id": node["id"]})
            fo = found["order"]["fulfillmentOrders"]["nodes"][0]
            return fo["status"], fo["lineItems"]["nodes"][0]["remainingQuantity"]

        first = fulfill(1)
        self.assertEqual(first["userErrors"], [])
        self.assertEqual(first["fulfillment"]["trackingInfo"][0]["number"], "1Z999")
        self.assertEqual(status(), ("IN_PROGRESS", 1))
        too_many = fulfill(5)
        self.assertIsNone(too_many["fulfillment"])
        self.assertIn("quantity", too_many["userErrors"][0]["field"])
        self.assertEqual(status(), ("IN_PROGRESS", 1))
        self.assertEqual(fulfill(1)["userErrors"], [])
        self.assertEqual(status(), ("CLOSED", 0))
        closed = fulfill(1)
        self.assertIn("unfulfillable", closed["userErrors"][0]["message"])
        shipped = self.sandbox.fulfillments(DOMAIN)
        self.assertEqual([f["tracking_number"] for f in shipped], ["1Z999", "1Z999"])
        self.assertEqual(sum(line["quantity"] for f in shipped for line in f["line_items"]), 2)

    def test_order_search_by_updated_at(self):
        old = self.order()
        time.sleep(0.01)
        newer = self.sandbox.update_order(DOMAIN, old["id"], note="changed")
        self.assertGreater(newer["updated_at"], old["updated_at"])
        second = self.order()
        stamp = newer["updated_at"].replace("+00:00", "Z")
        for query in (f"updated_at:>='{stamp}'", f"updated_at:>={stamp}"):
            nodes = self.data(queries.ORDERS, {"first": 4, "query": query})["orders"]["nodes"]
            self.assertEqual(
                [n["legacyResourceId"] for n in nodes], [str(old["id"]), str(second["id"])]
            )
        later = self.data(
            queries.ORDERS, {"first": 4, "query": "updated_at:>='2999-01-01T00:00:00Z'"}
        )
        self.assertEqual(later["orders"]["nodes"], [])

    def test_webhook_subscription_documents(self):
        variables = {
            "topic": "ORDERS_CREATE",
            "input": {"uri": "https://example.com/hook", "includeFields": ["id"], "format": "JSON"},
        }
        created = self.data(queries.WEBHOOK_CREATE, variables)["webhookSubscriptionCreate"]
        self.assertEqual(created["userErrors"], [])
        subscription = created["webhookSubscription"]
        self.assertEqual((subscription["topic"], subscription["format"]), ("ORDERS_CREATE", "JSON"))
        again = self.data(queries.WEBHOOK_CREATE, variables)["webhookSubscriptionCreate"]
        self.assertEqual(
            again["userErrors"][0]["message"], "Address for this topic has already been taken"
        )
        listed = self.data(queries.WEBHOOKS, {"first": 10})["webhookSubscriptions"]["nodes"]
        self.assertEqual([s["id"] for s in listed], [subscription["id"]])
        updated = self.data(
            queries.WEBHOOK_UPDATE,
            {"id": subscription["id"], "input": {"includeFields": ["id", "name"]}},
        )["webhookSubscriptionUpdate"]
        self.assertEqual(updated["webhookSubscription"]["includeFields"], ["id", "name"])
        deleted = self.data(queries.WEBHOOK_DELETE, {"id": subscription["id"]})
        self.assertEqual(
            deleted["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"], subscription["id"]
        )
        self.assertEqual(
            self.data(queries.WEBHOOKS, {"first": 10})["webhookSubscriptions"]["nodes"], []
        )

    def test_product_set_creates_then_updates(self):
        variables = {
            "input": {
                "title": "Desk Organizer",
                "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
                "variants": [
                    {
                        "sku": "FURN_0001",
                        "price": "5.10",
                        "optionValues": [{"optionName": "Title", "name": "Default Title"}],
                    }
                ],
            },
            "identifier": None,
        }
        created = self.data(queries.PRODUCT_SET, variables)["productSet"]
        self.assertEqual(created["userErrors"], [])
        product = created["product"]
        variant = product["variants"]["nodes"][0]
        self.assertEqual(variant["sku"], "FURN_0001")
        self.assertTrue(variant["inventoryItem"]["id"].startswith("gid://shopify/InventoryItem/"))
        variables["identifier"] = {"id": product["id"]}
        variables["input"]["variants"][0].update(id=variant["id"], price="6.00")
        updated = self.data(queries.PRODUCT_SET, variables)["productSet"]
        self.assertEqual(updated["product"]["id"], product["id"])
        self.assertEqual(updated["product"]["variants"]["nodes"][0]["id"], variant["id"])
        found = self.data(queries.VARIANTS, {"first": 5, "query": "sku:FURN_0001"})
        self.assertEqual(found["productVariants"]["nodes"][0]["price"], "6.00")

    def test_every_document_validates_on_every_version(self):
        from graphql import parse, validate

        for version in self.sandbox.versions:
            schema = load_schema(version)
            for name, document in queries.ALL.items():
                if name == "InventorySet" and version == "2025-10":
                    document = INVENTORY_SET_2025_10
                with self.subTest(version=version, document=name):
                    self.assertEqual(validate(schema, parse(document)), [])


class TestProtocol(SandboxCase):
    def test_validation_error_names_the_field(self):
        response = self.graphql("query { shop { id nonsenseField } }")
        self.assertEqual(response.status_code, 200)
        error = response.json()["errors"][0]
        self.assertIn("nonsenseField", error["message"])
        self.assertEqual(error["extensions"]["code"], "undefinedField")
        self.assertIn("locations", error)

    def test_syntax_error(self):
        error = self.graphql("query { shop { id ").json()["errors"][0]
        self.assertIn("locations", error)
        self.assertIn("code", error["extensions"])

    def test_field_not_emulated_is_an_error_not_a_null(self):
        body = self.graphql("query { shop { id billingAddress { city } } }").json()
        messages = [e["message"] for e in body["errors"]]
        self.assertTrue(any("Shop.billingAddress" in m for m in messages), messages)

    def test_pagination_over_three_pages(self):
        for index in range(5):
            self.sandbox.add_location(DOMAIN, f"Store {index}")
        seen, after, pages = [], None, 0
        while True:
            page = self.data(queries.LOCATIONS, {"first": 2, "after": after})["locations"]
            pages += 1
            seen += [n["name"] for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        self.assertEqual(pages, 3)
        self.assertEqual(len(seen), 6)
        self.assertEqual(len(set(seen)), 6)

    def test_cost_extension_and_throttling(self):
        body = self.graphql(queries.SHOP).json()
        cost = body["extensions"]["cost"]
        self.assertEqual((cost["requestedQueryCost"], cost["actualQueryCost"]), (1, 1))
        self.assertEqual(cost["throttleStatus"]["maximumAvailable"], 2000)
        self.assertEqual(cost["throttleStatus"]["restoreRate"], 100)
        self.sandbox.set_bucket(DOMAIN, restore_rate=50, available=0)
        throttled = self.graphql(queries.LOCATIONS, {"first": 10}).json()
        self.assertEqual(throttled["errors"][0]["extensions"]["code"], "THROTTLED")
        self.assertNotIn("data", throttled)
        self.assertIsNone(throttled["extensions"]["cost"]["actualQueryCost"])
        wait = throttled["extensions"]["cost"]["requestedQueryCost"] / 50
        time.sleep(wait + 0.1)
        self.assertIn("data", self.graphql(queries.LOCATIONS, {"first": 10}).json())
        calls = self.sandbox.calls(DOMAIN)
        self.assertEqual([c["throttled"] for c in calls[-2:]], [True, False])

    def test_forced_throttle_and_failures(self):
        self.sandbox.set_faults(DOMAIN, throttle_next=1, fail_next=1, status=503)
        self.assertEqual(self.graphql(queries.SHOP).status_code, 503)
        throttled = self.graphql(queries.SHOP).json()
        self.assertEqual(throttled["errors"][0]["extensions"]["code"], "THROTTLED")
        self.assertIn("data", self.graphql(queries.SHOP).json())

    def test_hang_fault_delays_the_answer(self):
        self.sandbox.set_faults(DOMAIN, hang_next=1, hang_seconds=0.5)
        with self.assertRaises(requests.Timeout):
            requests.post(
                self.sandbox.graphql_url(DOMAIN),
                json={"query": queries.SHOP},
                headers={"X-Shopify-Access-Token": TOKEN},
                timeout=0.1,
            )
        self.assertEqual(self.graphql(queries.SHOP).status_code, 200)

    def test_single_query_cost_limit(self):
        schema = load_schema("2026-10")
        from graphql import parse

        too_big = queries.FULFILLMENT_ORDERS.replace(
            "lineItems(first: 50) {",
            "lineItems(first: 250) { nodes { variant { product {"
            " variants(first: 250) { nodes { inventoryItem { inventoryLevels(first: 250)"
            " { nodes { location { id } } } } } } } } }",
        )
        self.assertGreater(query_cost(schema, parse(too_big)), 1000)
        # The connector's own documents fit at the page sizes it uses.
        self.assertLess(query_cost(schema, parse(queries.FULFILLMENT_ORDERS)), 1000)
        self.assertLess(query_cost(schema, parse(queries.ORDERS), variables={"first": 250}), 1000)
        order = self.order()
        body = self.graphql(too_big, {"id": order["admin_graphql_api_id"]}).json()
        self.assertEqual(body["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED")

    def test_bad_token_and_unknown_version(self):
        response = self.graphql(queries.SHOP, token="shpat_wrong")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(
            response.json(),
            {
                "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
            },
        )
        self.assertEqual(self.graphql(queries.SHOP, version="2019-04").status_code, 404)
        self.sandbox.revoke_tokens(DOMAIN)
        self.assertEqual(self.graphql(queries.SHOP).status_code, 401)

    def test_client_credentials_grant(self):
        url = f"{self.sandbox.shop_url(DOMAIN)}/admin/oauth/access_token"
        wrong = requests.post(
            url,
            json={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "x"},
            timeout=TIMEOUT,
        )
        self.assertEqual(wrong.status_code, 400)
        self.assertEqual(wrong.json()["error"], "invalid_client")
        granted = requests.post(
            url,
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
            timeout=TIMEOUT,
        )
        self.assertEqual(granted.status_code, 200)
        token = granted.json()
        self.assertTrue(token["access_token"].startswith("shpat_"))
        self.assertEqual(token["expires_in"], 86399)
        self.assertIn("write_inventory", token["scope"])
        self.assertEqual(self.graphql(queries.SHOP, token=token["access_token"]).status_code, 200)
        self.sandbox.uninstall(DOMAIN)
        self.assertEqual(self.graphql(queries.SHOP, token=token["access_token"]).status_code, 401)


class TestInventorySet(SandboxCase):
    def setUp(self):
        super().setUp()
        self.items = [v["inventory_item_gid"] for v in self.product["variants"]]
        self.location_gid = self.location["admin_graphql_api_id"]

    def quantities(self, *pairs):
        return [
            {"inventoryItemId": item, "locationId": self.location_gid, "quantity": qty, **extra}
            for item, qty, extra in pairs
        ]

    def set(
        self, quantities, key="key-1", version="2026-10", document=queries.INVENTORY_SET, **input
    ):
        variables = {
            "input": {
                "name": "available",
                "reason": "correction",
                "quantities": quantities,
                **input,
            }
        }
        if document is queries.INVENTORY_SET:
            variables["key"] = key
        return self.data(document, variables, version)["inventorySetQuantities"]

    def test_stale_change_from_applies_nothing(self):
        result = self.set(
            self.quantities(
                (self.items[0], 4, {"changeFromQuantity": 10}),
                (self.items[1], 9, {"changeFromQuantity": 3}),
            )
        )
        self.assertIsNone(result["inventoryAdjustmentGroup"])
        self.assertEqual(
            result["userErrors"],
            [
                {
                    "code": "CHANGE_FROM_QUANTITY_STALE",
                    "field": ["input", "quantities", "1", "changeFromQuantity"],
                    "message": "The changeFromQuantity value does not match persisted value.",
                }
            ],
        )
        self.assertEqual(
            self.sandbox.inventory(DOMAIN),
            {"CHAIR-BLK": {self.location_gid: 10}, "CHAIR-WHT": {self.location_gid: 0}},
        )

    def test_null_change_from_skips_the_check_and_missing_is_refused(self):
        ok = self.set(self.quantities((self.items[1], 9, {"changeFromQuantity": None})))
        self.assertEqual(ok["userErrors"], [])
        refused = self.set(self.quantities((self.items[1], 1, {})), key="key-2")
        self.assertEqual(refused["userErrors"][0]["field"][-1], "changeFromQuantity")
        self.assertEqual(self.sandbox.inventory(DOMAIN)["CHAIR-WHT"][self.location_gid], 9)

    def test_idempotent_replay_applies_once(self):
        quantities = self.quantities((self.items[0], 4, {"changeFromQuantity": 10}))
        first = self.set(quantities, key="replay")
        self.set_inventory_elsewhere(6)
        second = self.set(quantities, key="replay")
        self.assertEqual(first, second)
        self.assertEqual(self.sandbox.inventory(DOMAIN)["CHAIR-BLK"][self.location_gid], 6)
        mismatch = self.set(
            self.quantities((self.items[0], 5, {"changeFromQuantity": 6})), key="replay"
        )
        self.assertEqual(mismatch["userErrors"][0]["code"], "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")
        self.assertEqual(self.sandbox.inventory(DOMAIN)["CHAIR-BLK"][self.location_gid], 6)

    def set_inventory_elsewhere(self, available):
        self.sandbox.set_inventory(DOMAIN, "CHAIR-BLK", "Main warehouse", available)

    def test_invalid_item_location_reason_name(self):
        result = self.set(
            [
                {
                    "inventoryItemId": "gid://shopify/InventoryItem/1",
                    "locationId": self.location_gid,
                    "quantity": 1,
                    "changeFromQuantity": None,
                },
                {
                    "inventoryItemId": self.items[0],
                    "locationId": "gid://shopify/Location/1",
                    "quantity": 1,
                    "changeFromQuantity": None,
                },
            ],
            reason="because",
        )
        codes = [e["code"] for e in result["userErrors"]]
        self.assertEqual(codes, ["INVALID_REASON", "INVALID_INVENTORY_ITEM", "INVALID_LOCATION"])
        bad_name = self.set(
            self.quantities((self.items[0], 1, {"changeFromQuantity": None})),
            key="k9",
            name="committed",
        )
        self.assertEqual(bad_name["userErrors"][0]["code"], "INVALID_NAME")

    def test_version_2025_10_compare_quantity(self):
        stale = self.set(
            self.quantities((self.items[0], 4, {"compareQuantity": 3})),
            version="2025-10",
            document=INVENTORY_SET_2025_10,
        )
        self.assertEqual(stale["userErrors"][0]["code"], "COMPARE_QUANTITY_STALE")
        required = self.set(
            self.quantities((self.items[0], 4, {})),
            version="2025-10",
            document=INVENTORY_SET_2025_10,
        )
        self.assertEqual(required["userErrors"][0]["code"], "COMPARE_QUANTITY_REQUIRED")
        ignored = self.set(
            self.quantities((self.items[0], 4, {})),
            version="2025-10",
            document=INVENTORY_SET_2025_10,
            ignoreCompareQuantity=True,
        )
        self.assertEqual(ignored["userErrors"], [])
        fresh = self.set(
            self.quantities((self.items[0], 2, {"compareQuantity": 4})),
            version="2025-10",
            document=INVENTORY_SET_2025_10,
        )
        self.assertEqual(fresh["userErrors"], [])
        self.assertEqual(self.sandbox.inventory(DOMAIN)["CHAIR-BLK"][self.location_gid], 2)
        # 2025-10 knows neither the directive nor changeFromQuantity: a validation error.
        refused = self.graphql(queries.INVENTORY_SET, {"key": "k", "input": {}}, version="2025-10")
        self.assertIn("idempotent", refused.json()["errors"][0]["message"])

    def test_key_required_from_2026_04(self):
        document = INVENTORY_SET_2025_10
        for version, required in (("2026-01", False), ("2026-04", True)):
            body = self.graphql(
                document,
                {
                    "input": {
                        "name": "available",
                        "reason": "correction",
                        "quantities": self.quantities(
                            (self.items[1], 1, {"changeFromQuantity": None})
                        ),
                    }
                },
                version=version,
            ).json()
            self.assertEqual("errors" in body, required, body)
