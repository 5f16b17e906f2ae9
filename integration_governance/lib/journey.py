"""A journey drawn as lanes per system on a time axis (server-side HTML).

Plain Python: ``steps`` and ``exceptions`` are dicts, so the layout reads
and tests without Odoo. No script, no external asset: the markup uses the
web client's Bootstrap classes and inline positions only.
"""

from markupsafe import Markup, escape

ODOO_LANE = "Odoo"
# Steps that happen in Odoo whatever system the transaction came from.
ODOO_STEPS = ("filtered", "imported", "exception", "replayed", "reconciled")
OUTCOME_COLORS = {
    "success": "success",
    "warning": "warning",
    "failure": "danger",
    "skipped": "secondary",
}


def lane_of(step):
    """The lane a step is drawn in: the system it talked to, or Odoo."""
    if step.get("direction") == "outbound":
        return step.get("system") or ODOO_LANE
    if step["step"] in ODOO_STEPS:
        return ODOO_LANE
    return step.get("system") or ODOO_LANE


def lanes(steps):
    """Lane names in order of first appearance, Odoo after the first channel."""
    order = []
    for step in steps:
        lane = lane_of(step)
        if lane not in order:
            order.append(lane)
    return order


def positions(steps, width=76.0, gap=9.0):
    """Left offset (percent) of each step on the journey's time axis; steps
    of one lane closer in time than their badges are wide are pushed right
    so that none hides another (the order on the axis stays the time's)."""
    times = [s["at"] for s in steps]
    if not times:
        return []
    start, end = min(times), max(times)
    span = (end - start).total_seconds() or 1.0
    lefts, last = [], {}
    for step in steps:
        left = (step["at"] - start).total_seconds() / span * width
        lane = lane_of(step)
        if lane in last:
            left = max(left, last[lane] + gap)
        last[lane] = left
        lefts.append(round(min(left, 100.0 - 1.5 * gap), 2))
    return lefts


def format_duration(seconds):
    """``2 h 10 min``, ``45 min``, ``30 s``: the way a person says it."""
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def render(subject, steps, exceptions, step_labels):
    """One journey: its subject, its lanes on a time axis, its steps and its
    exceptions (owner and SLA) inline."""
    html = [_subject(subject)]
    lefts = positions(steps)
    html.append(Markup("<div class='o_integration_journey border rounded p-2 mb-3'>"))
    for lane in lanes(steps):
        html.append(
            Markup(
                "<div class='d-flex align-items-center border-bottom' style='min-height:2.4rem'>"
                "<div class='fw-bold text-truncate' style='width:9rem;flex:none'>%s</div>"
                "<div class='position-relative flex-grow-1' style='height:2rem'>"
            )
            % lane
        )
        for step, left in zip(steps, lefts, strict=True):
            if lane_of(step) != lane:
                continue
            html.append(
                Markup(
                    "<span class='position-absolute badge rounded-pill text-bg-%s' "
                    "style='left:%s%%;top:0.4rem' title='%s'>%s</span>"
                )
                % (
                    OUTCOME_COLORS.get(step["outcome"], "secondary"),
                    left,
                    f"{step['at']:%Y-%m-%d %H:%M:%S} {step.get('message') or ''}",
                    step_labels.get(step["step"], step["step"]),
                )
            )
        html.append(Markup("</div></div>"))
    if steps:
        start, end = min(s["at"] for s in steps), max(s["at"] for s in steps)
        html.append(
            Markup(
                "<div class='d-flex small text-muted' style='margin-left:9rem'>"
                "<span>%s</span><span class='ms-auto'>%s (%s later)</span></div>"
            )
            % (
                f"{start:%Y-%m-%d %H:%M:%S}",
                f"{end:%Y-%m-%d %H:%M:%S}",
                format_duration((end - start).total_seconds()),
            )
        )
    html.append(Markup("</div>"))
    if exceptions:
        html.append(_exceptions(exceptions))
    html.append(_table(steps, step_labels))
    return Markup("").join(html)


def _subject(subject):
    link = (
        Markup("<a href='%s'>%s</a>") % (subject["url"], subject["name"])
        if subject.get("url")
        else escape(subject["name"])
    )
    parts = [Markup("<h4 class='mt-2 mb-1'>%s</h4><div class='text-muted mb-2'>") % link]
    facts = [
        subject.get("partner"),
        subject.get("amount"),
        subject.get("references"),
        subject.get("trace_ids") and f"trace {subject['trace_ids']}",
    ]
    parts.append(Markup(" · ").join(escape(f) for f in facts if f))
    parts.append(Markup("</div>"))
    return Markup("").join(parts)


def _exceptions(exceptions):
    rows = [
        Markup(
            "<table class='table table-sm mb-3'><thead><tr><th>Exception</th><th>State</th>"
            "<th>Owner</th><th>SLA</th></tr></thead><tbody>"
        )
    ]
    for exc in exceptions:
        rows.append(
            Markup(
                "<tr><td><a href='%s'>%s</a></td><td>%s</td><td>%s</td><td class='%s'>%s</td></tr>"
            )
            % (
                exc["url"],
                exc["name"],
                exc["state"],
                exc.get("owner") or "",
                "text-danger fw-bold" if exc.get("breached") else "",
                exc.get("sla") or "",
            )
        )
    rows.append(Markup("</tbody></table>"))
    return Markup("").join(rows)


def _table(steps, step_labels):
    rows = [
        Markup(
            "<table class='table table-sm table-hover'><thead><tr><th>When</th><th>Lane</th>"
            "<th>Step</th><th>Outcome</th><th>Duration</th><th>Record</th><th>Message</th>"
            "</tr></thead><tbody>"
        )
    ]
    for step in steps:
        record = (
            Markup("<a href='%s'>%s</a>") % (step["url"], step.get("record") or step["url"])
            if step.get("url")
            else escape(step.get("ref") or "")
        )
        rows.append(
            Markup(
                "<tr><td>%s</td><td>%s</td><td>%s</td>"
                "<td><span class='badge text-bg-%s'>%s</span></td><td>%s ms</td>"
                "<td>%s</td><td><small>%s</small></td></tr>"
            )
            % (
                f"{step['at']:%Y-%m-%d %H:%M:%S}",
                lane_of(step),
                step_labels.get(step["step"], step["step"]),
                OUTCOME_COLORS.get(step["outcome"], "secondary"),
                step["outcome"],
                step.get("duration_ms") or 0,
                record,
                step.get("message") or "",
            )
        )
    rows.append(Markup("</tbody></table>"))
    return Markup("").join(rows)
