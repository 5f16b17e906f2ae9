{
    "name": "Connector Base",
    "summary": "The governed, asynchronous pipeline channel connectors run on: "
    "backends, credential vault, inbox, outbound log, jobs, bindings, "
    "canonical documents and importers.",
    "version": "19.0.1.4.0",
    "category": "Sales/Integrations",
    "author": "Integration Suite",
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": [
        "integration_governance",
        "queue_job",
        "sale_management",
        "sale_stock",
        "delivery",
    ],
    "external_dependencies": {
        "python": ["requests", "cryptography", "jsonschema", "prometheus_client"]
    },
    "data": [
        "security/connector_security.xml",
        "security/ir.model.access.csv",
        "data/queue_job_data.xml",
        "data/product_data.xml",
        "data/canonical_contract_data.xml",
        "data/ir_cron_data.xml",
        "views/integration_backend_views.xml",
        "views/integration_backend_reconcile_views.xml",
        "views/integration_event_views.xml",
        "views/integration_message_views.xml",
        "views/integration_binding_views.xml",
        "views/integration_circuit_views.xml",
        "views/channel_origin_views.xml",
        "views/menus.xml",
    ],
    "installable": True,
    "application": False,
}
