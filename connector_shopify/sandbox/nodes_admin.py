"""The shop, its webhook subscriptions and the query root."""

from .store import gid, iso_z


class AdminNodes:
    """The shop, its webhook subscriptions and the query root."""

    def shop_node(self):
        shop = self.shop
        root = self.query_root()
        return {
            "__typename": "Shop",
            "id": gid("Shop", shop.id),
            "name": shop.name,
            "myshopifyDomain": shop.domain,
            "currencyCode": shop.currency,
            "taxesIncluded": shop.taxes_included,
            "ianaTimezone": "Etc/UTC",
            "timezoneAbbreviation": "UTC",
            "url": f"https://{shop.domain}",
            "createdAt": iso_z(shop.created_at),
            "updatedAt": iso_z(shop.created_at),
            "email": shop.email,
            "contactEmail": shop.email,
            "shopOwnerName": shop.owner_name,
            "taxShipping": shop.tax_shipping,
            "enabledPresentmentCurrencies": [shop.currency],
            "shipsToCountries": [shop.address["country_code"]],
            "storefrontUrl": f"https://{shop.domain}",
            "richTextEditorUrl": f"https://{shop.domain}/admin/apps/rich_text_editor",
            "shopAddress": self.shop_address_node(),
            # The deprecated connections on Shop answer what the query root answers.
            **{
                name: root[name]
                for name in (
                    "products",
                    "productVariants",
                    "orders",
                    "customers",
                    "locations",
                    "draftOrders",
                    "fulfillmentOrders",
                    "assignedFulfillmentOrders",
                    "inventoryItems",
                )
            },
        }

    def shop_address_node(self):
        shop = self.shop
        address = self.address_node(shop.address)
        address.update(__typename="ShopAddress", id=gid("ShopAddress", shop.id))
        return address

    def app_installation_node(self):
        shop = self.shop
        return {
            "__typename": "AppInstallation",
            "id": gid("AppInstallation", shop.id),
            "launchUrl": f"https://{shop.domain}/admin/apps/{shop.client_id}",
            "accessScopes": [
                {"__typename": "AccessScope", "handle": scope, "description": scope}
                for scope in shop.scopes
            ],
        }

    def subscription_node(self, subscription):
        return {
            "__typename": "WebhookSubscription",
            "id": gid("WebhookSubscription", subscription["id"]),
            "legacyResourceId": str(subscription["id"]),
            "topic": subscription["topic"],
            "uri": subscription["uri"],
            "callbackUrl": subscription["uri"],
            "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": subscription["uri"]},
            "includeFields": list(subscription["include_fields"]),
            "metafieldNamespaces": [],
            "format": subscription["format"],
            "filter": subscription["filter"],
            "name": subscription.get("name"),
            "createdAt": iso_z(subscription["created_at"]),
            "updatedAt": iso_z(subscription["updated_at"]),
        }
