from . import integration_backend
