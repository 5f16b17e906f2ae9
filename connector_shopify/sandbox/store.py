"""In-memory state of the emulated Shopify shops, and the business rules on it.

The GraphQL resolvers, the control API and the Python helpers all go through
the methods here, under one lock, so a shop always moves from one coherent
state to the next (an order, its fulfillment orders and its stock together).
"""

import copy
import itertools
import random
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from .store_base import (  # noqa: F401 (re-exported: the store's public names)
    ADDRESS_FIELDS,
    CANCEL_REASONS,
    CENT,
    CLIENT_CREDENTIALS_TTL,
    COUNTRIES,
    DEFAULT_SCOPES,
    DEFAULT_WEBHOOK_API_VERSION,
    FINANCIAL_STATUSES,
    RESTOCK_TYPES,
    US_STATES,
    SandboxError,
    _address,
    _handle,
    _rest_address,
    _rest_tax,
    _tags,
    _tax_line,
    gid,
    iso_offset,
    iso_z,
    money,
    money_str,
    parse_gid,
)
from .store_changes import StoreChanges


class Bucket:
    """Shopify's leaky bucket of query-cost points for one app on one shop."""

    def __init__(self, maximum=2000, restore_rate=100):
        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self._available = float(maximum)
        self._at = time.monotonic()

    def available(self):
        now = time.monotonic()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now
        return self._available

    def take(self, points):
        self.available()
        self._available -= points

    def give_back(self, points):
        self.available()
        self._available = min(self.maximum, self._available + points)

    def set(self, maximum=None, restore_rate=None, available=None):
        self.available()
        if maximum is not None:
            self.maximum = float(maximum)
            self._available = min(self._available, self.maximum)
        if restore_rate is not None:
            self.restore_rate = float(restore_rate)
        if available is not None:
            self._available = min(float(available), self.maximum)

    def status(self):
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": int(self.available()),
            "restoreRate": self.restore_rate,
        }


class Faults:
    """Switches that make the next calls or deliveries misbehave on purpose.

    The ``*_next`` counters hit the next calls; the rates hit a random share
    of all calls (``fault_seed`` makes the draw repeatable).
    """

    def __init__(self):
        self.throttle_next = 0
        self.fail_next = 0
        self.fail_status = 503
        self.hang_next = 0
        self.hang_seconds = 0.0
        self.throttle_rate = 0.0
        self.error_rate = 0.0
        self.error_statuses = [429, 500, 502, 503, 504]
        self.fault_seed = None
        self.webhook_duplicate = False
        self.webhook_reorder = False
        self.webhook_fail_next = 0
        self.webhook_drop_first_attempt = False
        self.webhook_lose = False
        # How long a bulk operation stays CREATED before it runs (a big shop's wait).
        self.bulk_seconds = 0.0
        # How long a bulk query takes per page of its top connection (a big shop's pace).
        self.bulk_page_seconds = 0.0
        self._random = random.Random()

    def reseed(self):
        self._random = random.Random(self.fault_seed)

    def roll(self, rate):
        """True for a share ``rate`` of the calls (the caller holds the store lock)."""
        return bool(rate) and self._random.random() < float(rate)

    def error_status(self):
        return int(self._random.choice(self.error_statuses or [503]))

    def as_dict(self):
        return {key: value for key, value in vars(self).items() if not key.startswith("_")}


class Shop:
    """One store with one installed custom app (the connector)."""

    def __init__(self, store, domain, **options):
        self.id = store.next_id()
        self.domain = domain
        self.name = options.get("name") or domain.split(".")[0].replace("-", " ").title()
        self.currency = options.get("currency") or "USD"
        self.taxes_included = bool(options.get("taxes_included", False))
        self.tax_shipping = bool(options.get("tax_shipping", False))
        self.email = options.get("email") or f"owner@{domain}"
        self.owner_name = options.get("owner_name") or "Shop Owner"
        self.address = _address(options.get("address") or {"country_code": "US"})
        self.scopes = [s for s in (options.get("scopes") or DEFAULT_SCOPES).split(",") if s]
        self.client_id = options.get("client_id") or f"client-{secrets.token_hex(8)}"
        self.client_secret = options.get("client_secret") or secrets.token_hex(16)
        self.webhook_api_version = options.get("webhook_api_version") or DEFAULT_WEBHOOK_API_VERSION
        self.installed = True
        self.tokens = {}  # token -> expiry (monotonic seconds) or None
        if options.get("access_token"):
            self.tokens[options["access_token"]] = None
        self.authorization_codes = set()
        bucket = options.get("bucket") or {}
        self.bucket = Bucket(bucket.get("maximum", 2000), bucket.get("restore_rate", 100))
        # Shopify refuses any single query above 1000 points; raisable only to
        # look at a too-expensive document's data anyway.
        self.max_query_cost = int(bucket.get("max_query_cost", 1000))
        self.locations = {}
        self.products = {}
        self.variants = {}
        self.items = {}
        self.levels = {}  # (item id, location id) -> available
        self.customers = {}
        self.orders = {}
        self.fulfillment_orders = {}
        self.fulfillments = {}
        self.refunds = {}
        self.returns = {}
        self.draft_orders = {}
        self.adjustment_groups = {}
        self.subscriptions = {}
        self.calls = []
        self.deliveries = []
        self.idempotency = {}
        self.faults = Faults()
        self.order_numbers = itertools.count(store.first_order_number)
        self.created_at = store.now()


