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
# Every addon of the suite: each folder at the root with a manifest.
ADDONS = sorted(manifest.parent.name for manifest in ROOT.glob("*/__manifest__.py"))
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


ORG = REPO = "integration-suite"
BRANCH = "19.0"


def generate(root):
    args = [str(tool()), f"--org-name={ORG}", f"--repo-name={REPO}"]
    args += [f"--branch={BRANCH}", "--gen-html", f"--template-filename={TEMPLATE}"]
    args += [f"--addon-dir={root / addon}" for addon in ADDONS]
    subprocess.run(args, check=True, cwd=root)
    for addon in ADDONS:
        local_images(root / addon, addon)


def local_images(addon_dir, addon):
    """Point images back at the addon's own files.

    The tool makes a fragment's relative image path absolute on
    raw.githubusercontent.com/<org>/<repo>, a repository this suite does not
    have: README.rst gets ``static/description/<file>`` back, and the Apps
    page (beside the images) ``<file>``, which Odoo serves from the addon.
    """
    remote = f"https://raw.githubusercontent.com/{ORG}/{REPO}/{BRANCH}/{addon}/"
    for path, prefix in [
        (addon_dir / "README.rst", remote),
        (addon_dir / "static" / "description" / "index.html", remote + "static/description/"),
    ]:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        if prefix in text:
            path.write_text(text.replace(prefix, ""), encoding="utf-8")


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
