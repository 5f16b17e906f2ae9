#!/usr/bin/env python3
"""``make lint``: the checks of .pre-commit-config.yaml, run straight from pip.

The same tools at the same versions (``requirements-lint.txt``) as the
pre-commit hooks, but installed in this Python, so no hook environment has
to be fetched from GitHub: ruff, OCA's oca-checks-odoo-module and
oca-checks-po, pylint-odoo with OCA's mandatory checks
(``.pylintrc-mandatory``), whool's pyproject.toml check, the generated
README/Apps pages (``tools/readme.py --check``), manifestoo, and
pre-commit-hooks' file checks. Every step runs; the exit code says whether
any failed. Arguments name the steps to run (``tools/lint.py manifestoo``).
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every addon of the suite: each folder at the root with a manifest.
ADDONS = sorted(manifest.parent.name for manifest in ROOT.glob("*/__manifest__.py"))
TOOLS = {
    "ruff": "ruff",
    "pylint_odoo": "pylint-odoo",
    "oca_pre_commit_hooks": "oca-odoo-pre-commit-hooks",
    "whool": "whool",
    "manifestoo": "manifestoo",
    "pre_commit_hooks": "pre-commit-hooks",
}
BIN = Path(sys.executable).parent


def tracked(*patterns, exclude=()):
    out = subprocess.run(
        ["git", "ls-files", "--", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [f for f in out if not any(x in f for x in exclude)]


def odoo_env():
    """PYTHONPATH with Odoo 19 (suite.py's search) for the tools that import it."""
    sys.path.insert(0, str(ROOT / "tools"))
    import suite

    odoo_path, _version = suite.find_odoo()
    return suite.python_env(odoo_path)


def steps():
    addons = [str(ROOT / a) for a in ADDONS]
    py = [sys.executable, "-m"]
    text = tracked(exclude=("README.rst", "index.html", ".png", ".po", ".pot"))
    yield "ruff check", py + ["ruff", "check", "."]
    yield "ruff format", py + ["ruff", "format", "--check", "."]
    yield "oca-checks-odoo-module", [str(BIN / "oca-checks-odoo-module"), *addons]
    po = tracked("*.po", "*.pot")
    if po:
        yield "oca-checks-po", [str(BIN / "oca-checks-po"), "--disable=po-pretty-format", *po]
    yield "pylint-odoo", py + ["pylint", "--rcfile=.pylintrc-mandatory", *ADDONS]
    # OCA's optional checks: advice, printed, never a failure (--exit-zero).
    yield "pylint-odoo optional", py + ["pylint", "--rcfile=.pylintrc", "--exit-zero", *ADDONS]
    yield "whool init", py + ["whool", "init", "--exit-non-zero-on-changes", "."]
    yield "readme", [sys.executable, str(ROOT / "tools" / "readme.py"), "--check"]
    manifestoo = [str(BIN / "manifestoo"), "-d", ".", "--addons-path-from-import-odoo"]
    manifestoo += ["--odoo-series", "19.0"]
    yield "manifestoo check-dev-status", manifestoo + ["check-dev-status"]
    yield "manifestoo check-licenses", manifestoo + ["check-licenses"]
    yield "manifestoo list-missing", manifestoo + ["list-missing"]
    yield "check-xml", [str(BIN / "check-xml"), *tracked("*.xml")]
    yield "check-merge-conflict", [str(BIN / "check-merge-conflict"), *text]
    yield "check-case-conflict", [str(BIN / "check-case-conflict"), *tracked()]
    yield "debug-statements", [str(BIN / "debug-statement-hook"), *tracked("*.py")]
    yield "check-docstring-first", [str(BIN / "check-docstring-first"), *tracked("*.py")]
    # The fixers: a file they would change is a failure here (git diff shows it).
    yield "trailing-whitespace", [str(BIN / "trailing-whitespace-fixer"), *text]
    yield "end-of-file", [str(BIN / "end-of-file-fixer"), *text]


def main():
    missing = [pkg for mod, pkg in TOOLS.items() if not importlib.util.find_spec(mod)]
    if missing:
        print(
            f"[lint] missing {', '.join(missing)}: pip install -r requirements-lint.txt",
            file=sys.stderr,
        )
        return 2
    env = odoo_env()
    failed = []
    only = sys.argv[1:]  # step names to run (their first word), e.g. "manifestoo"
    for name, cmd in steps():
        if only and name.split()[0] not in only:
            continue
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        output = (proc.stdout + proc.stderr).strip()
        print(f"[lint] {name}: {'ok' if proc.returncode == 0 else 'FAILED'}", flush=True)
        if proc.returncode != 0:
            failed.append(name)
        if proc.returncode != 0 or (name.endswith("optional") and output):
            print(output[-4000:], flush=True)
    if failed:
        print(f"[lint] failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
