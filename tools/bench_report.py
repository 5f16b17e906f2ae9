"""The tables and goal lines ``make bench`` prints (tools/suite.py runs the benchmarks)."""


def _stored_verdict(hook, stored):
    """Stored events must be the accepted ones, plus at most those wrk saw no
    answer to: still in flight when it stopped, or given up after its timeout
    (the server finishes them; wrk no longer counts)."""
    unanswered = max(hook.get("sent", hook["requests"]) - hook["ok"], 0)
    if stored == hook["ok"]:
        return "equal"
    if hook["ok"] < stored <= hook["ok"] + unanswered:
        return f"equal + {stored - hook['ok']} of {unanswered} unanswered (in flight or timed out)"
    return "MISMATCH"


def print_bench(version, pipeline, intake, seconds):
    health, hook = intake["health"], intake["webhook"]
    before = sum(intake["rss_before_kb"]) / max(len(intake["rss_before_kb"]), 1) / 1024
    after = sum(intake["rss_after_kb"]) / max(len(intake["rss_after_kb"]), 1) / 1024
    drain = intake["drain"]
    rows = [
        ("figure", "measured", "baseline (same run)", "ratio"),
        (
            "pipeline per order (median)",
            f"{pipeline['pipeline']['median_ms']:.1f} ms",
            f"ORM create+confirm {pipeline['orm']['median_ms']:.1f} ms",
            f"pipeline {pipeline['ratio']:.2f}x",
        ),
        (
            f"micro-batched pipeline per order ({pipeline['batched']['batch']} per job)",
            f"{pipeline['batched']['per_order_ms']:.1f} ms",
            f"ORM {pipeline['orm_batch']['batch']} per call "
            f"{pipeline['orm_batch']['per_order_ms']:.1f} ms",
            f"{pipeline['batched']['per_order_ms'] / pipeline['orm_batch']['per_order_ms']:.2f}x",
        ),
        (
            "micro-batched against one per call",
            f"{pipeline['batched']['per_order_ms']:.1f} ms",
            f"ORM create+confirm {pipeline['orm']['median_ms']:.1f} ms",
            f"{pipeline['batched']['per_order_ms'] / pipeline['orm']['median_ms']:.2f}x",
        ),
        (
            "webhook intake throughput",
            f"{hook['rps']:.0f} req/s",
            f"/web/health {health['rps']:.0f} req/s",
            f"{hook['rps'] / health['rps']:.2f}x",
        ),
        (
            "webhook intake p50 / p99",
            f"{hook['p50_us'] / 1000:.1f} / {hook['p99_us'] / 1000:.1f} ms",
            f"{health['p50_us'] / 1000:.1f} / {health['p99_us'] / 1000:.1f} ms",
            f"p99 {hook['p99_us'] / max(health['p99_us'], 1):.2f}x",
        ),
        (
            "accepted vs stored events",
            f"{hook['ok']} accepted",
            f"{intake['stored_events']} stored",
            _stored_verdict(hook, intake["stored_events"]),
        ),
        (
            "HTTP worker RSS (mean)",
            f"{after:.0f} MiB after",
            f"{before:.0f} MiB before",
            f"{after / before:.2f}x" if before else "-",
        ),
    ]
    if intake.get("drain_rss_before_kb"):
        cold = _mean_mib(intake["drain_rss_before_kb"])
        drain_before = _mean_mib(_drain_rss_before(intake))
        drain_after = _mean_mib(intake["drain_rss_after_kb"])
        rows.append(
            (
                "HTTP/job worker RSS over the drain (mean)",
                f"{drain_after:.0f} MiB after",
                f"{drain_before:.0f} MiB warm"
                + (f" ({cold:.0f} cold)" if intake.get("drain_rss_warm_kb") else ""),
                f"{drain_after / drain_before:.2f}x" if drain_before else "-",
            )
        )
    print(f"\nOdoo {version}, 2 HTTP workers, wrk -t2 -c50 -d{seconds}s")
    _table(rows)
    rate = (drain["backlog"] - drain["remaining"]) / drain["seconds"] if drain["seconds"] else 0
    print(
        f"drain: {drain['backlog'] - drain['remaining']} of {drain['backlog']} queued events "
        f"processed into orders in {drain['seconds']:.0f}s ({rate:.1f} events/s, "
        f"{drain['failed']} failed, {drain['remaining']} left)"
    )
    if intake.get("drain_rss_series"):
        print(
            "worker RSS over the drain (s, events done, mean MiB): "
            + ", ".join(
                f"{seconds}s/{done}/{_mean_mib(sizes):.0f}"
                for seconds, done, sizes in intake["drain_rss_series"]
            )
        )


def _mean_mib(sizes_kb):
    return sum(sizes_kb) / max(len(sizes_kb), 1) / 1024


