from . import integration_exception_state_wizard
from . import integration_trace_finder
from . import integration_ownership_matrix
