"""A partner's channel starts from ``odoo-bin scaffold -t tools/templates/channel``.

Odoo's own scaffold command renders the template into a temporary
directory; the generated addon must parse, depend on ``connector_base``,
offer its channel type, and carry every hook the pipeline calls (each
method of ``connector_base``'s ``integration.backend`` whose docstring
starts with "Hook:"), with the same arguments, a docstring and a
NotImplementedError, plus lib/, sandbox/, readme/ and the test that fails
until the hooks are written. No database: Odoo only renders files here.
"""

import ast
import subprocess
import sys
from pathlib import Path

import odoo.release

ROOT = Path(__file__).resolve().parent.parent
ODOO_BIN = Path(odoo.release.__file__).resolve().parent.parent / "odoo-bin"
TEMPLATE = ROOT / "tools" / "templates" / "channel"


def _arguments(function):
    args = function.args
    return [a.arg for a in args.args], len(args.defaults)


def pipeline_hooks():
    """{name: arguments} of connector_base's integration.backend hooks."""
    hooks = {}
    for path in sorted((ROOT / "connector_base" / "models").glob("integration_backend*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and (ast.get_docstring(node) or "").startswith(
                "Hook:"
            ):
                hooks[node.name] = _arguments(node)
    return hooks


def scaffold(name, dest):
    result = subprocess.run(
        [sys.executable, str(ODOO_BIN), "scaffold", "-t", str(TEMPLATE), name, str(dest)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return dest / name


def test_the_pipeline_has_hooks_to_fill():
    hooks = pipeline_hooks()
    assert len(hooks) >= 26, sorted(hooks)
    assert {"_webhook_verify", "_map_event", "_stock_push_levels", "_shipment_send"} <= set(hooks)


def test_scaffold_generates_a_channel_addon_with_every_hook(tmp_path):
    addon = scaffold("connector_acme_shop", tmp_path)
    for path in [
        "__init__.py",
        "__manifest__.py",
        "pyproject.toml",
        "models/__init__.py",
        "models/integration_backend.py",
        "lib/__init__.py",
        "lib/mapping.py",
        "sandbox/__init__.py",
        "sandbox/__main__.py",
        "sandbox/PROTOCOL.md",
        "security/ir.model.access.csv",
        "readme/DESCRIPTION.md",
        "readme/CONFIGURE.md",
        "readme/USAGE.md",
        "static/description/icon.png",
        "tests/__init__.py",
        "tests/test_hooks.py",
    ]:
        assert (addon / path).is_file(), path
    assert not list(addon.rglob("*.template"))

    manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
    assert manifest["depends"] == ["connector_base"]
    assert manifest["version"] == "19.0.1.0.0"
    assert manifest["license"] == "LGPL-3"
    for data in manifest["data"]:
        assert (addon / data).is_file(), data
    for path in addon.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        if path.parent.name == "lib":
            imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
            assert not imports or all(
                "odoo" not in (getattr(n, "module", None) or "") for n in imports
            ), path

    source = (addon / "models" / "integration_backend.py").read_text()
    assert 'CHANNEL = "acme_shop"' in source
    module = ast.parse(source)
    (backend,) = [n for n in module.body if isinstance(n, ast.ClassDef)]
    assert "selection_add=[(CHANNEL" in ast.unparse(backend)
    methods = {n.name: n for n in backend.body if isinstance(n, ast.FunctionDef)}
    hooks = pipeline_hooks()
    assert set(methods) == set(hooks), set(hooks) ^ set(methods)
    for name, method in methods.items():
        assert _arguments(method) == hooks[name], name
        assert ast.get_docstring(method), name
        source = ast.unparse(method)
        assert f"return super().{name}(" in source, name
        assert "raise NotImplementedError" in source, name

    test = (addon / "tests" / "test_hooks.py").read_text()
    assert "raise NotImplementedError" in test and "TransactionCase" in test
    assert (addon / "tests" / "__init__.py").read_text().strip() == "from . import test_hooks"


def test_the_channel_code_drops_the_connector_prefix(tmp_path):
    addon = scaffold("acme", tmp_path)
    assert 'CHANNEL = "acme"' in (addon / "models" / "integration_backend.py").read_text()
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
    assert manifest["name"] == "Acme Connector"
