from . import shopify_onboarding
from . import shopify_onboarding_location
