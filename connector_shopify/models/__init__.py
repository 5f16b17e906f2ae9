from . import integration_backend
from . import integration_binding
from . import shopify_location
from . import stock_move
from . import stock_picking
from . import integration_reconciliation_run
from . import integration_backend_orders_reconcile
