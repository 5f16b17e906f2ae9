{
    "name": "Marketplace Connector",
    "summary": "Synchronise a marketplace seller account with Odoo through the governed integration pipeline.",
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
