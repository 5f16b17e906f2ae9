from . import integration_backend
from . import integration_backend_session
from . import integration_backend_orders
from . import integration_backend_stock
from . import integration_backend_catalog
from . import integration_backend_webhooks
from . import integration_backend_fulfillment
from . import shopify_location
