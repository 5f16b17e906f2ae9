"""A local emulator of a Shopify store's Admin API, for tests and demos.

Plain Python (no Odoo): ``ShopifySandbox().start()`` serves Shopify's
GraphQL Admin API, OAuth token endpoint and signed webhooks on loopback.
"""

from .schema_files import SUPPORTED_VERSIONS, ensure_schema_dir, load_schema
from .server import ShopifySandbox
from .store import SandboxError, Store
from .webhooks import sign, topic_name
