"""A shop with one of everything the sandbox serves, for the tests that walk its schema."""

from ..sandbox.rich_shop import seed_rich_shop
from .sandbox_support import DOMAIN, TOKEN, SandboxCase


class RichShopCase(SandboxCase):
    """Every served object exists at least once (``sandbox/rich_shop.py``)."""

    def setUp(self):
        super().setUp()
        self.sandbox.set_bucket(DOMAIN, maximum=100_000, available=100_000)
        seeded = seed_rich_shop(self.sandbox, DOMAIN, TOKEN)
        self.order_info = seeded["order"]
        self.adjustment = seeded["adjustment"]
        self.bulk_id = seeded["bulk"]
