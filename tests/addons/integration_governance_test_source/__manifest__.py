{
    "name": "Integrations: test source (tests only)",
    "summary": "A replayable source model used by the suite's tests; never shipped.",
    "version": "19.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Integration Suite",
    "license": "LGPL-3",
    "depends": ["integration_governance"],
    "data": ["security/ir.model.access.csv"],
    "installable": True,
}
