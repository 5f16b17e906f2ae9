"""A small bar chart of throughput and errors as inline SVG (no script, no
external asset), for the overview's cards."""

from markupsafe import Markup


def bars(buckets, width=240, height=48, label=""):
    """``buckets``: [(label, ok_count, error_count)] oldest first. Each bar
    is the bucket's throughput, its red top the errors."""
    if not buckets:
        return Markup("")
    peak = max((ok + err for _l, ok, err in buckets), default=0) or 1
    step = width / len(buckets)
    gap = 1 if step > 3 else 0
    parts = [
        Markup(
            "<svg class='o_integration_sparkline' role='img' width='%s' height='%s' "
            "viewBox='0 0 %s %s' aria-label='%s'>"
        )
        % (width, height, width, height, label)
    ]
    for index, (name, ok, err) in enumerate(buckets):
        x = round(index * step, 2)
        w = max(round(step - gap, 2), 1)
        total_h = round((ok + err) / peak * (height - 2), 2)
        err_h = round(err / peak * (height - 2), 2)
        if total_h:
            parts.append(
                Markup(
                    "<rect x='%s' y='%s' width='%s' height='%s' fill='#0d6efd'><title>%s</title></rect>"
                )
                % (
                    x,
                    round(height - total_h, 2),
                    w,
                    round(total_h - err_h, 2),
                    f"{name}: {ok} ok, {err} errors",
                )
            )
        if err_h:
            parts.append(
                Markup("<rect x='%s' y='%s' width='%s' height='%s' fill='#dc3545'/>")
                % (x, round(height - total_h, 2), w, err_h)
            )
    parts.append(
        Markup("<line x1='0' y1='%s' x2='%s' y2='%s' stroke='#adb5bd'/></svg>")
        % (height - 0.5, width, height - 0.5)
    )
    return Markup("").join(parts)
