{
    "name": "3PL Warehouse Connector",
    "summary": "Exchange orders, stock and shipments with a third-party logistics warehouse through the governed integration pipeline.",
    "version": "19.0.1.0.0",
    "category": "Sales/Integrations",
    "author": "Integration Suite",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["connector_base"],
    "data": ["security/ir.model.access.csv"],
    "installable": True,
    "application": False,
}
