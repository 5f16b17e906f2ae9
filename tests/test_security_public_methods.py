"""Every public method of the suite is classified: who may call it over RPC.

Odoo 19 serves every public method of a model through ``call_kw``
(``/web/dataset/call_kw``) and ``/json/2`` to any logged-in user, portal
included, unless its name starts with ``_`` or it is ``@api.private``. This
test lists, for every model the suite's addons define or extend, each method
one of their classes defines that ``get_public_method`` accepts, and compares
the list with the one below. A new public method fails it until someone
decides who may call it (and the method checks it): make it private when
it is meant for code, or add it here with the group it checks.

``tests/test_security_rpc.py`` calls them through real RPC as each group.
"""

from odoo.service.model import get_public_method
from odoo.tests.common import TransactionCase

SUITE = (
    "integration_governance",
    "connector_base",
    "connector_shopify",
    "connector_marketplace",
    "connector_3pl",
)

# Who may call: "ORM" = the model's access rights and record rules decide
# (ir.model.access.csv, security/*.xml); "user" = Integration User on the
# records of their teams (record rules); "manager" = Integration Manager or
# system administrator, checked by the method before any sudo(); "approver"
# = Governance Approver, never on their own work; "reader" = whoever may
# read the record (opens a view, changes nothing).
ORM = {"create": "ORM", "write": "ORM", "unlink": "ORM"}
PUBLIC_METHODS = {
    # The dry-run journal patches every model's create/write/unlink.
    "base": ORM,
    "integration.backend": {
        **ORM,
        "action_activate": "manager",
        "action_pause": "manager",
        "action_disable": "manager",
        "action_regenerate_webhook_token": "manager",
        "action_rotate_secrets": "manager",
        "action_sync_stock": "manager",
        "action_open_events": "reader",
        "action_open_health_24h": "user (reads lineage)",
        "action_open_health_7d": "user (reads lineage)",
        "action_shopify_check_webhooks": "manager",
        "action_shopify_clear_attention": "manager",
        "action_shopify_import_catalog": "manager",
        "action_shopify_sync_locations": "manager",
        "action_shopify_test_connection": "manager",
    },
    "integration.backend.flow": ORM,
    "integration.binding": ORM,
    "integration.canonical.importer": ORM,
    "integration.circuit": ORM,
    "integration.contract": {**ORM, "action_open_versions": "reader"},
    "integration.contract.field": ORM,
    "integration.contract.version": {
        # Lifecycle fields (state, author, approver, dates, compatibility
        # report) are refused to create/write: only the actions change them.
        **ORM,
        "action_submit": "manager",
        "action_approve": "approver (not the author)",
        "action_reject": "approver or manager",
        "action_check_compatibility": "approver or manager",
        "action_activate": "manager",
        "action_deprecate": "manager",
        "action_retire": "manager",
        "action_new_version": "manager",
        "action_open_replay_candidates": "reader",
    },
    "integration.credential": ORM,
    "integration.event": {**ORM, "action_requeue": "manager"},
    "integration.exception": {
        # Users write working fields only (assignee, team, severity,
        # deadline); pipeline fields (state, payload, source...) are refused.
        **ORM,
        "action_take": "user",
        "action_resolve": "user",
        "action_ignore": "user",
        "action_reopen": "user",
        "action_resolve_wizard": "reader",
        "action_ignore_wizard": "reader",
        "action_reopen_wizard": "reader",
        "action_replay": "user",
        "action_bulk_replay": "user",
        "action_dry_run": "user",
        "action_edit_and_replay": "user",
        "action_open_related": "reader",
        "action_open_trace": "reader",
        "action_open_queue": "user",
    },
    "integration.exception.edit": {
        **ORM,
        "action_apply": "user",
        "action_approve": "approver or manager (not the author)",
        "action_reject": "approver or manager, or the author",
    },
    "integration.exception.route": ORM,
    "integration.exception.state.wizard": {**ORM, "action_confirm": "user"},
    "integration.exception.transition": ORM,
    "integration.governance.demo": ORM,
    "integration.job.sweep": ORM,
    "integration.lineage": {
        # create refused to everyone but the private service (record_step).
        **ORM,
        "action_check_chain": "user (a manager for every trace)",
        "action_open_record": "reader",
        "action_open_trace": "reader",
    },
    "integration.message": ORM,
    "integration.reconciliation.line": {**ORM, "action_heal": "manager"},
    "integration.reconciliation.run": {**ORM, "action_rerun": "manager"},
    "integration.replayable.mixin": ORM,
    "integration.sla.policy": ORM,
    "integration.sor.rule": ORM,
    "integration.system": {
        **ORM,
        "action_open_exceptions": "reader",
        "action_open_breaches": "reader",
        "action_open_at_risk": "reader",
        "action_open_activity_24h": "user (reads lineage)",
        "action_open_activity_7d": "user (reads lineage)",
    },
    "integration.team": ORM,
    "integration.throttle": ORM,
    "integration.trace.finder": {**ORM, "action_find": "reader (saves the query)"},
    "integration.trace": {**ORM, "action_open_journey": "reader"},
    "integration.ownership.matrix": {**ORM, "action_edit_rules": "manager (write on rules)"},
    "integration.sla.clock.mixin": ORM,
    "integration.traceable.mixin": {**ORM, "action_view_integration_traces": "reader"},
    "account.move": ORM,  # action_view_integration_traces: integration.traceable.mixin
    "sale.order": ORM,  # action_view_integration_traces: integration.traceable.mixin
    "stock.picking": ORM,  # action_view_integration_traces: integration.traceable.mixin
    "shopify.location": ORM,
    "shopify.onboarding": {
        **ORM,
        "action_test_connection": "manager",
        "action_finish": "manager",
        "action_open_backend": "manager",
    },
    "shopify.onboarding.location": ORM,
}

