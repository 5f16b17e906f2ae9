"""Values and helpers shared by the store's parts: ids, money, times, addresses."""

from datetime import timezone
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
DEFAULT_WEBHOOK_API_VERSION = "2026-10"
DEFAULT_SCOPES = (
    "read_orders,write_orders,read_products,write_products,read_inventory,write_inventory,"
    "read_locations,read_customers,read_fulfillments,write_fulfillments,"
    "read_merchant_managed_fulfillment_orders,write_merchant_managed_fulfillment_orders"
)
CLIENT_CREDENTIALS_TTL = 86399
FINANCIAL_STATUSES = {
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
}
CANCEL_REASONS = {"customer", "fraud", "inventory", "declined", "other", "staff"}
RESTOCK_TYPES = {"no_restock", "cancel", "return", "legacy_restock"}
COUNTRIES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "FR": "France",
    "BE": "Belgium",
    "DE": "Germany",
    "NL": "Netherlands",
    "ES": "Spain",
    "IT": "Italy",
}
US_STATES = {
    "CA": "California",
    "NY": "New York",
    "TX": "Texas",
    "WA": "Washington",
    "IL": "Illinois",
    "FL": "Florida",
    "MA": "Massachusetts",
    "OR": "Oregon",
    "CO": "Colorado",
    "GA": "Georgia",
    "PA": "Pennsylvania",
    "NJ": "New Jersey",
}
ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "city",
    "zip",
    "province_code",
    "country_code",
    "phone",
    "latitude",
    "longitude",
)


class SandboxError(Exception):
    """A control-API request the sandbox refuses (HTTP 400, or 404 when not found)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def money(value):
    """Decimal rounded to cents, the way Shopify stores amounts."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def money_str(value):
    return str(money(value))


def gid(kind, record_id):
    return f"gid://shopify/{kind}/{record_id}"


def parse_gid(value, kind=None):
    """(kind, id) of a GID, or None when it is not one (or of another kind)."""
    if not isinstance(value, str) or not value.startswith("gid://shopify/"):
        return None
    parts = value[len("gid://shopify/") :].split("/")
    if len(parts) != 2 or not parts[1].split("?")[0].isdigit():
        return None
    if kind and parts[0] != kind:
        return None
    return parts[0], int(parts[1].split("?")[0])


def iso_z(moment):
    """GraphQL DateTime: UTC with a Z, second precision."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def iso_offset(moment):
    """REST/webhook timestamp: ISO 8601 with a numeric offset, like Shopify's."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00") if moment else None


def _handle(title):
    return "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split())


def _tags(tags):
    if not tags:
        return []
    if isinstance(tags, str):
        tags = tags.split(",")
    return [tag.strip() for tag in tags if tag.strip()]


def _tax_line(tax, amount, taxes_included):
    rate = Decimal(str(tax.get("rate", 0)))
    if tax.get("price") is not None:
        price = money(tax["price"])
    elif taxes_included:
        price = money(amount * rate / (1 + rate))
    else:
        price = money(amount * rate)
    return {"title": tax.get("title", "Tax"), "rate": rate, "price": price}


def _rest_tax(tax):
    return {"title": tax["title"], "rate": float(tax["rate"]), "price": money_str(tax["price"])}


def _address(spec):
    if not spec:
        return None
    address = {key: spec.get(key) for key in ADDRESS_FIELDS}
    address["country_code"] = (spec.get("country_code") or "US").upper()
    return address


def _rest_address(address):
    if address is None:
        return None
    country = address["country_code"]
    province_code = address["province_code"]
    names = [part for part in (address["first_name"], address["last_name"]) if part]
    province = US_STATES.get(province_code) if country == "US" else None
    return {
        "first_name": address["first_name"],
        "last_name": address["last_name"],
        "name": " ".join(names) or None,
        "company": address["company"],
        "address1": address["address1"],
        "address2": address["address2"],
        "city": address["city"],
        "zip": address["zip"],
        "province": province or province_code,
        "province_code": province_code,
        "country": COUNTRIES.get(country, country),
        "country_code": country,
        "phone": address["phone"],
        "latitude": address["latitude"],
        "longitude": address["longitude"],
    }