def _drain_rss_before(intake):
    """The drain's "before": the workers warm (their first jobs ran, as the
    intake's workers are warmed by /web/health first), else as started."""
    return intake.get("drain_rss_warm_kb") or intake.get("drain_rss_before_kb")


def _memory_ratio(intake):
    """The largest growth of the HTTP/job workers' resident memory across a
    run (intake, then the drain by the job runner), after / before (warm)."""
    ratios = []
    for before, after in (
        (intake.get("rss_before_kb"), intake.get("rss_after_kb")),
        (_drain_rss_before(intake), intake.get("drain_rss_after_kb")),
    ):
        if before and after:
            ratios.append(_mean_mib(after) / _mean_mib(before))
    return max(ratios) if ratios else None


def _table(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def print_shopify_bench(orders, stock):
    server, orm, hooks = orders["server"], orders["orm"], orders["webhooks"]
    print(
        f"\nShopify sandbox: {orders['orders']} orders through 2 HTTP workers + queue_job "
        f"runner (root.integration:2)"
    )
    _table(
        [
            ("figure", "measured", "baseline (same run)", "ratio"),
            (
                "orders webhook -> confirmed SO",
                f"{server['orders_per_s']:.1f} orders/s "
                f"({server['confirmed']} in {server['seconds']:.1f}s)",
                f"ORM create+confirm {orm['orders_per_s']:.1f} orders/s "
                f"({orm['orders']} in {orm['seconds']:.1f}s)",
                f"{orders['ratio']:.2f}x",
            ),
            (
                "webhook deliveries",
                f"{hooks['deliveries']} for {hooks['events']} orders",
                f"{hooks['retried_events']} needed a retry",
                f"{hooks['failed_attempts']} failed attempts",
            ),
        ]
    )
    print_stock_bench(stock)


def print_stock_bench(stock):
    """The full stock sync the connector's way (a first sync knowing no level
    reads them in one bulk query, a resync compares with the levels it knows;
    many changes go in one bulk write) beside the paged read and plain writes
    it replaced (``stock_read_pages``)."""
    bulk, pages = stock["bulk"], stock["pages"]
    print(
        f"\nFull stock sync of {bulk['variants']} variants in-process, bucket "
        f"{bulk['initial']} pts restoring {bulk['restore_rate']:g}/s"
    )
    _table(
        [
            ("figure", "connector (measured)", "paged (baseline, same run)", "ratio"),
            (
                "Shopify points per variant",
                f"{bulk['points'] / bulk['variants']:.3f} ({bulk['points']:.0f} pts)",
                f"{pages['points'] / pages['variants']:.3f} ({pages['points']:.0f} pts)",
                f"{_ratio(bulk['points'], pages['points']):.2f}x",
            ),
            (
                "wall time of the sync",
                f"{bulk['export_s']:.1f} s ({bulk['retries']} waits for Shopify)",
                f"{pages['export_s']:.1f} s",
                f"{_ratio(bulk['export_s'], pages['export_s']):.2f}x",
            ),
            (
                "resync, levels already right: points/variant",
                f"{bulk['resync']['points'] / bulk['variants']:.3f} "
                f"({bulk['resync']['points']:.0f} pts, {bulk['resync']['calls']} calls)",
                f"{pages['resync']['points'] / pages['variants']:.3f} "
                f"({pages['resync']['points']:.0f} pts)",
                f"{_ratio(bulk['resync']['points'], pages['resync']['points']):.2f}x",
            ),
            (
                "resync wall time",
                f"{bulk['resync']['export_s']:.1f} s",
                f"{pages['resync']['export_s']:.1f} s",
                f"{_ratio(bulk['resync']['export_s'], pages['resync']['export_s']):.2f}x",
            ),
            (
                "calls (throttled)",
                f"{bulk['calls']} ({bulk['throttled']})",
                f"{pages['calls']} ({pages['throttled']})",
                "-",
            ),
            (
                "levels right on Shopify",
                f"{bulk['levels_matching']} of {bulk['variants']}",
                f"{pages['levels_matching']} of {pages['variants']}",
                "-",
            ),
        ]
    )
    if "heal" in bulk and "heal" in pages:
        heal, baseline = bulk["heal"], pages["heal"]
        print(
            f"\nDaily stock reconciliation after {heal['drifted']} levels moved on "
            "Shopify with no webhook (read all, heal each mismatch)"
        )
        _table(
            [
                ("figure", "set-wise heal (measured)", "one export per line (baseline)", "ratio"),
                (
                    "Shopify points",
                    f"{heal['points']:.0f} pts",
                    f"{baseline['points']:.0f} pts",
                    f"{_ratio(heal['points'], baseline['points']):.2f}x",
                ),
                (
                    "wall time",
                    f"{heal['export_s']:.1f} s",
                    f"{baseline['export_s']:.1f} s",
                    f"{_ratio(heal['export_s'], baseline['export_s']):.2f}x",
                ),
                ("calls", f"{heal['calls']}", f"{baseline['calls']}", "-"),
                ("outcome", heal["outcome"], baseline["outcome"], "-"),
            ]
        )
    for method, run in (("bulk", bulk), ("pages", pages)):
        operations = ", ".join(
            f"{name} {entry['calls']}x/{entry['actual']:.0f} pts"
            for name, entry in sorted(run["by_operation"].items(), key=lambda kv: str(kv[0]))
        )
        print(f"stock sync ({method}): {operations}; {run['outcome']}")
        if run.get("phases"):
            print(f"  where the {run['export_s']:.2f} s went: {_phases(run['phases'])}")


def _phases(phases):
    """'attempt 0.23 s (why it stopped), wait 0.25 s, ...' of one sync."""
    parts = []
    for phase in phases:
        label = f"{phase[0]} {phase[1]:.2f} s"
        if len(phase) > 2:
            label += f" ({phase[2]})"
        parts.append(label)
    return ", ".join(parts)


def _ratio(measured, baseline):
    return measured / baseline if baseline else float("inf")


def goal_ratios(results):
    """(name, ratio or None, comparison, target, note) per goal of issue 14."""
    goals = []
    pipeline = results.get("pipeline") or {}
    batched = pipeline.get("batched")
    orm_batch = pipeline.get("orm_batch")
    orm_single = (pipeline.get("orm") or {}).get("median_ms")
    goals.append(
        (
            "micro_batched_import_vs_orm_20_per_call",
            _ratio(batched["per_order_ms"], orm_batch["per_order_ms"])
            if batched and orm_batch
            else None,
            "<=",
            1.25,
            "",
        )
    )
    goals.append(
        (
            "micro_batched_import_vs_orm_one_per_call",
            _ratio(batched["per_order_ms"], orm_single) if batched and orm_single else None,
            "<=",
            0.6,
            "",
        )
    )
    orders = results.get("shopify_orders")
    goals.append(
        ("shopify_orders_per_s_vs_orm", orders["ratio"] if orders else None, ">=", 1.5, "")
    )
    intake = results.get("intake")
    goals.append(
        (
            "intake_vs_web_health",
            _ratio(intake["webhook"]["rps"], intake["health"]["rps"]) if intake else None,
            ">=",
            0.90,
            "",
        )
    )
    drain = (intake or {}).get("drain")
    if drain and drain["seconds"] and orm_single:
        rate = (drain["backlog"] - drain["remaining"]) / drain["seconds"]
        drain_ratio = rate / (1000 / orm_single)
    else:
        drain_ratio = None
    goals.append(("backlog_drain_vs_orm_one_by_one", drain_ratio, ">=", 1.5, ""))
    goals.append(
        (
            "worker_memory_after_vs_before",
            _memory_ratio(intake) if intake else None,
            "<=",
            1.10,
            "",
        )
    )
    stock = results.get("shopify_stock")
    if stock:
        bulk, pages = stock["bulk"], stock["pages"]
        goals.append(
            ("stock_sync_points_vs_paged", _ratio(bulk["points"], pages["points"]), "<=", 0.10, "")
        )
        goals.append(
            (
                "stock_sync_wall_vs_paged",
                _ratio(bulk["export_s"], pages["export_s"]),
                "<=",
                0.25,
                "",
            )
        )
        bulk_again, pages_again = bulk["resync"], pages["resync"]
        goals.append(
            (
                "stock_resync_points_vs_paged",
                _ratio(bulk_again["points"], pages_again["points"]),
                "<=",
                0.10,
                "",
            )
        )
        goals.append(
            (
                "stock_resync_wall_vs_paged",
                _ratio(bulk_again["export_s"], pages_again["export_s"]),
                "<=",
                0.25,
                "",
            )
        )
    return goals


def print_goals(results):
    """One line per goal: ``goal <name>: <ratio>x (target <= N)``, met or not."""
    print()
    lines = {}
    for name, ratio, comparison, target, note in goal_ratios(results):
        if ratio is None:
            verdict = f"not measured{': ' + note if note else ''}"
            print(f"goal {name}: n/a (target {comparison} {target}) {verdict}")
            lines[name] = None
            continue
        met = ratio <= target if comparison == "<=" else ratio >= target
        print(
            f"goal {name}: {ratio:.2f}x (target {comparison} {target}) "
            f"{'met' if met else 'NOT MET'}"
        )
        lines[name] = {"ratio": ratio, "target": target, "met": met}
    return lines
