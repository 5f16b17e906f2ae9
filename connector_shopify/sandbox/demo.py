"""The demo shop: a catalogue matching Odoo's demo products, and a trickle of orders.

SKUs are the ``default_code`` of Odoo 19 demo products (product/data/
product_demo.xml), so orders from this shop map onto an Odoo demo database.
"""

import random
import threading

DEMO_SHOP = "demo-store.myshopify.com"
DEMO_CLIENT_ID = "demo-client-id"
DEMO_CLIENT_SECRET = "demo-client-secret"
DEMO_TOKEN = "shpat_demo_token"
UNKNOWN_SKU = "DEMO-UNKNOWN-SKU"
DEMO_PRODUCTS = [
    ("Customizable Desk", "Steel, White", "FURN_0096", "750.00", 25),
    ("Customizable Desk", "Steel, Black", "FURN_0097", "750.00", 25),
    ("Office Chair Black", None, "FURN_0269", "120.50", 40),
    ("Corner Desk Right Sit", None, "E-COM06", "147.00", 30),
    ("Large Cabinet", None, "E-COM07", "320.00", 15),
    ("Storage Box", None, "E-COM08", "15.80", 120),
    ("Pedal Bin", None, "E-COM10", "47.00", 60),
    ("Cabinet with Doors", None, "E-COM11", "140.00", 20),
    ("Drawer Black", None, "FURN_8900", "25.00", 80),
]
CUSTOMERS = [
    ("Ava", "Miller", "ava.miller@example.com", "San Francisco", "CA", "94107"),
    ("Noah", "Johnson", "noah.johnson@example.com", "Brooklyn", "NY", "11201"),
    ("Mia", "Garcia", "mia.garcia@example.com", "Austin", "TX", "78701"),
    ("Liam", "Brown", "liam.brown@example.com", "Seattle", "WA", "98101"),
]


def seed_demo(sandbox):
    """Create the demo shop with one location and Odoo's demo SKUs in stock."""
    sandbox.create_shop(
        DEMO_SHOP,
        name="Demo Store",
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        access_token=DEMO_TOKEN,
    )
    sandbox.add_location(DEMO_SHOP, "Main warehouse")
    by_title = {}
    for title, variant_title, sku, price, qty in DEMO_PRODUCTS:
        spec = {
            "sku": sku,
            "price": price,
            "title": variant_title or "Default Title",
            "inventory": {"Main warehouse": qty},
        }
        by_title.setdefault(title, []).append(spec)
    for title, variants in by_title.items():
        sandbox.add_product(DEMO_SHOP, title, variants)
    return sandbox.store.shop_info(sandbox.store.shop(DEMO_SHOP))


def random_order(sandbox, rng=random):
    """One plausible order; about one in ten carries an SKU the catalogue lacks."""
    lines = []
    for product in rng.sample(DEMO_PRODUCTS, rng.randint(1, 3)):
        lines.append(
            {
                "sku": product[2],
                "quantity": rng.randint(1, 3),
                "tax_lines": [{"title": "State tax", "rate": 0.0725}],
            }
        )
    if rng.random() < 0.1:
        lines.append({"sku": UNKNOWN_SKU, "quantity": 1, "price": "9.99", "title": "Mystery item"})
    spec = {
        "lines": lines,
        "shipping_lines": [{"code": "STANDARD", "title": "Standard shipping", "price": "9.90"}],
    }
    # Web orders that ship always carry a customer and a shipping address.
    first, last, email, city, state, zip_code = rng.choice(CUSTOMERS)
    address = {
        "first_name": first,
        "last_name": last,
        "address1": f"{rng.randint(1, 999)} Market Street",
        "city": city,
        "province_code": state,
        "zip": zip_code,
        "country_code": "US",
    }
    spec.update(
        customer={"email": email, "first_name": first, "last_name": last},
        billing_address=address,
        shipping_address=address,
    )
    return sandbox.create_order(DEMO_SHOP, **spec)


def start_trickle(sandbox, every_seconds, rng=None):
    """Create a random order every N seconds once the connector subscribed to orders/create."""
    rng = rng or random.Random()
    stop = threading.Event()

    def loop():
        while not stop.wait(every_seconds):
            with sandbox.store.lock:
                shop = sandbox.store.shops.get(DEMO_SHOP)
                subscribed = shop is not None and any(
                    s["topic"] == "ORDERS_CREATE" for s in shop.subscriptions.values()
                )
            if subscribed:
                random_order(sandbox, rng)

    threading.Thread(target=loop, name="shopify-demo-trickle", daemon=True).start()
    return stop
