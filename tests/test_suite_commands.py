"""The suite's commands fail loudly, never silently, when Odoo is missing."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_suite(*args, **env):
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "suite.py"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


def test_test_command_explains_missing_odoo_in_one_line():
    result = run_suite("test", ODOO_PATH="/nonexistent/odoo")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Odoo 19 not found" in lines[0]
    assert "/nonexistent/odoo" in lines[0]
    assert "Prerequisites > Getting the runtime" in lines[0]
    assert "Getting the runtime\n-------------------" in (ROOT / "README.rst").read_text()


def test_check_names_the_odoo_it_found():
    result = run_suite("check")
    assert result.returncode == 0
    assert "Odoo 19.0" in result.stdout
