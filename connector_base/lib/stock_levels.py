"""Stock levels out to a channel: what to change, in which batches.

Plain Python shared by every channel that takes stock: the pipeline knows
Odoo's targets and the channel's last known quantities (read or written),
plans the changes and sends them in batches through the channel's hook,
which applies each with its own compare-and-set ("change from the quantity
we last saw"), so a sale on the channel between our read and our write is
never overwritten blindly.
"""

from dataclasses import dataclass

# Above this many unknown levels at a location, one full read of the
# location is cheaper than reading the items one batch at a time.
FULL_READ_ABOVE = 500


@dataclass
class LevelChange:
    """One level to set: ``known`` is the channel's quantity as last seen
    (None: never read, the channel applies it without a compare)."""

    item_id: str
    location_id: str
    quantity: int
    known: int | None
    key: str = ""  # the Odoo side's label (SKU), for logs and exceptions


@dataclass
class PushResult:
    """What a channel made of one push, when it is not simply "all applied but
    ``stale``": ``stale`` were refused because the channel's quantity moved
    (re-read, then sent again); ``unapplied`` were fine but not applied
    because the channel refuses a whole call for one stale compare (sent
    again as they are, no re-read)."""

    stale: list
    unapplied: list


def merge_read(known, location_id, levels, whole):
    """Levels read at a channel location into ``known`` ({(item, location):
    quantity}); a ``whole`` read (every item there) replaces what was known
    at that location."""
    if whole:
        for key in [key for key in known if key[1] == location_id]:
            known.pop(key)
    known.update({(item, location_id): quantity for item, quantity in levels.items()})


class Settlement:
    """What an export settled, for a caller that must know (a reconciliation
    healing its lines): whether the export got as far as sending, and the
    items one of whose levels the channel still does not have at Odoo's
    target (a refused batch, a document breaking its contract). It rides in
    a context, so it compares by identity."""

    __slots__ = ("ran", "unsettled")

    def __init__(self):
        self.ran = False
        self.unsettled = set()

    def note(self, targets, known):
        """After an export: ``targets`` and what is now known of the channel."""
        self.ran = True
        self.unsettled |= {
            item
            for (item, location), (quantity, _label) in targets.items()
            if known.get((item, location)) != quantity
        }


def split_push_result(result):
    """(stale, unapplied) of a push hook's answer: a ``PushResult``, or a plain
    list of stale changes (every other change applied)."""
    if isinstance(result, PushResult):
        return list(result.stale), list(result.unapplied)
    return list(result or []), []


def plan(targets, known):
    """Changes for every (item, location) whose channel quantity differs from
    Odoo's target. ``targets``: {(item, location): (quantity, label)};
    ``known``: {(item, location): quantity as last read or set}."""
    changes = []
    for (item_id, location_id), (quantity, label) in sorted(targets.items()):
        current = known.get((item_id, location_id))
        if current is None or current != quantity:
            changes.append(LevelChange(item_id, location_id, quantity, current, label))
    return changes


def batches(changes, size):
    """Consecutive slices of at most ``size`` changes, one location each:
    a channel's compare-and-set call takes one location's levels at a time."""
    current = []
    for change in changes:
        if current and (len(current) >= size or current[0].location_id != change.location_id):
            yield current
            current = []
        current.append(change)
    if current:
        yield current


def mismatches(targets, known):
    """[(item, location, target, channel quantity)] that differ, sorted."""
    return [
        (item, location, quantity, known.get((item, location)))
        for (item, location), (quantity, _label) in sorted(targets.items())
        if known.get((item, location)) != quantity
    ]
