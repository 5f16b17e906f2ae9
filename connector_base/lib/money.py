"""Money compares like money: to the currency's rounding, with the slack two
correct computations can have, never to the exact cent.

A channel and Odoo may both be right and still differ by a cent: Shopify
rounds each line's tax, Odoo may round the total (or derive a line's discount
as a percentage that does not land on the same cent). Each rounded line can
move the sum by at most half a unit of the currency, so that is the slack;
the backend adds its own tolerance on top.
"""

from decimal import ROUND_HALF_UP, Decimal

ROUND_PER_LINE = "round_per_line"
ROUND_GLOBALLY = "round_globally"


def _units(amount, rounding):
    """``amount`` in whole units of ``rounding`` (half up), as an int."""
    step = Decimal(str(rounding))
    return int((Decimal(str(amount)) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rounding_slack(line_count, rounding, channel_method, odoo_method):
    """The most two correct totals over ``line_count`` lines can differ by."""
    if channel_method == odoo_method == ROUND_GLOBALLY:
        return 0.0
    return max(int(line_count), 1) * float(rounding) / 2


def amounts_match(expected, computed, rounding, slack=0.0, tolerance=0.0):
    """True when ``computed`` is within ``slack + tolerance`` of ``expected``,
    both counted in whole units of the currency's ``rounding``."""
    difference = _units(abs(float(expected) - float(computed)), rounding)
    allowed = _units(float(slack) + float(tolerance), rounding)
    return difference <= allowed