# Services other code calls (README): reachable from Python, never over RPC.
PRIVATE_SERVICES = {
    "integration.lineage": ["record_step", "record_steps", "check_chain"],
    "integration.exception": ["raise_exception", "dry_run"],
    "integration.contract": ["validate_payload"],
    "integration.contract.version": ["validate", "classification_of", "mask_payload"],
    "integration.sor.rule": ["filter_values"],
    "integration.reconciliation.run": ["start", "add_mismatch", "finish"],
    "integration.trace.finder": ["find_traces", "find_journeys", "open_for"],
    "integration.trace": ["journeys_of", "journey_of_record"],
}


def suite_public_methods(env):
    """{model: {method}} of public methods the suite's classes define."""
    found = {}
    for name in env.registry:
        model = env[name]
        for klass in type(model).mro():
            parts = (getattr(klass, "__module__", "") or "").split(".")
            if parts[:2] != ["odoo", "addons"] or len(parts) < 3 or parts[2] not in SUITE:
                continue
            inherits = getattr(klass, "_inherit", None) or []
            inherits = [inherits] if isinstance(inherits, str) else list(inherits)
            if name != getattr(klass, "_name", None) and name not in inherits:
                continue  # reached through 'base' only
            for attr, value in vars(klass).items():
                if attr.startswith("_") or not callable(value):
                    continue
                try:
                    get_public_method(model, attr)
                except Exception:  # private: not reachable over RPC
                    continue
                found.setdefault(name, set()).add(attr)
    return found


class TestPublicMethods(TransactionCase):
    # Outside odoo.addons, Odoo's test case does not tag itself.
    test_tags = {"standard", "post_install"}
    test_module = "suite"

    def test_every_public_method_is_classified(self):
        found = suite_public_methods(self.env)
        unclassified = sorted(
            f"{model}.{method}"
            for model, methods in found.items()
            for method in methods
            if method not in PUBLIC_METHODS.get(model, {})
        )
        self.assertFalse(
            unclassified,
            "public (RPC-callable) methods nobody classified: make them private "
            "(_name or @api.private) or add them, with the group they check, to "
            "PUBLIC_METHODS in tests/test_security_public_methods.py",
        )
        gone = sorted(
            f"{model}.{method}"
            for model, methods in PUBLIC_METHODS.items()
            for method, who in methods.items()
            if who != "ORM" and model in self.env and method not in found.get(model, set())
        )
        self.assertFalse(gone, "classified but no longer public: remove them from the list")

    def test_services_are_private(self):
        for model, methods in PRIVATE_SERVICES.items():
            for method in methods:
                with self.subTest(f"{model}.{method}"):
                    self.assertTrue(callable(getattr(self.env[model], method)))
                    with self.assertRaisesRegex(Exception, "cannot be called remotely"):
                        get_public_method(self.env[model], method)
