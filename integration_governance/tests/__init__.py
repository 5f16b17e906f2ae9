from . import test_contract
from . import test_exception
from . import test_lineage
from . import test_reconciliation
from . import test_schema_compat
from . import test_security
from . import test_sor
from . import test_plain_functions
