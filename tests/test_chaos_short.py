"""The chaos test, short: no order lost, none duplicated, the queue drained.

Under ``make test`` (``tools/suite.py test``), ``tools/chaos.py`` runs on a
copy of the test database made right after its install (CHAOS_DATABASE,
CHAOS_ODOO_CONFIG): its own Odoo server and ports, the test run's
PostgreSQL (not restarted: this process holds connections to it), so the
test database itself is never touched. Run by plain pytest, without those
variables, it runs as ``make chaos`` does (its own cluster in .run/chaos-pg,
a template installed once). CHAOS_SHORT_ORDERS sizes it (80); ``make
chaos`` is the full-size run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "connector_shopify"))

from sandbox import ShopifySandbox  # noqa: E402

SHOP = "faults.myshopify.com"
TOKEN = "shpat_faults"
QUERY = "{ shop { name } }"


def call(sandbox):
    return requests.post(
        sandbox.graphql_url(SHOP),
        json={"query": QUERY},
        headers={"X-Shopify-Access-Token": TOKEN},
        timeout=10,
    )


def test_sandbox_refuses_a_seeded_share_of_calls():
    with ShopifySandbox() as sandbox:
        sandbox.create_shop(SHOP, access_token=TOKEN)
        sandbox.set_faults(SHOP, throttle_rate=0.3, error_rate=0.3, fault_seed=7)
        answers = [call(sandbox) for _ in range(60)]
        statuses = [a.status_code for a in answers]
        throttled = [
            a
            for a in answers
            if a.status_code == 200 and "THROTTLED" in a.text and "data" not in a.json()
        ]
        refused = [a for a in answers if a.status_code != 200]
        assert throttled and refused and len(throttled) + len(refused) < 60
        assert {a.status_code for a in refused} <= {429, 500, 502, 503, 504}
        for answer in refused:
            if answer.status_code == 429:
                assert answer.headers["Retry-After"] == "1.0"
            assert "errors" in answer.json()
        assert sum(1 for c in sandbox.calls(SHOP) if c.get("fault")) == len(refused)
        # The same seed draws the same faults.
        sandbox.set_faults(SHOP, fault_seed=7)
        assert [call(sandbox).status_code for _ in range(60)] == statuses


def test_returning_customer_is_merged_by_email():
    with ShopifySandbox() as sandbox:
        sandbox.create_shop(SHOP, access_token=TOKEN)
        sandbox.add_location(SHOP, "Main")
        customer = {"email": "again@example.com", "first_name": "A", "last_name": "Gain"}
        lines = [{"sku": "X", "price": "1.00", "quantity": 1}]
        first = sandbox.create_order(SHOP, lines=lines, customer=customer)
        second = sandbox.create_order(SHOP, lines=lines, customer=customer)
        assert first["customer"]["id"] == second["customer"]["id"]


def test_short_chaos_run_loses_and_duplicates_no_order():
    results_path = ROOT / ".run" / "chaos-short-results.json"
    results_path.unlink(missing_ok=True)
    env = {
        **os.environ,
        "CHAOS_ORDERS": os.environ.get("CHAOS_SHORT_ORDERS", "80"),
        "CHAOS_RESULTS": str(results_path),
    }
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "chaos.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if not results_path.exists():
        pytest.fail(
            f"the chaos harness gave no results (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    results = json.loads(results_path.read_text())
    summary = (
        f"{results['channel_orders']} channel orders, {results['sale_orders_bound']} bound, "
        f"lost {results['lost']}, duplicated {results['duplicated']}, "
        f"drained {results['drained']} ({results['drain_s']}s), "
        f"final state differs {results['final_state_differs']}, "
        f"failed jobs {results['failed_jobs_by_error']}, open exceptions "
        f"{results.get('open_exceptions_by_message')}, lost orders "
        f"{json.dumps(results['lost_orders'][:3])[:2000]}, differing orders "
        f"{json.dumps(results['stale_orders'][:3], default=str)[:2000]}"
    )
    assert results["channel_orders"] >= int(env["CHAOS_ORDERS"]), summary
    assert results["lost"] == 0, summary
    assert results["duplicated"] == 0, summary
    assert results["final_state_differs"] == 0, summary
    assert results["drained"], summary
    assert proc.returncode == 0, proc.stdout[-3000:]
