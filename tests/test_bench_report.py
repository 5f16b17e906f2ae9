"""The goal lines of ``make bench`` (tools/bench_report.py), from a run's results."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import bench_report

MIB = 1024


def intake(**overrides):
    results = {
        "rss_before_kb": [130 * MIB, 130 * MIB],
        "rss_after_kb": [131 * MIB, 131 * MIB],
        "webhook": {"rps": 594.0},
        "health": {"rps": 1024.0},
        "drain_rss_before_kb": [125 * MIB, 125 * MIB],
        "drain_rss_after_kb": [155 * MIB, 155 * MIB],
    }
    results.update(overrides)
    return results


def test_the_drains_memory_is_compared_with_its_warm_workers():
    # Fresh workers grow while their first jobs load what they use; a leak is
    # growth after that.
    warm = intake(drain_rss_warm_kb=[152 * MIB, 152 * MIB])
    assert round(bench_report._memory_ratio(warm), 3) == round(155 / 152, 3)
    leaking = intake(drain_rss_warm_kb=[120 * MIB, 120 * MIB])
    assert round(bench_report._memory_ratio(leaking), 3) == round(155 / 120, 3)


def test_without_a_warm_size_the_cold_start_is_the_baseline():
    assert round(bench_report._memory_ratio(intake()), 3) == round(155 / 125, 3)


def test_the_largest_growth_of_intake_and_drain_is_the_goals_ratio():
    grown_at_intake = intake(
        rss_after_kb=[200 * MIB, 200 * MIB], drain_rss_warm_kb=[155 * MIB, 155 * MIB]
    )
    assert round(bench_report._memory_ratio(grown_at_intake), 3) == round(200 / 130, 3)


def test_goal_lines_say_met_or_not(capsys):
    lines = bench_report.print_goals({"intake": intake(drain_rss_warm_kb=[150 * MIB, 150 * MIB])})
    printed = capsys.readouterr().out
    assert lines["worker_memory_after_vs_before"]["met"] is True
    assert "goal worker_memory_after_vs_before: 1.03x (target <= 1.1) met" in printed
    assert "goal intake_vs_web_health: 0.58x (target >= 0.9) NOT MET" in printed
    assert lines["shopify_orders_per_s_vs_orm"] is None
    assert "goal shopify_orders_per_s_vs_orm: n/a (target >= 1.5) not measured" in printed