class Store(StoreChanges):
    """Every shop of one sandbox, with its id counter, clock and event hook."""

    def __init__(self, first_id=1_000_001, first_order_number=1001):
        self.lock = threading.RLock()
        self.shops = {}
        # A long-lived demo passes time-based starts, so ids stay unique across
        # restarts of the sandbox, as Shopify's do.
        self._ids = itertools.count(first_id)
        self.first_order_number = first_order_number
        self._last_moment = None
        self.emit = lambda shop, topic, payload: None  # set by the webhook dispatcher

    # ------------------------------------------------------------ basics
    def next_id(self):
        return next(self._ids)

    def now(self, after=None):
        """Current time at second precision, never before the previous one and
        strictly after ``after`` (the object's own last change).

        Shopify's ``updated_at`` only moves forward, so two changes of one
        object in the same second get consecutive seconds. Changes of
        different objects may share a second, as on Shopify: the clock does not
        run ahead of real time under a burst of orders (a window ending
        "now" would miss them).
        """
        moment = datetime.now(timezone.utc).replace(microsecond=0)
        if self._last_moment and moment < self._last_moment:
            moment = self._last_moment
        if after and moment <= after:
            moment = after + timedelta(seconds=1)
        self._last_moment = moment
        return moment

    def shop(self, domain):
        shop = self.shops.get(domain)
        if shop is None:
            raise SandboxError(f"unknown shop {domain}", status=404)
        return shop

    def reset(self):
        with self.lock:
            self.shops.clear()

    # ------------------------------------------------------------ shops
    def create_shop(self, domain, **options):
        with self.lock:
            if not domain:
                raise SandboxError("domain is required")
            if domain in self.shops:
                raise SandboxError(f"shop {domain} already exists")
            shop = Shop(self, domain, **options)
            self.shops[domain] = shop
            for name in options.get("locations") or []:
                self.add_location(domain, name)
            return self.shop_info(shop)

    def shop_info(self, shop):
        return {
            "id": shop.id,
            "domain": shop.domain,
            "name": shop.name,
            "currency": shop.currency,
            "taxes_included": shop.taxes_included,
            "client_id": shop.client_id,
            "client_secret": shop.client_secret,
            "access_tokens": list(shop.tokens),
            "installed": shop.installed,
            "webhook_api_version": shop.webhook_api_version,
            "locations": [self.location_info(loc) for loc in shop.locations.values()],
        }

    def rest_shop(self, shop):
        """The shop as the app/uninstalled webhook sends it (contract fields)."""
        return {
            "id": shop.id,
            "name": shop.name,
            "domain": shop.domain,
            "myshopify_domain": shop.domain,
        }

    def token_valid(self, shop, token):
        if not shop.installed or token not in shop.tokens:
            return False
        expiry = shop.tokens[token]
        return expiry is None or expiry > time.monotonic()

    def issue_token(self, shop, ttl=None):
        token = f"shpat_{secrets.token_hex(16)}"
        shop.tokens[token] = time.monotonic() + ttl if ttl else None
        return token

    def issue_authorization_code(self, domain):
        with self.lock:
            shop = self.shop(domain)
            code = secrets.token_hex(16)
            shop.authorization_codes.add(code)
            return code

    def revoke_tokens(self, domain):
        with self.lock:
            shop = self.shop(domain)
            revoked = len(shop.tokens)
            shop.tokens.clear()
            return {"revoked": revoked}

    def uninstall(self, domain):
        """Tell the subscribers first (like Shopify), then forget tokens and subscriptions."""
        with self.lock:
            shop = self.shop(domain)
            self.emit(shop, "APP_UNINSTALLED", self.rest_shop(shop))
            shop.tokens.clear()
            shop.subscriptions.clear()
            shop.installed = False
            return {"uninstalled": True}

    def install(self, domain, access_token=None):
        with self.lock:
            shop = self.shop(domain)
            shop.installed = True
            if access_token:
                shop.tokens[access_token] = None
            return self.shop_info(shop)

    def set_bucket(
        self, domain, maximum=None, restore_rate=None, available=None, max_query_cost=None
    ):
        with self.lock:
            shop = self.shop(domain)
            shop.bucket.set(maximum, restore_rate, available)
            if max_query_cost is not None:
                shop.max_query_cost = int(max_query_cost)
            return {**shop.bucket.status(), "maxQueryCost": shop.max_query_cost}

    def set_faults(self, domain, **faults):
        with self.lock:
            shop = self.shop(domain)
            names = {
                "throttle_next": "throttle_next",
                "fail_next": "fail_next",
                "status": "fail_status",
                "hang_next": "hang_next",
                "hang_seconds": "hang_seconds",
                "throttle_rate": "throttle_rate",
                "error_rate": "error_rate",
                "error_statuses": "error_statuses",
                "fault_seed": "fault_seed",
                "webhook_duplicate": "webhook_duplicate",
                "webhook_reorder": "webhook_reorder",
                "webhook_fail_next": "webhook_fail_next",
                "webhook_drop_first_attempt": "webhook_drop_first_attempt",
                "drop_first_attempt": "webhook_drop_first_attempt",
                "webhook_lose": "webhook_lose",
                "lose": "webhook_lose",
                "duplicate": "webhook_duplicate",
                "reorder": "webhook_reorder",
                "bulk_seconds": "bulk_seconds",
                "bulk_page_seconds": "bulk_page_seconds",
            }
            for key, value in faults.items():
                if key not in names:
                    raise SandboxError(f"unknown fault {key}")
                setattr(shop.faults, names[key], value)
            if "fault_seed" in faults:
                shop.faults.reseed()
            return shop.faults.as_dict()

    # ------------------------------------------------------------ locations
    def add_location(self, domain, name, active=True, fulfills_online_orders=True, address=None):
        with self.lock:
            shop = self.shop(domain)
            if not name:
                raise SandboxError("location name is required")
            location = {
                "id": self.next_id(),
                "name": name,
                "active": bool(active),
                "fulfills_online_orders": bool(fulfills_online_orders),
                "address": _address(address),
                "created_at": self.now(),
            }
            shop.locations[location["id"]] = location
            return self.location_info(location)

    def location_info(self, location):
        return {
            "id": location["id"],
            "admin_graphql_api_id": gid("Location", location["id"]),
            "name": location["name"],
            "active": location["active"],
        }

    def find_location(self, shop, ref):
        """A location by id, GID or name (control API convenience)."""
        if ref is None:
            return self.first_location(shop)
        parsed = parse_gid(ref, "Location")
        if parsed:
            return shop.locations.get(parsed[1])
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return shop.locations.get(int(ref))
        return next((loc for loc in shop.locations.values() if loc["name"] == ref), None)

    def first_location(self, shop):
        return next((loc for loc in shop.locations.values() if loc["active"]), None)

    # ------------------------------------------------------------ catalogue
    def add_product(self, domain, title, variants=None, handle=None, **fields):
        with self.lock:
            shop = self.shop(domain)
            product = self._new_product(shop, title, handle)
            for key in ("vendor", "product_type", "description_html", "status"):
                if fields.get(key) is not None:
                    product[key] = fields[key]
            product["tags"] = _tags(fields.get("tags"))
            for spec in variants or [{}]:
                variant = self._new_variant(
                    shop,
                    product,
                    sku=spec.get("sku"),
                    price=spec.get("price", "0.00"),
                    title=spec.get("title") or "Default Title",
                    options=spec.get("options"),
                )
                for ref, qty in (spec.get("inventory") or {}).items():
                    location = self.find_location(shop, ref)
                    if location is None:
                        raise SandboxError(f"unknown location {ref}")
                    self.set_level(shop, variant["inventory_item_id"], location["id"], int(qty))
            self.emit(shop, "PRODUCTS_CREATE", self.rest_product(shop, product))
            return self.product_info(shop, product)

    def _new_product(self, shop, title, handle=None):
        product = {
            "id": self.next_id(),
            "title": title or "Untitled product",
            "handle": handle or _handle(title or "product"),
            "status": "ACTIVE",
            "vendor": shop.name,
            "product_type": "",
            "description_html": "",
            "tags": [],
            "options": [],
            "variant_ids": [],
            "created_at": self.now(),
        }
        product["updated_at"] = product["created_at"]
        shop.products[product["id"]] = product
        return product

    def _new_variant(self, shop, product, sku, price, title, options=None):
        variant = {
            "id": self.next_id(),
            "product_id": product["id"],
            "sku": sku or "",
            "price": money(price or 0),
            "title": title,
            "options": options or [{"name": "Title", "value": title}],
            "inventory_item_id": self.next_id(),
            "created_at": self.now(),
        }
        variant["updated_at"] = variant["created_at"]
        shop.variants[variant["id"]] = variant
        product["variant_ids"].append(variant["id"])
        shop.items[variant["inventory_item_id"]] = {
            "id": variant["inventory_item_id"],
            "variant_id": variant["id"],
            "tracked": True,
            "created_at": variant["created_at"],
        }
        # A new variant is stocked at every active location, at zero.
        for location in shop.locations.values():
            if location["active"]:
                shop.levels.setdefault((variant["inventory_item_id"], location["id"]), 0)
        return variant

    def _drop_variant(self, shop, variant):
        product = shop.products[variant["product_id"]]
        product["variant_ids"].remove(variant["id"])
        shop.variants.pop(variant["id"], None)
        shop.items.pop(variant["inventory_item_id"], None)
        for key in [k for k in shop.levels if k[0] == variant["inventory_item_id"]]:
            del shop.levels[key]

    def product_info(self, shop, product):
        return {
            "id": product["id"],
            "admin_graphql_api_id": gid("Product", product["id"]),
            "title": product["title"],
            "handle": product["handle"],
            "variants": [
                {
                    "id": variant["id"],
                    "admin_graphql_api_id": gid("ProductVariant", variant["id"]),
                    "sku": variant["sku"],
                    "price": money_str(variant["price"]),
                    "title": variant["title"],
                    "inventory_item_id": variant["inventory_item_id"],
                    "inventory_item_gid": gid("InventoryItem", variant["inventory_item_id"]),
                }
                for variant in (shop.variants[v] for v in product["variant_ids"])
            ],
        }

    def variant_by_sku(self, shop, sku):
        return next((v for v in shop.variants.values() if v["sku"] == sku), None)

    # ------------------------------------------------------------ inventory
    def committed(self, shop, item_id, location_id):
        """Units sold but not shipped: what Shopify calls ``committed``."""
        item = shop.items.get(item_id)
        if not item:
            return 0
        total = 0
        for fulfillment_order in shop.fulfillment_orders.values():
            if fulfillment_order["location_id"] != location_id:
                continue
            if fulfillment_order["status"] in ("CLOSED", "CANCELLED"):
                continue
            for line in fulfillment_order["line_items"]:
                if line["variant_id"] == item["variant_id"]:
                    total += line["remaining_quantity"]
        return total

    def quantity(self, shop, item_id, location_id, name):
        available = shop.levels.get((item_id, location_id))
        if available is None:
            return None
        committed = self.committed(shop, item_id, location_id)
        values = {
            "available": available,
            "committed": committed,
            "on_hand": available + committed,
            "incoming": 0,
            "reserved": 0,
            "damaged": 0,
            "safety_stock": 0,
            "quality_control": 0,
        }
        return values.get(name, 0)

    def inventory(self, domain):
        with self.lock:
            shop = self.shop(domain)
            result = {}
            for (item_id, location_id), available in sorted(shop.levels.items()):
                variant = shop.variants[shop.items[item_id]["variant_id"]]
                result.setdefault(variant["sku"], {})[gid("Location", location_id)] = available
            return result

    def set_inventory(self, domain, sku, location=None, available=0):
        """A change made on Shopify's side (a sale in a shop, a manual count)."""
        with self.lock:
            shop = self.shop(domain)
            variant = self.variant_by_sku(shop, sku)
            if variant is None:
                raise SandboxError(f"unknown sku {sku}", status=404)
            found = self.find_location(shop, location)
            if found is None:
                raise SandboxError(f"unknown location {location}", status=404)
            self.set_level(shop, variant["inventory_item_id"], found["id"], int(available))
            return {"sku": sku, "location": gid("Location", found["id"]), "available": available}

    def _move_stock(self, shop, variant_id, location, delta):
        if variant_id is None or location is None or variant_id not in shop.variants:
            return
        item_id = shop.variants[variant_id]["inventory_item_id"]
        self.set_level(
            shop, item_id, location["id"], shop.levels.get((item_id, location["id"]), 0) + delta
        )

    def set_level(self, shop, item_id, location_id, available):
        """Every change of an available quantity, whatever made it: stored,
        and told to the ``inventory_levels/update`` subscribers (lock held)."""
        key = (item_id, location_id)
        if shop.levels.get(key) == available:
            return
        shop.levels[key] = available
        self.emit(
            shop,
            "INVENTORY_LEVELS_UPDATE",
            {
                "inventory_item_id": item_id,
                "location_id": location_id,
                "available": available,
                "updated_at": iso_offset(self.now()),
                "admin_graphql_api_id": gid("InventoryLevel", location_id)
                + f"?inventory_item_id={item_id}",
            },
        )

    # ------------------------------------------------------------ customers
    def add_customer(self, domain, **fields):
        with self.lock:
            return self.rest_customer(self._customer(self.shop(domain), fields))

    def _customer(self, shop, fields):
        email = fields.get("email")
        if email:
            existing = next((c for c in shop.customers.values() if c["email"] == email), None)
            if existing:
                return existing
        moment = self.now()
        customer = {
            "id": self.next_id(),
            "email": email,
            "first_name": fields.get("first_name"),
            "last_name": fields.get("last_name"),
            "phone": fields.get("phone"),
            "note": fields.get("note"),
            "tags": _tags(fields.get("tags")),
            "address": _address(fields.get("address")),
            "created_at": moment,
            "updated_at": moment,
        }
        shop.customers[customer["id"]] = customer
        self.emit(shop, "CUSTOMERS_CREATE", self.rest_customer(customer))
        return customer

    def rest_customer(self, customer):
        if customer is None:
            return None
        return {
            "id": customer["id"],
            "email": customer["email"],
            "first_name": customer["first_name"],
            "last_name": customer["last_name"],
            "phone": customer["phone"],
            "created_at": iso_offset(customer["created_at"]),
            "updated_at": iso_offset(customer["updated_at"]),
            "state": "disabled",
            "note": customer["note"],
            "verified_email": True,
            "tax_exempt": False,
            "tags": ", ".join(customer["tags"]),
            "currency": None,
            "admin_graphql_api_id": gid("Customer", customer["id"]),
        }

    # ------------------------------------------------------------ orders
    def create_order(self, domain, **spec):
        with self.lock:
            shop = self.shop(domain)
            if not spec.get("lines"):
                raise SandboxError("an order needs lines")
            status = spec.get("financial_status", "paid")
            if status not in FINANCIAL_STATUSES:
                raise SandboxError(f"unknown financial_status {status}")
            customer = None
            if spec.get("customer_id"):
                customer = shop.customers.get(int(spec["customer_id"]))
                if customer is None:
                    raise SandboxError(f"unknown customer {spec['customer_id']}")
            elif spec.get("customer"):
                customer = self._customer(shop, spec["customer"])
            moment = self.now()
            number = next(shop.order_numbers)
            order = {
                "id": self.next_id(),
                "number": number,
                "name": f"#{number}",
                "email": spec.get("email") or (customer and customer["email"]),
                "phone": spec.get("phone"),
                "created_at": moment,
                "updated_at": moment,
                "cancelled_at": None,
                "cancel_reason": None,
                "currency": spec.get("currency") or shop.currency,
                "financial_status": status,
                "taxes_included": bool(spec.get("taxes_included", shop.taxes_included)),
                "note": spec.get("note"),
                "tags": _tags(spec.get("tags")),
                "source_name": spec.get("source_name") or "web",
                "source_identifier": spec.get("source_identifier"),
                "return_ids": [],
                "discount_codes": [
                    {
                        "code": code["code"],
                        "amount": money_str(code.get("amount", 0)),
                        "type": code.get("type", "fixed_amount"),
                    }
                    for code in spec.get("discount_codes") or []
                ],
                "customer_id": customer and customer["id"],
                "billing_address": _address(spec.get("billing_address")),
                "shipping_address": _address(spec.get("shipping_address")),
                "line_items": [],
                "shipping_lines": [],
                "refund_ids": [],
                "fulfillment_order_ids": [],
            }
            order["line_items"] = [self._line_item(shop, order, line) for line in spec["lines"]]
            order["shipping_lines"] = [
                self._shipping_line(order, line) for line in spec.get("shipping_lines") or []
            ]
            order["transactions"] = self.payment_transactions(order, moment, self.next_id)
            shop.orders[order["id"]] = order
            location = self.first_location(shop)
            for line in order["line_items"]:
                self._move_stock(shop, line["variant_id"], location, -line["quantity"])
            self._open_fulfillment_order(shop, order, location)
            self.emit(shop, "ORDERS_CREATE", self.rest_order(shop, order))
            return self.rest_order(shop, order)

    def _line_item(self, shop, order, line, line_id=None):
        sku = line.get("sku")
        variant = self.variant_by_sku(shop, sku) if sku else None
        if line.get("variant_id"):
            variant = shop.variants.get(int(line["variant_id"]))
        quantity = int(line.get("quantity", 1))
        if quantity <= 0:
            raise SandboxError("line quantity must be positive")
        if variant is None and line.get("price") is None:
            raise SandboxError(f"sku {sku!r} is not in the catalogue: give the line a price")
        price = money(line["price"] if line.get("price") is not None else variant["price"])
        product = shop.products.get(variant["product_id"]) if variant else None
        title = line.get("title") or (product["title"] if product else f"Custom item {sku}")
        variant_title = (
            variant["title"] if variant and variant["title"] != "Default Title" else None
        )
        discount = money(line.get("discount") or 0)
        taxable_amount = price * quantity - discount
        tax_lines = [
            _tax_line(tax, taxable_amount, order["taxes_included"])
            for tax in line.get("tax_lines") or []
        ]
        return {
            "id": line_id or self.next_id(),
            "variant_id": variant and variant["id"],
            "product_id": product and product["id"],
            "sku": sku if sku is not None else (variant and variant["sku"]),
            "title": title,
            "variant_title": variant_title,
            "name": f"{title} - {variant_title}" if variant_title else title,
            "vendor": product and product["vendor"],
            "quantity": quantity,
            "price": price,
            "requires_shipping": bool(line.get("requires_shipping", True)),
            "taxable": bool(line.get("taxable", True)),
            "grams": int(line.get("grams", 0)),
            "discount": discount,
            "tax_lines": tax_lines,
            "refunded_quantity": 0,
        }

    def _shipping_line(self, order, line):
        price = money(line.get("price", 0))
        return {
            "id": self.next_id(),
            "code": line.get("code") or line.get("title") or "Standard",
            "title": line.get("title") or line.get("code") or "Standard",
            "price": price,
            "source": line.get("source", "shopify"),
            "tax_lines": [
                _tax_line(tax, price, order["taxes_included"])
                for tax in line.get("tax_lines") or []
            ],
        }

    def _open_fulfillment_order(self, shop, order, location):
        lines = [line for line in order["line_items"] if line["requires_shipping"]]
        if not lines or location is None:
            return
        fulfillment_order = {
            "id": self.next_id(),
            "order_id": order["id"],
            "location_id": location["id"],
            "status": "OPEN",
            "created_at": order["created_at"],
            "updated_at": order["created_at"],
            "line_items": [
                {
                    "id": self.next_id(),
                    "line_item_id": line["id"],
                    "variant_id": line["variant_id"],
                    "sku": line["sku"],
                    "total_quantity": line["quantity"],
                    "remaining_quantity": line["quantity"],
                }
                for line in lines
            ],
        }
        shop.fulfillment_orders[fulfillment_order["id"]] = fulfillment_order
        order["fulfillment_order_ids"].append(fulfillment_order["id"])

    def order(self, shop, order_id):
        order = shop.orders.get(int(order_id))
        if order is None:
            raise SandboxError(f"unknown order {order_id}", status=404)
        return order

    def touch(self, shop, order):
        order["updated_at"] = self.now(after=order["updated_at"])
        self.emit(shop, "ORDERS_UPDATED", self.rest_order(shop, order))

    def update_order(self, domain, order_id, **changes):
        with self.lock:
            shop = self.shop(domain)
            order = self.order(shop, order_id)
            for key in ("note", "email", "phone"):
                if key in changes:
                    order[key] = changes[key]
            if "tags" in changes:
                order["tags"] = _tags(changes["tags"])
            for key in ("shipping_address", "billing_address"):
                if key in changes:
                    order[key] = _address(changes[key])
            if "financial_status" in changes:
                if changes["financial_status"] not in FINANCIAL_STATUSES:
                    raise SandboxError(f"unknown financial_status {changes['financial_status']}")
                order["financial_status"] = changes["financial_status"]
            if "lines" in changes:
                self._replace_lines(shop, order, changes["lines"])
            if "shipping_lines" in changes:
                order["shipping_lines"] = [
                    self._shipping_line(order, line) for line in changes["shipping_lines"]
                ]
            self.touch(shop, order)
            return self.rest_order(shop, order)

    def _replace_lines(self, shop, order, lines):
        """An order edit: lines matched by sku keep their id, stock follows the delta."""
        if order["cancelled_at"]:
            raise SandboxError("a cancelled order cannot be edited")
        location = self.first_location(shop)
        old_by_sku = {line["sku"]: line for line in order["line_items"]}
        new_lines = []
        for spec in lines:
            old = old_by_sku.pop(spec.get("sku"), None)
            line = self._line_item(shop, order, spec, line_id=old and old["id"])
            delta = line["quantity"] - (old["quantity"] if old else 0)
            self._move_stock(shop, line["variant_id"], location, -delta)
            new_lines.append(line)
        for removed in old_by_sku.values():
            self._move_stock(shop, removed["variant_id"], location, removed["quantity"])
        order["line_items"] = new_lines
        fulfilled = self._fulfilled_by_line(shop, order)
        fulfillment_orders = [shop.fulfillment_orders[i] for i in order["fulfillment_order_ids"]]
        open_orders = [fo for fo in fulfillment_orders if fo["status"] != "CLOSED"]
        target = open_orders[0] if open_orders else None
        for fulfillment_order in open_orders:
            fulfillment_order["line_items"] = [
                fo_line
                for fo_line in fulfillment_order["line_items"]
                if any(line["id"] == fo_line["line_item_id"] for line in new_lines)
            ]
        for line in new_lines:
            if not line["requires_shipping"]:
                continue
            remaining = max(line["quantity"] - fulfilled.get(line["id"], 0), 0)
            fo_line = next(
                (
                    fo_line
                    for fo in open_orders
                    for fo_line in fo["line_items"]
                    if fo_line["line_item_id"] == line["id"]
                ),
                None,
            )
            if fo_line:
                fo_line["total_quantity"] = line["quantity"]
                fo_line["remaining_quantity"] = remaining
            elif remaining:
                if target is None:
                    self._open_fulfillment_order(shop, order, location)
                    target = shop.fulfillment_orders[order["fulfillment_order_ids"][-1]]
                    target["line_items"] = []
                target["line_items"].append(
                    {
                        "id": self.next_id(),
                        "line_item_id": line["id"],
                        "variant_id": line["variant_id"],
                        "sku": line["sku"],
                        "total_quantity": line["quantity"],
                        "remaining_quantity": remaining,
                    }
                )
        for fulfillment_order in open_orders:
            self._refresh_fulfillment_status(fulfillment_order)

    def _fulfilled_by_line(self, shop, order):
        fulfilled = {}
        for fulfillment in shop.fulfillments.values():
            if fulfillment["order_id"] != order["id"]:
                continue
            for line in fulfillment["line_items"]:
                fulfilled[line["line_item_id"]] = (
                    fulfilled.get(line["line_item_id"], 0) + line["quantity"]
                )
        return fulfilled

    @staticmethod
    def _refresh_fulfillment_status(fulfillment_order):
        remaining = sum(line["remaining_quantity"] for line in fulfillment_order["line_items"])
        total = sum(line["total_quantity"] for line in fulfillment_order["line_items"])
        if remaining == 0:
            fulfillment_order["status"] = "CLOSED"
        elif remaining < total:
            fulfillment_order["status"] = "IN_PROGRESS"
        else:
            fulfillment_order["status"] = "OPEN"

    def cancel_order(self, domain, order_id, reason="other", restock=True):
        with self.lock:
            shop = self.shop(domain)
            order = self.order(shop, order_id)
            if order["cancelled_at"]:
                raise SandboxError("order is already cancelled")
            reason = reason or "other"
            if reason not in CANCEL_REASONS:
                raise SandboxError(f"unknown cancel reason {reason}")
            order["cancelled_at"] = self.now(after=order["updated_at"])
            order["cancel_reason"] = reason
            if order["financial_status"] in ("pending", "authorized"):
                order["financial_status"] = "voided"
            for fo_id in order["fulfillment_order_ids"]:
                fulfillment_order = shop.fulfillment_orders[fo_id]
                if fulfillment_order["status"] == "CLOSED":
                    continue
                location = shop.locations.get(fulfillment_order["location_id"])
                for fo_line in fulfillment_order["line_items"]:
                    if restock:
                        self._move_stock(
                            shop, fo_line["variant_id"], location, fo_line["remaining_quantity"]
                        )
                    fo_line["remaining_quantity"] = 0
                fulfillment_order["status"] = "CLOSED"
            order["updated_at"] = order["cancelled_at"]
            self.emit(shop, "ORDERS_CANCELLED", self.rest_order(shop, order))
            self.touch(shop, order)
            return self.rest_order(shop, order)

    # ------------------------------------------------------------ refunds
    def refund_order(self, domain, order_id, lines=None, shipping_amount=None, note=None):
        with self.lock:
            shop = self.shop(domain)
            order = self.order(shop, order_id)
            location = self.first_location(shop)
            moment = self.now(after=order["updated_at"])
            refund = {
                "id": self.next_id(),
                "order_id": order["id"],
                "created_at": moment,
                "note": note,
                "lines": [],
                "transactions": [],
                "adjustments": [],
            }
            planned = []
            for spec in lines or []:
                line = self._find_line(order, spec)
                quantity = int(spec.get("quantity", 1))
                if quantity <= 0 or quantity > line["quantity"] - line["refunded_quantity"]:
                    raise SandboxError(f"cannot refund {quantity} of line {line['id']}")
                restock_type = spec.get("restock_type", "no_restock")
                if restock_type not in RESTOCK_TYPES:
                    raise SandboxError(f"unknown restock_type {restock_type}")
                planned.append((line, quantity, restock_type))
            total = Decimal(0)
            for line, quantity, restock_type in planned:
                share = Decimal(quantity) / Decimal(line["quantity"])
                net = line["price"] * line["quantity"] - line["discount"]
                tax = sum((tax["price"] for tax in line["tax_lines"]), Decimal(0))
                subtotal = money(net * share)
                line_tax = money(tax * share)
                total += subtotal if order["taxes_included"] else subtotal + line_tax
                line["refunded_quantity"] += quantity
                restocked = restock_type != "no_restock"
                if restocked:
                    self._move_stock(shop, line["variant_id"], location, quantity)
                self._remove_from_fulfillment(shop, order, line, quantity)
                refund["lines"].append(
                    {
                        "id": self.next_id(),
                        "line_item_id": line["id"],
                        "quantity": quantity,
                        "restock_type": restock_type,
                        "location_id": location["id"] if restocked and location else None,
                        "subtotal": subtotal,
                        "total_tax": line_tax,
                    }
                )
            if shipping_amount:
                shipping = money(shipping_amount)
                total += shipping
                refund["adjustments"].append(
                    {
                        "id": self.next_id(),
                        "order_id": order["id"],
                        "refund_id": refund["id"],
                        "amount": -shipping,
                        "tax_amount": money(0),
                        "kind": "shipping_refund",
                        "reason": "Shipping refund",
                    }
                )
            if total > 0:
                refund["transactions"].append(
                    {
                        "id": self.next_id(),
                        "order_id": order["id"],
                        "kind": "refund",
                        "gateway": "manual",
                        "status": "success",
                        "amount": money(total),
                        "currency": order["currency"],
                        "created_at": moment,
                    }
                )
            shop.refunds[refund["id"]] = refund
            order["refund_ids"].append(refund["id"])
            refunded = sum(
                (
                    txn["amount"]
                    for refund_id in order["refund_ids"]
                    for txn in shop.refunds[refund_id]["transactions"]
                ),
                Decimal(0),
            )
            if refunded > 0:
                totals = self.totals(order)
                order["financial_status"] = (
                    "refunded" if refunded >= totals["total_price"] else "partially_refunded"
                )
            self.emit(shop, "REFUNDS_CREATE", self.rest_refund(shop, refund))
            self.touch(shop, order)
            return self.rest_refund(shop, refund)

    @staticmethod
    def _find_line(order, spec):
        for line in order["line_items"]:
            if spec.get("line_item_id") and int(spec["line_item_id"]) == line["id"]:
                return line
            if spec.get("sku") and spec["sku"] == line["sku"] and not spec.get("line_item_id"):
                return line
        raise SandboxError(f"no line {spec} on order {order['id']}")

    def _remove_from_fulfillment(self, shop, order, line, quantity):
        """Refunded units can no longer be shipped: unfulfilled ones leave the fulfillment order."""
        for fo_id in order["fulfillment_order_ids"]:
            fulfillment_order = shop.fulfillment_orders[fo_id]
            for fo_line in fulfillment_order["line_items"]:
                if fo_line["line_item_id"] == line["id"] and quantity:
                    taken = min(quantity, fo_line["remaining_quantity"])
                    fo_line["remaining_quantity"] -= taken
                    quantity -= taken
            if fulfillment_order["status"] != "CLOSED":
                self._refresh_fulfillment_status(fulfillment_order)

    # ------------------------------------------------------------ fulfillment
    def create_fulfillment(
        self, shop, requests, tracking=None, notify_customer=False, message=None
    ):
        """Ship fulfillment order lines; returns (fulfillment, user errors), all or nothing."""
        errors = []
        plan = []
        orders = set()
        for index, request in enumerate(requests):
            field = ["fulfillment", "lineItemsByFulfillmentOrder", str(index)]
            parsed = parse_gid(request.get("fulfillmentOrderId"), "FulfillmentOrder")
            fulfillment_order = parsed and shop.fulfillment_orders.get(parsed[1])
            if not fulfillment_order:
                errors.append(
                    {
                        "field": [*field, "fulfillmentOrderId"],
                        "message": "Fulfillment order does not exist.",
                    }
                )
                continue
            orders.add(fulfillment_order["order_id"])
            if fulfillment_order["status"] in ("CLOSED", "CANCELLED"):
                errors.append(
                    {
                        "field": [*field, "fulfillmentOrderId"],
                        "message": (
                            f"Fulfillment order {fulfillment_order['id']} has an unfulfillable "
                            f"status= {fulfillment_order['status'].lower()}."
                        ),
                    }
                )
                continue
            wanted = request.get("fulfillmentOrderLineItems")
            if wanted is None:
                wanted = [
                    {
                        "id": gid("FulfillmentOrderLineItem", line["id"]),
                        "quantity": line["remaining_quantity"],
                    }
                    for line in fulfillment_order["line_items"]
                    if line["remaining_quantity"]
                ]
            for line_index, item in enumerate(wanted):
                line_field = [*field, "fulfillmentOrderLineItems", str(line_index)]
                parsed_line = parse_gid(item.get("id"), "FulfillmentOrderLineItem")
                fo_line = parsed_line and next(
                    (fo for fo in fulfillment_order["line_items"] if fo["id"] == parsed_line[1]),
                    None,
                )
                if not fo_line:
                    errors.append(
                        {
                            "field": [*line_field, "id"],
                            "message": "Fulfillment order line item does not exist.",
                        }
                    )
                    continue
                quantity = item.get("quantity", 0)
                if quantity <= 0 or quantity > fo_line["remaining_quantity"]:
                    errors.append(
                        {
                            "field": [*line_field, "quantity"],
                            "message": "Invalid fulfillment order line item quantity requested.",
                        }
                    )
                    continue
                plan.append((fulfillment_order, fo_line, quantity))
        if len(orders) > 1:
            errors.append(
                {
                    "field": ["fulfillment", "lineItemsByFulfillmentOrder"],
                    "message": "All fulfillment orders must belong to the same order.",
                }
            )
        if not errors and not plan:
            errors.append(
                {
                    "field": ["fulfillment", "lineItemsByFulfillmentOrder"],
                    "message": "There are no line items to fulfill.",
                }
            )
        if errors:
            return None, errors
        order = shop.orders[plan[0][0]["order_id"]]
        moment = self.now(after=order["updated_at"])
        tracking = tracking or {}
        numbers = list(tracking.get("numbers") or []) or (
            [tracking["number"]] if tracking.get("number") else []
        )
        urls = list(tracking.get("urls") or []) or (
            [tracking["url"]] if tracking.get("url") else []
        )
        tracking_info = [
            {
                "company": tracking.get("company"),
                "number": number,
                "url": urls[i] if i < len(urls) else None,
            }
            for i, number in enumerate(numbers)
        ]
        if not tracking_info and (tracking.get("company") or urls):
            tracking_info = [
                {
                    "company": tracking.get("company"),
                    "number": None,
                    "url": urls[0] if urls else None,
                }
            ]
        fulfillment = {
            "id": self.next_id(),
            "order_id": order["id"],
            "location_id": plan[0][0]["location_id"],
            "name": f"{order['name']}.{sum(1 for f in shop.fulfillments.values() if f['order_id'] == order['id']) + 1}",
            "status": "SUCCESS",
            "shipment_status": None,
            "events": [],
            "tracking_info": tracking_info,
            "notify_customer": bool(notify_customer),
            "message": message,
            "created_at": moment,
            "updated_at": moment,
            "line_items": [],
        }
        for fulfillment_order, fo_line, quantity in plan:
            fo_line["remaining_quantity"] -= quantity
            fulfillment["line_items"].append(
                {
                    "fulfillment_order_id": fulfillment_order["id"],
                    "fulfillment_order_line_item_id": fo_line["id"],
                    "line_item_id": fo_line["line_item_id"],
                    "sku": fo_line["sku"],
                    "quantity": quantity,
                }
            )
        for fulfillment_order in {id(fo): fo for fo, _, _ in plan}.values():
            self._refresh_fulfillment_status(fulfillment_order)
            fulfillment_order["updated_at"] = moment
        shop.fulfillments[fulfillment["id"]] = fulfillment
        self.emit(shop, "FULFILLMENTS_CREATE", self.rest_fulfillment(fulfillment))
        self.touch(shop, order)
        remaining = any(
            fo_line["remaining_quantity"]
            for fo_id in order["fulfillment_order_ids"]
            for fo_line in shop.fulfillment_orders[fo_id]["line_items"]
        )
        self.emit(
            shop,
            "ORDERS_PARTIALLY_FULFILLED" if remaining else "ORDERS_FULFILLED",
            self.rest_order(shop, order),
        )
        return fulfillment, []

    def rest_fulfillment(self, fulfillment):
        first = fulfillment["tracking_info"][0] if fulfillment["tracking_info"] else {}
        return {
            "id": fulfillment["id"],
            "admin_graphql_api_id": gid("Fulfillment", fulfillment["id"]),
            "order_id": fulfillment["order_id"],
            "location_id": fulfillment["location_id"],
            "name": fulfillment["name"],
            "status": fulfillment["status"].lower(),
            "tracking_company": first.get("company"),
            "tracking_number": first.get("number"),
            "tracking_url": first.get("url"),
            "tracking_info": copy.deepcopy(fulfillment["tracking_info"]),
            "notify_customer": fulfillment["notify_customer"],
            "message": fulfillment["message"],
            "shipment_status": fulfillment["shipment_status"],
            "created_at": iso_offset(fulfillment["created_at"]),
            "updated_at": iso_offset(fulfillment["updated_at"]),
            "line_items": copy.deepcopy(fulfillment["line_items"]),
        }

    def list_fulfillments(self, domain):
        with self.lock:
            shop = self.shop(domain)
            return [self.rest_fulfillment(f) for f in shop.fulfillments.values()]

    def list_orders(self, domain):
        with self.lock:
            shop = self.shop(domain)
            return [self.rest_order(shop, order) for order in shop.orders.values()]

    def list_fulfillment_orders(self, domain, order_id):
        with self.lock:
            shop = self.shop(domain)
            order = self.order(shop, order_id)
            return copy.deepcopy(
                [shop.fulfillment_orders[i] for i in order["fulfillment_order_ids"]]
            )

    # ------------------------------------------------------------ REST serialisation
    @staticmethod
    def totals(order):
        subtotal = sum(
            (line["price"] * line["quantity"] - line["discount"] for line in order["line_items"]),
            Decimal(0),
        )
        shipping = sum((line["price"] for line in order["shipping_lines"]), Decimal(0))
        tax = sum(
            (
                tax["price"]
                for line in order["line_items"] + order["shipping_lines"]
                for tax in line["tax_lines"]
            ),
            Decimal(0),
        )
        discounts = sum((line["discount"] for line in order["line_items"]), Decimal(0))
        total = subtotal + shipping + (Decimal(0) if order["taxes_included"] else tax)
        return {
            "subtotal_price": money(subtotal),
            "total_shipping": money(shipping),
            "total_tax": money(tax),
            "total_discounts": money(discounts),
            "total_price": money(total),
        }

    def rest_line_item(self, shop, order, line):
        fulfilled = self._fulfilled_by_line(shop, order).get(line["id"], 0)
        remaining = line["quantity"] - line["refunded_quantity"] - fulfilled
        if fulfilled and remaining <= 0:
            status = "fulfilled"
        elif fulfilled:
            status = "partial"
        else:
            status = None
        return {
            "id": line["id"],
            "admin_graphql_api_id": gid("LineItem", line["id"]),
            "variant_id": line["variant_id"],
            "product_id": line["product_id"],
            "sku": line["sku"],
            "name": line["name"],
            "title": line["title"],
            "variant_title": line["variant_title"],
            "vendor": line["vendor"],
            "quantity": line["quantity"],
            "current_quantity": line["quantity"] - line["refunded_quantity"],
            "price": money_str(line["price"]),
            "requires_shipping": line["requires_shipping"],
            "taxable": line["taxable"],
            "gift_card": False,
            "grams": line["grams"],
            "fulfillable_quantity": 0 if order["cancelled_at"] else max(remaining, 0),
            "fulfillment_service": "manual",
            "fulfillment_status": status,
            "product_exists": line["product_id"] is not None,
            "total_discount": money_str(line["discount"]),
            "discount_allocations": (
                [{"amount": money_str(line["discount"]), "discount_application_index": 0}]
                if line["discount"]
                else []
            ),
            "tax_lines": [_rest_tax(tax) for tax in line["tax_lines"]],
            "properties": [],
        }

    def rest_order(self, shop, order):
        """The order as Shopify's orders/* webhooks send it (the contract's fields)."""
        totals = self.totals(order)
        return {
            "id": order["id"],
            "admin_graphql_api_id": gid("Order", order["id"]),
            "name": order["name"],
            "email": order["email"],
            "phone": order["phone"],
            "created_at": iso_offset(order["created_at"]),
            "updated_at": iso_offset(order["updated_at"]),
            "cancelled_at": iso_offset(order["cancelled_at"]),
            "cancel_reason": order["cancel_reason"],
            "currency": order["currency"],
            "financial_status": order["financial_status"],
            "taxes_included": order["taxes_included"],
            "total_price": money_str(totals["total_price"]),
            "subtotal_price": money_str(totals["subtotal_price"]),
            "total_tax": money_str(totals["total_tax"]),
            "total_discounts": money_str(totals["total_discounts"]),
            "note": order["note"],
            "tags": ", ".join(order["tags"]),
            "discount_codes": copy.deepcopy(order["discount_codes"]),
            "customer": self.rest_customer(shop.customers.get(order["customer_id"])),
            "billing_address": _rest_address(order["billing_address"]),
            "shipping_address": _rest_address(order["shipping_address"]),
            "line_items": [self.rest_line_item(shop, order, line) for line in order["line_items"]],
            "shipping_lines": [
                {
                    "id": line["id"],
                    "code": line["code"],
                    "title": line["title"],
                    "price": money_str(line["price"]),
                    "discounted_price": money_str(line["price"]),
                    "source": line["source"],
                    "carrier_identifier": None,
                    "discount_allocations": [],
                    "tax_lines": [_rest_tax(tax) for tax in line["tax_lines"]],
                }
                for line in order["shipping_lines"]
            ],
        }

    def rest_refund(self, shop, refund):
        order = shop.orders[refund["order_id"]]
        lines_by_id = {line["id"]: line for line in order["line_items"]}
        return {
            "id": refund["id"],
            "admin_graphql_api_id": gid("Refund", refund["id"]),
            "order_id": refund["order_id"],
            "created_at": iso_offset(refund["created_at"]),
            "note": refund["note"],
            "restock": any(line["restock_type"] != "no_restock" for line in refund["lines"]),
            "refund_line_items": [
                {
                    "id": line["id"],
                    "line_item_id": line["line_item_id"],
                    "quantity": line["quantity"],
                    "restock_type": line["restock_type"],
                    "location_id": line["location_id"],
                    "subtotal": money_str(line["subtotal"]),
                    "total_tax": money_str(line["total_tax"]),
                    "line_item": self.rest_line_item(
                        shop, order, lines_by_id[line["line_item_id"]]
                    ),
                }
                for line in refund["lines"]
            ],
            "transactions": [
                {
                    "id": txn["id"],
                    "admin_graphql_api_id": gid("OrderTransaction", txn["id"]),
                    "order_id": txn["order_id"],
                    "kind": txn["kind"],
                    "gateway": txn["gateway"],
                    "status": txn["status"],
                    "amount": money_str(txn["amount"]),
                    "currency": txn["currency"],
                    "created_at": iso_offset(txn["created_at"]),
                    "parent_id": None,
                }
                for txn in refund["transactions"]
            ],
            "order_adjustments": [
                {
                    "id": adjustment["id"],
                    "order_id": adjustment["order_id"],
                    "refund_id": adjustment["refund_id"],
                    "amount": money_str(adjustment["amount"]),
                    "tax_amount": money_str(adjustment["tax_amount"]),
                    "kind": adjustment["kind"],
                    "reason": adjustment["reason"],
                }
                for adjustment in refund["adjustments"]
            ],
        }
