"""Each addon's Apps page is generated from its readme/ fragments and is fresh.

``make readme`` runs OCA's ``oca-gen-addon-readme``, which writes into
``README.rst`` (and the ``static/description/index.html`` rendered from it)
a digest of the manifest and the fragments it was generated from. A fragment
or manifest changed since then changes that digest: the page is stale. The
digest is computed here as the tool computes it (``tools/_hash.py`` of
OCA/maintainer-tools), so the check needs neither the tool nor a network.
``python3 tools/readme.py --check`` regenerates everything and compares.
"""

import ast
import hashlib
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Every addon of the suite: each folder at the root with a manifest.
ADDONS = sorted(manifest.parent.name for manifest in ROOT.glob("*/__manifest__.py"))
DIGEST = re.compile(r"!! source digest: (sha256:[0-9a-f]{64})")
# OCA's sections: (fragment, title on the page); Credits is always there.
SECTIONS = [
    ("DESCRIPTION.md", None),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("ROADMAP.md", "Known issues / Roadmap"),
    ("CONTRIBUTORS.md", "Contributors"),
]


def source_digest(addon_dir):
    """sha256 over the manifest, then readme/ walked in sorted order (names and contents)."""
    digest = hashlib.sha256()
    paths = [addon_dir / "__manifest__.py"]
    for dirpath, dirnames, filenames in os.walk(addon_dir / "readme"):
        dirnames.sort()
        paths += [Path(dirpath) / f for f in sorted(filenames) if not f.startswith(".")]
    for path in paths:
        digest.update(str(path.relative_to(addon_dir)).encode())
        digest.update(path.read_bytes())
    return "sha256:" + digest.hexdigest()


def _digests(path):
    return DIGEST.findall(path.read_text(encoding="utf-8")) if path.is_file() else []


@pytest.mark.parametrize("addon", ADDONS)
def test_readme_and_apps_page_are_generated_from_current_fragments(addon):
    addon_dir = ROOT / addon
    expected = source_digest(addon_dir)
    readme = addon_dir / "README.rst"
    index = addon_dir / "static" / "description" / "index.html"
    assert _digests(readme) == [expected], f"{readme} is stale: run make readme"
    assert _digests(index) == [expected], f"{index} is stale: run make readme"


# The addons with views: their pages show screenshots of the main ones.
WITH_SCREENSHOTS = ["integration_governance", "connector_base", "connector_shopify"]
IMG = re.compile(r'<img alt="[^"]*" src="([^"]+)"')


@pytest.mark.parametrize("addon", ADDONS)
def test_apps_page_images_are_the_addons_own(addon):
    """Local images sit beside index.html (Odoo serves them from the addon)."""
    description = ROOT / addon / "static" / "description"
    sources = IMG.findall((description / "index.html").read_text(encoding="utf-8"))
    local = [src for src in sources if "//" not in src]
    assert all((description / src).is_file() for src in local), local
    assert not [src for src in sources if "raw.githubusercontent.com" in src]
    if addon in WITH_SCREENSHOTS:
        assert [src for src in local if src.endswith(".png") and src != "icon.png"], addon


@pytest.mark.parametrize("addon", ADDONS)
def test_apps_page_has_oca_sections(addon):
    addon_dir = ROOT / addon
    html = (addon_dir / "static" / "description" / "index.html").read_text(encoding="utf-8")
    manifest = ast.literal_eval((addon_dir / "__manifest__.py").read_text())
    assert f'<h1 class="title">{manifest["name"]}</h1>' in html
    for fragment, title in SECTIONS:
        assert (addon_dir / "readme" / fragment).is_file(), f"{addon}: readme/{fragment}"
        if title:
            assert f">{title}</a></h" in html, f"{addon}: {title}"
    assert ">Credits</a></h" in html


def test_the_digest_changes_with_a_fragment(tmp_path):
    """The staleness check can fail: one more word in a fragment, another digest."""
    addon = tmp_path / "addon"
    (addon / "readme").mkdir(parents=True)
    (addon / "__manifest__.py").write_text("{'name': 'A'}\n")
    (addon / "readme" / "DESCRIPTION.md").write_text("Text.\n")
    before = source_digest(addon)
    (addon / "readme" / "DESCRIPTION.md").write_text("Text, changed.\n")
    assert source_digest(addon) != before


def test_the_suite_readme_renders_without_warnings():
    """README.rst is what a reader gets first: docutils must render all of it."""
    import docutils.core
    import docutils.utils

    try:
        docutils.core.publish_string(
            (ROOT / "README.rst").read_text(encoding="utf-8"),
            writer_name="null",
            settings_overrides={"halt_level": 2, "report_level": 2},
        )
    except docutils.utils.SystemMessage as error:
        pytest.fail(f"README.rst: {error}")
