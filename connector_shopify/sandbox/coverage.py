"""Which types the sandbox serves, and which of their fields it must answer.

A served type answers every scalar, enum and money field of Shopify's
published schema (of any supported version), every link to another served
type, and the value objects named in ``REQUIRED_OBJECTS``: from the store's
state where the store has the notion, else from a documented default
(``defaults.py``). Fields of other types keep answering "not emulated".
"""

from graphql import get_named_type, is_enum_type, is_scalar_type

SERVED_TYPES = (
    "Shop",
    "Location",
    "Product",
    "ProductVariant",
    "InventoryItem",
    "InventoryLevel",
    "InventoryAdjustmentGroup",
    "Order",
    "LineItem",
    "ShippingLine",
    "TaxLine",
    "Refund",
    "Return",
    "OrderTransaction",
    "Customer",
    "MailingAddress",
    "FulfillmentOrder",
    "Fulfillment",
    "WebhookSubscription",
    "AppInstallation",
    "BulkOperation",
    "DraftOrder",
)
MONEY_TYPES = {"MoneyV2", "MoneyBag"}
# Value objects a Shopify client commonly reads, answered although their type is not served.
REQUIRED_OBJECTS = {
    ("Shop", "shopAddress"),
    ("Location", "address"),
    ("Product", "options"),
    ("Product", "media"),
    ("ProductVariant", "media"),
    ("Order", "risk"),
    ("FulfillmentOrder", "supportedActions"),
    ("FulfillmentOrder", "fulfillmentHolds"),
    ("FulfillmentOrder", "destination"),
    ("AppInstallation", "accessScopes"),
}


def field_kind(type_name, field_name, field):
    """``scalar``, ``money``, ``link``, ``object`` (required value object) or None."""
    named = get_named_type(field.type)
    if is_scalar_type(named) or is_enum_type(named):
        return "scalar"
    if named.name in MONEY_TYPES:
        return "money"
    base = named.name.removesuffix("Connection")
    if base in SERVED_TYPES:
        return "link"
    if (type_name, field_name) in REQUIRED_OBJECTS:
        return "object"
    return None


def required_fields(schema):
    """``{type: {field: kind}}`` the sandbox must answer for one schema version."""
    required = {}
    for type_name in SERVED_TYPES:
        graphql_type = schema.get_type(type_name)
        if graphql_type is None:
            continue
        for field_name, field in graphql_type.fields.items():
            kind = field_kind(type_name, field_name, field)
            if kind:
                required.setdefault(type_name, {})[field_name] = kind
    return required
