from . import integration_test_source
