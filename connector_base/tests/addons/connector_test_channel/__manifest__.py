{
    "name": "Connector: test channel (tests only)",
    "summary": "A minimal channel that drives connector_base's pipeline in tests.",
    "version": "19.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Integration Suite",
    "license": "LGPL-3",
    "depends": ["connector_base"],
    "data": ["data/test_channel_data.xml"],
    "installable": True,
}
