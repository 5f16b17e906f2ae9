"""Look-ups a batch of orders repeats, done once per batch.

Creating and confirming twenty orders of the same few products asks the same
questions for every order or line: which product a SKU names (the importer's
``_products_for_skus``), which stock rule supplies it here
(``stock.rule._get_rule``, a search per procurement) and which analytic
distribution applies to it (``_get_distribution``, a search per line, twice),
and, as its deliveries are confirmed, which automatic reordering rule each
move should trigger (``stock.move._trigger_scheduler``, a search per move).
No answer changes while the batch runs: bindings of products, rules and
distribution models are catalogue and configuration, and an order batch only
creates orders. Inside ``batch_memo()`` each distinct question is asked once;
outside it nothing changes. Odoo's own ``account.move.line`` keeps the same
kind of cache for its distributions, per call.

The memo is scoped to one ``with`` block of one job (a ContextVar) and holds
only ids of records that existed before the batch, so nothing outlives the
transaction and a savepoint rolled back inside the block cannot leave a
stale answer behind. A SKU no product answers is asked again each time (it
becomes an exception for the catalogue owner, replayed once mapped).
"""

import contextlib
import contextvars

from odoo import api, models

_MEMO = contextvars.ContextVar("integration_batch_memo", default=None)
# What Odoo's rule choice reads of the procurement values (stock's
# _get_rule, _get_rule_domain and _search_rule_for_warehouses); the set of
# keys given is part of the key too (stock_dropshipping looks at whether
# 'sale_line_id' is there).
RULE_VALUE_KEYS = ("route_ids", "warehouse_id", "company_id", "packaging_uom_id")


def _hashable(value):
    """A value of procurement values or distribution vals as a key part."""
    if isinstance(value, models.BaseModel):
        return (value._name, tuple(value.ids))
    if isinstance(value, (set, frozenset)):
        return frozenset(_hashable(item) for item in value)
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _hashable(item)) for key, item in value.items()))
    return value


def _env_key(env):
    """Who asks: the answer of a search depends on the user, superuser mode
    (record rules), the allowed companies and whether archived records count."""
    return (env.uid, env.su, tuple(env.companies.ids), env.context.get("active_test", True))


def current_memo():
    """The memo of the batch running in this context, or None."""
    return _MEMO.get()


@contextlib.contextmanager
def batch_memo():
    """Memoize the look-ups above until the block ends (re-entrant)."""
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


class StockRule(models.Model):
    _inherit = "stock.rule"

    @api.model
    def _get_rule(self, product_id, location_id, values):
        memo = _MEMO.get()
        if memo is None:
            return super()._get_rule(product_id, location_id, values)
        key = ("stock.rule", *self._batch_memo_rule_key(product_id, location_id, values))
        if key not in memo:
            memo[key] = super()._get_rule(product_id, location_id, values).ids
        return self.browse(memo[key])

    @api.model
    def _batch_memo_rule_key(self, product_id, location_id, values):
        """What the rule chosen for a procurement depends on, inside a batch:
        who asks (for the rules and for the product's routes), the product,
        the location, which procurement values are given and the values
        Odoo's choice reads (``RULE_VALUE_KEYS``). A module choosing rules on
        another procurement value adds it here (super() + its own part)."""
        return (
            _env_key(self.env),
            _env_key(product_id.env),
            product_id.id,
            location_id.id,
            frozenset(values),
            tuple(_hashable(values.get(name)) for name in RULE_VALUE_KEYS),
        )


class AnalyticDistributionModel(models.Model):
    _inherit = "account.analytic.distribution.model"

    @api.model
    def _get_distribution(self, vals):
        memo = _MEMO.get()
        if memo is None:
            return super()._get_distribution(vals)
        key = ("distribution", _env_key(self.env), _hashable(vals))
        if key not in memo:
            memo[key] = super()._get_distribution(vals)
        return dict(memo[key])


class StockMove(models.Model):
    _inherit = "stock.move"

    def _trigger_scheduler(self):
        """Inside a batch, only the moves of products that have an automatic
        reordering rule at all go through Odoo's search per move: for the
        others that search finds nothing and the move triggers nothing. One
        query per batch tells which products have one (reordering rules are
        configuration: confirming orders creates none)."""
        memo = _MEMO.get()
        if (
            memo is None
            or not self
            or self.env["ir.config_parameter"].sudo().get_param("stock.no_auto_scheduler")
        ):
            return super()._trigger_scheduler()
        unknown = [p for p in self.product_id.ids if ("auto_orderpoint", p) not in memo]
        if unknown:
            with_rules = set(
                self.env["stock.warehouse.orderpoint"]
                .sudo()
                .with_context(active_test=False)
                .search([("product_id", "in", unknown), ("trigger", "=", "auto")])
                .product_id.ids
            )
            memo.update({("auto_orderpoint", p): p in with_rules for p in unknown})
        moves = self.filtered(lambda move: memo[("auto_orderpoint", move.product_id.id)])
        return super(StockMove, moves)._trigger_scheduler()
