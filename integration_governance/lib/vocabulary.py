"""The shared vocabulary of governance: business objects, systems, categories.

Selections live here once so that every model (and every channel module)
speaks the same words.
"""

BUSINESS_OBJECTS = [
    ("customer", "Customer"),
    ("product", "Product"),
    ("price", "Price"),
    ("stock", "Stock"),
    ("order", "Order"),
    ("payment", "Payment"),
    ("shipment", "Shipment"),
    ("return", "Return / refund"),
    ("settlement", "Settlement"),
]

SYSTEM_ROLES = [
    ("erp", "ERP (Odoo)"),
    ("sales_channel", "Sales channel"),
    ("marketplace", "Marketplace"),
    ("logistics", "3PL / logistics"),
    ("payment", "Payment provider"),
    ("other", "Other"),
]

EXCEPTION_CATEGORIES = [
    ("transport", "Transport"),
    ("authentication", "Authentication"),
    ("throttling", "Throttling"),
    ("contract", "Contract"),
    ("mapping", "Mapping"),
    ("sor_conflict", "System-of-record conflict"),
    ("business_rule", "Business rule"),
    ("data_quality", "Data quality"),
    ("duplicate", "Duplicate"),
    ("internal", "Internal"),
]

SEVERITIES = [
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("critical", "Critical"),
]
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}

EXCEPTION_STATES = [
    ("new", "New"),
    ("in_progress", "In progress"),
    ("resolved", "Resolved"),
    ("ignored", "Ignored"),
    ("replayed", "Replayed"),
]
OPEN_STATES = ("new", "in_progress")

DIRECTIONS = [
    ("inbound", "Inbound"),
    ("outbound", "Outbound"),
    ("internal", "Internal"),
]

CLASSIFICATIONS = [
    ("public", "Public"),
    ("internal", "Internal"),
    ("personal", "Personal"),
    ("financial", "Financial"),
    ("secret", "Secret"),
]
