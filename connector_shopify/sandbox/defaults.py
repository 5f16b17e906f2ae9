"""The default resolver, and the documented defaults: what a served field
answers where the store has no such notion.

Each value is schema-valid and is what a plain store that never used the
feature shows on Shopify (no duties, no tips, no selling plans, no
publications, no B2B...). ``PROTOCOL.md`` lists them per type. Fields whose
value the store does hold are built by the node builders (``nodes_*.py``);
deprecated money scalars (``totalPrice``, ``amountV2``...) are derived from
their ``*Set`` bag by :func:`derived_money`.
"""

import copy

from graphql import GraphQLError, get_named_type


def zero_bag(source, info, **_):
    """A MoneyBag of zero in the record's currency."""
    value = {"amount": "0.0", "currencyCode": source.get("_currency") or "USD"}
    return {"shopMoney": value, "presentmentMoney": dict(value)}


def zero_money(source, info, **_):
    return {"amount": "0.0", "currencyCode": source.get("_currency") or "USD"}


def empty_connection(source, info, **_):
    return {
        "nodes": [],
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


NO_PUBLICATION = {
    "publicationCount": 0,
    "publishedOnChannel": False,
    "publishedOnCurrentChannel": False,
    "publishedOnCurrentPublication": False,
    "publishedOnPublication": False,
    "publishedInContext": False,
}

DEFAULTS = {
    "Shop": {
        "analyticsToken": "",
        "checkoutApiSupported": True,
        "customerAccounts": "OPTIONAL",
        "description": None,
        "marketingSmsConsentEnabledAtCheckout": False,
        "marketingEmailConsentEnabledAtCheckout": False,
        "orderNumberFormatPrefix": "#",
        "orderNumberFormatSuffix": "",
        "publicationCount": 0,
        "setupRequired": False,
        "timezoneOffset": "+0000",
        "timezoneOffsetMinutes": 0,
        "transactionalSmsDisabled": False,
        "unitSystem": "METRIC_SYSTEM",
        "weightUnit": "KILOGRAMS",
    },
    "Location": {
        "addressVerified": False,
        "isFulfillmentService": False,
        "deactivatedAt": None,
    },
    "Product": {
        **NO_PUBLICATION,
        "combinedListingRole": None,
        "customProductType": None,
        "giftCardTemplateSuffix": None,
        "hasVariantsThatRequiresComponents": False,
        "inCollection": False,
        "onlineStorePreviewUrl": None,
        "onlineStoreUrl": None,
        "productParents": empty_connection,
        "publishedAt": None,
        "requiresSellingPlan": False,
        "sellingPlanGroupCount": 0,
        "templateSuffix": None,
        "variantsInCollection": None,
        "media": empty_connection,
    },
    "ProductVariant": {
        **{k: v for k, v in NO_PUBLICATION.items() if k != "publishedInContext"},
        "productParents": empty_connection,
        "requiresComponents": False,
        "sellingPlanGroupCount": 0,
        "showUnitPrice": False,
        "taxCode": None,
        "unitPrice": None,
        "media": empty_connection,
    },
    "InventoryItem": {
        "countryCodeOfOrigin": None,
        "harmonizedSystemCode": None,
        "inventoryHistoryUrl": None,
        "provinceCodeOfOrigin": None,
        "unitCost": None,
    },
    "InventoryLevel": {"deactivationAlert": None},
    "Order": {
        "clientIp": None,
        "customerLocale": None,
        "currentTotalAdditionalFeesSet": None,
        "currentTotalDutiesSet": None,
        "originalTotalAdditionalFeesSet": None,
        "originalTotalDutiesSet": None,
        "dutiesIncluded": False,
        "estimatedTaxes": False,
        "hasTimelineComment": False,
        "landingPageDisplayText": None,
        "landingPageUrl": None,
        "merchantEditableErrors": [],
        "physicalLocation": None,
        "poNumber": None,
        "productNetwork": False,
        "referralCode": None,
        "referrerDisplayText": None,
        "referrerUrl": None,
        "registeredSourceUrl": None,
        "refundDiscrepancySet": zero_bag,
        "totalTipReceivedSet": zero_bag,
        "totalTipReceived": zero_money,
        "cartToken": None,
        "checkoutToken": None,
        "taxExempt": False,
        "test": False,
        "risk": {
            "__typename": "OrderRiskSummary",
            "assessments": [],
            "recommendation": "NONE",
        },
    },
    "LineItem": {
        "merchantEditable": True,
    },
    "ShippingLine": {
        "deliveryCategory": None,
        "isRemoved": False,
        "phone": None,
        "shippingRateHandle": None,
    },
    "TaxLine": {"source": "Shopify"},
    "OrderTransaction": {
        "accountNumber": None,
        "amountRoundingSet": None,
        "authorizationCode": None,
        "authorizationExpiresAt": None,
        "errorCode": None,
        "location": None,
        "manualPaymentGateway": True,
        "manuallyCapturable": False,
        "multiCapturable": False,
        "paymentId": None,
        "paymentMethod": None,
        "receiptJson": "{}",
        "settlementCurrency": None,
        "settlementCurrencyRate": None,
        "totalUnsettledSet": None,
        "totalUnsettled": None,
        "totalUnsettledV2": None,
    },
    "Customer": {
        "dataSaleOptOut": False,
        "hasTimelineComment": False,
        "multipassIdentifier": None,
        "productSubscriberStatus": "NEVER_SUBSCRIBED",
        "taxExemptions": [],
    },
    "MailingAddress": {
        "coordinatesValidated": False,
        "timeZone": None,
        "validationResultSummary": None,
    },
    "FulfillmentOrder": {
        "channelId": None,
        "fulfillAt": None,
        "fulfillBy": None,
        "fulfillmentHolds": [],
        "fulfillmentOrdersForMerge": empty_connection,
    },
    "Fulfillment": {
        "estimatedDeliveryAt": None,
    },
    "WebhookSubscription": {},
    "AppInstallation": {"uninstallUrl": None},
    "DraftOrder": {
        "acceptAutomaticDiscounts": None,
        "allowDiscountCodesInCheckout": False,
        "bypassCartValidations": None,
        "hasTimelineComment": False,
        "invoiceEmailTemplateSubject": "Complete your purchase",
        "marketName": "United States",
        "marketRegionCountryCode": "US",
        "poNumber": None,
        "reserveInventoryUntil": None,
        "transformerFingerprint": None,
        "visibleToCustomer": False,
        "taxExempt": False,
    },
    "Refund": {"return": None},
    "Return": {},
}


def derived_money(source, info):
    """A deprecated money field answered from the bag it was replaced by, or None."""
    field = info.parent_type.fields[info.field_name]
    named = get_named_type(field.type).name
    if named not in ("Money", "MoneyV2"):
        return None
    for bag_name in (info.field_name + "Set", info.field_name.removesuffix("V2") + "Set"):
        if bag_name in source:
            bag = source[bag_name]
            bag = bag(info) if callable(bag) else bag
            if bag is None:
                return {"value": None}
            shop_money = bag["shopMoney"]
            return {"value": shop_money["amount"] if named == "Money" else dict(shop_money)}
    return None


def default_value(source, info, **args):
    """``{"value": ...}`` when the field has a documented or derived default, else None."""
    type_name, field_name = info.parent_type.name, info.field_name
    derived = derived_money(source, info)
    if derived is not None:
        return derived
    table = DEFAULTS.get(type_name, {})
    if field_name not in table:
        return None
    value = table[field_name]
    return {"value": value(source, info, **args) if callable(value) else copy.deepcopy(value)}


def has_default(type_name, field_name, field, source_keys):
    """True when ``default_value`` would answer the field (for the schema walk)."""
    if field_name in DEFAULTS.get(type_name, {}):
        return True
    named = get_named_type(field.type).name
    if named in ("Money", "MoneyV2"):
        return any(
            bag in source_keys
            for bag in (field_name + "Set", field_name.removesuffix("V2") + "Set")
        )
    return False


def resolve_field(source, info, **args):
    """Default resolver: a key of the record dict, called when it is lazy.

    A field the builder left out answers its documented default
    (``defaults.py``); anything else is an error naming the field, never a
    null that would look like Shopify's answer.
    """
    if isinstance(source, dict):
        if info.field_name in source:
            value = source[info.field_name]
            return value(info, **args) if callable(value) else value
        if "__typename" in source:
            default = default_value(source, info, **args)
            if default is not None:
                return default["value"]
    raise GraphQLError(
        f"Field '{info.parent_type.name}.{info.field_name}' is not emulated by the Shopify sandbox",
        extensions={"code": "NOT_EMULATED_BY_SANDBOX"},
    )
