{
    "name": "Connector Base",
    "summary": "The governed, asynchronous pipeline channel connectors run on: backends, credential vault, inbox, outbound log, jobs, bindings.",
    "version": "19.0.1.0.0",
    "category": "Sales/Integrations",
    "author": "Integration Suite",
    "license": "LGPL-3",
    "depends": ["integration_governance", "queue_job", "sale_management", "sale_stock", "delivery"],
    "data": ["security/ir.model.access.csv"],
    "installable": True,
    "application": False,
}
