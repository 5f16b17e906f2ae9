#!/usr/bin/env python3
"""Regenerate or check each addon's README.rst and Apps page (``make readme``).

OCA's ``oca-gen-addon-readme`` (maintainer-tools, not on PyPI) turns
``readme/*.md`` and the manifest into ``README.rst`` and
``static/description/index.html``; it lives in a virtual environment of its
own (``.run/oca-tools``) with pandoc, so the suite's Python is left alone.
``--check`` regenerates into a copy and fails on any difference.
"""

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = [
    "integration_governance",
    "connector_base",
    "connector_shopify",
    "connector_marketplace",
    "connector_3pl",
]
VENV = ROOT / ".run" / "oca-tools"
# OCA/maintainer-tools, pinned (its pre-commit hook is pinned the same way).
MAINTAINER_TOOLS = (
    "oca-maintainers-tools @ git+https://github.com/OCA/maintainer-tools.git"
    "@d4657f8c17a576d0c56c68064e199545ee75db52"
)
TEMPLATE = ROOT / "tools" / "readme" / "README.rst.jinja"
GENERATED = ["README.rst", "static/description/index.html"]


def tool():
    exe = VENV / "bin" / "oca-gen-addon-readme"
    if not exe.exists():
        print(f"[readme] installing oca-gen-addon-readme into {VENV}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", MAINTAINER_TOOLS, "pypandoc_binary"],
            check=True,
        )
    return exe


def generate(root):
    args = [str(tool()), "--org-name=integration-suite", "--repo-name=integration-suite"]
    args += ["--branch=19.0", "--gen-html", f"--template-filename={TEMPLATE}"]
    args += [f"--addon-dir={root / addon}" for addon in ADDONS]
    subprocess.run(args, check=True, cwd=root)


def check():
    """Regenerate into a copy of the addons; the generated files must not differ."""
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        for addon in ADDONS:
            shutil.copytree(
                ROOT / addon, copy / addon, ignore=shutil.ignore_patterns("__pycache__")
            )
        generate(copy)
        for addon in ADDONS:
            for name in GENERATED:
                ours, fresh = ROOT / addon / name, copy / addon / name
                if not ours.exists() or not filecmp.cmp(ours, fresh, shallow=False):
                    stale.append(f"{addon}/{name}")
    for path in stale:
        print(f"[readme] stale: {path} (run make readme)", file=sys.stderr)
    return 1 if stale else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    if parser.parse_args().check:
        return check()
    generate(ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
