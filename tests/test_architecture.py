"""The suite's architecture, checked on its source: no Odoo, no database.

Layers point down: integration_governance (0) <- connector_base (1) <- the
channels connector_shopify, connector_marketplace, connector_3pl (2). A
channel never uses another channel; a shipped addon never uses a test addon
(test addons, under ``tests/addons/`` and ``<addon>/tests/addons/``, may use
what they test). Every addon's ``lib/`` is plain Python: no ``odoo`` import,
no relative import out of ``lib/``. An addon's ``tests/__init__.py`` imports
each of its ``test_*.py`` modules, since Odoo's runner only sees those.

"Uses" means the manifest's ``depends`` or an import in any of the addon's
``.py`` files: ``odoo.addons.<addon>``, ``from odoo.addons import <addon>``,
relative imports (resolved from the file's package), and ``__import__`` /
``importlib.import_module`` of a literal name. Each rule has a test below
that feeds the checker a tiny tree breaking it.
"""

import ast
import functools
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS = {
    "integration_governance": 0,
    "connector_base": 1,
    "connector_shopify": 2,
    "connector_marketplace": 2,
    "connector_3pl": 2,
}
CHANNEL_LAYER = 2
SKIPPED_DIRS = {".git", ".run", "__pycache__", "node_modules"}


@dataclass(frozen=True)
class Addon:
    name: str
    path: Path
    test: bool  # a test addon (tests/addons/*, <addon>/tests/addons/*)


@dataclass(frozen=True)
class Violation:
    rule: str  # "layers", "channels", "test-addons", "lib", "tests-init", "parse"
    # ("parse": a syntax error, or a relative import climbing out of odoo.addons)
    where: str  # path relative to the root, with a line number when there is one
    message: str

    def __str__(self):
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Use:
    """One addon naming another module: ``target`` is a dotted absolute name."""

    target: str
    where: str
    relative: bool = False


def find_addons(root):
    """{name: Addon}: the root's addons, then the test addons beside them."""
    addons = {}
    for manifest in sorted(root.glob("*/__manifest__.py")):
        addons[manifest.parent.name] = Addon(manifest.parent.name, manifest.parent, False)
    test_dirs = [root / "tests" / "addons"] + [a.path / "tests" / "addons" for a in addons.values()]
    for test_dir in test_dirs:
        for manifest in sorted(test_dir.glob("*/__manifest__.py")):
            addons[manifest.parent.name] = Addon(manifest.parent.name, manifest.parent, True)
    return addons


def addon_files(addon, addons):
    """The addon's ``.py`` files, without those of the test addons nested in it."""
    nested = {a.path for a in addons.values() if a.path != addon.path}
    for folder, dirs, files in os.walk(addon.path):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and Path(folder, d) not in nested)
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(folder, name)


def manifest_depends(addon):
    manifest = ast.literal_eval((addon.path / "__manifest__.py").read_text(encoding="utf-8"))
    return list(manifest.get("depends") or [])


def _package(addon, path):
    """``['odoo', 'addons', <addon>, ...]``: the package a file's relative imports start from."""
    parts = list(path.relative_to(addon.path).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    else:
        parts = parts[:-1]
    return ["odoo", "addons", addon.name, *parts]


def _literal_import(node):
    """The literal module name of ``__import__("x")`` / ``importlib.import_module("x")``."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name not in ("__import__", "import_module") or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def file_uses(addon, path, tree, where):
    """Every module ``tree`` imports, relative imports made absolute; an import
    climbing above ``odoo.addons`` is a Violation instead."""
    package = _package(addon, path)
    for node in ast.walk(tree):
        here = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Use(alias.name, here)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module.split(".")
                relative = False
            else:
                up = node.level - 1
                if up > len(package) - 2:  # above odoo.addons: not an addon import
                    yield Violation("parse", here, "relative import climbs above odoo.addons")
                    continue
                base = package[: len(package) - up] + (
                    node.module.split(".") if node.module else []
                )
                relative = True
            if node.module is None or base in (["odoo"], ["odoo", "addons"]):
                # ``from . import x`` / ``from odoo.addons import x``: x may be a module.
                for alias in node.names:
                    yield Use(".".join([*base, alias.name]), here, relative)
            else:
                yield Use(".".join(base), here, relative)
        elif isinstance(node, ast.Call):
            name = _literal_import(node)
            if name:
                yield Use(name, here)


def addon_of(module):
    """``x`` for ``odoo.addons.x[.…]``, else None."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[:2] == ["odoo", "addons"]:
        return parts[2]
    return None


def _in_lib(addon, path):
    return path.relative_to(addon.path).parts[0] == "lib"


def _tests_init_imports(addon, tree):
    """The ``tests`` submodules ``tests/__init__.py`` imports."""
    own = f"odoo.addons.{addon.name}.tests."
    names = set()
    for use in file_uses(addon, addon.path / "tests" / "__init__.py", tree, ""):
        if isinstance(use, Use) and use.target.startswith(own):
            names.add(use.target[len(own) :].split(".")[0])
    return names


def _dependency_violation(addon, other, where, verb, layers):
    """The rule ``addon`` using ``other`` breaks, or None."""
    if addon.test:
        return None  # a test addon may use what it tests
    if other.test:
        return Violation("test-addons", where, f"{addon.name} {verb} the test addon {other.name}")
    if other.name == addon.name or addon.name not in layers or other.name not in layers:
        return None
    mine, theirs = layers[addon.name], layers[other.name]
    if mine == theirs == CHANNEL_LAYER:
        return Violation(
            "channels",
            where,
            f"the channel {addon.name} {verb} another channel, {other.name}: "
            "what channels share belongs in connector_base",
        )
    if theirs >= mine:
        return Violation(
            "layers",
            where,
            f"{addon.name} (layer {mine}) {verb} {other.name} (layer {theirs}): "
            "layers point down only (governance 0, connector_base 1, channels 2)",
        )
    return None


def check(root, layers=LAYERS):
    """Every Violation in the tree at ``root``."""
    addons = find_addons(root)
    violations = []
    for addon in addons.values():
        rel = addon.path.relative_to(root).as_posix()
        if not addon.test and addon.name not in layers:
            violations.append(
                Violation(
                    "layers", f"{rel}/__manifest__.py", f"{addon.name} has no layer in LAYERS"
                )
            )
        for dependency in manifest_depends(addon):
            if dependency in addons:
                found = _dependency_violation(
                    addon, addons[dependency], f"{rel}/__manifest__.py", "depends on", layers
                )
                if found:
                    violations.append(found)
        for path in addon_files(addon, addons):
            where = path.relative_to(root).as_posix()
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            except SyntaxError as error:
                violations.append(Violation("parse", f"{where}:{error.lineno}", str(error)))
                continue
            in_lib = _in_lib(addon, path)
            lib_package = f"odoo.addons.{addon.name}.lib"
            for use in file_uses(addon, path, tree, where):
                if isinstance(use, Violation):
                    violations.append(use)
                    continue
                if in_lib:
                    if use.relative and not (
                        use.target == lib_package or use.target.startswith(lib_package + ".")
                    ):
                        violations.append(
                            Violation(
                                "lib",
                                use.where,
                                f"lib/ imports {use.target}, outside lib/: "
                                "lib/ is plain Python, importable without Odoo",
                            )
                        )
                    elif not use.relative and (
                        use.target == "odoo" or use.target.startswith("odoo.")
                    ):
                        violations.append(
                            Violation(
                                "lib",
                                use.where,
                                f"lib/ imports {use.target}: lib/ is plain Python, "
                                "importable without Odoo (inject what it needs)",
                            )
                        )
                other = addon_of(use.target)
                if other in addons:
                    found = _dependency_violation(
                        addon, addons[other], use.where, "imports", layers
                    )
                    if found:
                        violations.append(found)
        violations.extend(_check_tests_init(root, addon))
    return violations


def _check_tests_init(root, addon):
    tests = addon.path / "tests"
    modules = sorted(p.stem for p in tests.glob("test_*.py")) if tests.is_dir() else []
    if not modules:
        return []
    init = tests / "__init__.py"
    where = init.relative_to(root).as_posix()
    if not init.is_file():
        return [Violation("tests-init", where, f"missing, so Odoo runs none of {modules}")]
    imported = _tests_init_imports(addon, ast.parse(init.read_text(encoding="utf-8")))
    return [
        Violation(
            "tests-init",
            where,
            f"does not import {module} (add 'from . import {module}'): "
            "Odoo's test runner only runs the modules tests/__init__.py imports",
        )
        for module in modules
        if module not in imported
    ]


# -- The suite ------------------------------------------------------------------


@functools.cache
def _suite_violations():
    return tuple(check(ROOT))


def _violations(rule):
    return "\n".join(str(v) for v in _suite_violations() if v.rule == rule)


def _suite_lists():
    """SUITE_ADDONS and TEST_ONLY_ADDONS of tools/suite.py, read without importing it."""
    tree = ast.parse((ROOT / "tools" / "suite.py").read_text(encoding="utf-8"))
    lists = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id in ("SUITE_ADDONS", "TEST_ONLY_ADDONS"):
            lists[target.id] = ast.literal_eval(node.value)
    return lists


def test_the_checker_sees_every_addon_of_the_suite():
    addons = find_addons(ROOT)
    lists = _suite_lists()
    assert {a.name for a in addons.values() if not a.test} == set(lists["SUITE_ADDONS"])
    assert {a.name for a in addons.values() if a.test} == set(lists["TEST_ONLY_ADDONS"])
    assert set(LAYERS) == set(lists["SUITE_ADDONS"])
    files = sum(1 for a in addons.values() for _ in addon_files(a, addons))
    assert files > 50, f"only {files} Python files found under {ROOT}"


def test_every_file_parses_and_its_relative_imports_resolve():
    assert not _violations("parse")


def test_layers_point_down():
    assert not _violations("layers")


def test_channels_do_not_use_each_other():
    assert not _violations("channels")


def test_shipped_addons_do_not_use_test_addons():
    assert not _violations("test-addons")


def test_lib_is_plain_python():
    assert not _violations("lib")


def test_tests_init_imports_every_test_module():
    assert not _violations("tests-init")


# -- The checker catches what it is meant to ---------------------------------------


def _write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _manifest(*depends):
    return repr({"name": "x", "depends": list(depends)})


@pytest.fixture
def tree(tmp_path):
    """A tiny clean suite: governance, base, two channels, a test addon in base."""
    _write(
        tmp_path,
        {
            "integration_governance/__manifest__.py": _manifest("mail"),
            "integration_governance/__init__.py": "",
            "integration_governance/lib/__init__.py": "",
            "integration_governance/lib/vocabulary.py": "import re\n",
            "connector_base/__manifest__.py": _manifest("integration_governance", "queue_job"),
            "connector_base/__init__.py": "from . import models\n",
            "connector_base/models/__init__.py": "from . import backend\n",
            "connector_base/models/backend.py": (
                "from odoo import models\n"
                "from odoo.addons.integration_governance.lib import vocabulary\n"
                "from ..lib import retry\n"
            ),
            "connector_base/lib/__init__.py": "",
            "connector_base/lib/retry.py": "from . import throttle\nfrom .throttle import x\n",
            "connector_base/lib/throttle.py": "x = 1\n",
            "connector_base/tests/__init__.py": "from . import test_a\nfrom .test_b import *\n",
            "connector_base/tests/test_a.py": "from odoo.addons.connector_base.lib import retry\n",
            "connector_base/tests/test_b.py": "",
            "connector_base/tests/addons/connector_test_channel/__manifest__.py": _manifest(
                "connector_base", "connector_shopify"
            ),
            "connector_base/tests/addons/connector_test_channel/__init__.py": (
                "from odoo.addons import connector_shopify\n"
            ),
            "connector_shopify/__manifest__.py": _manifest("connector_base"),
            "connector_shopify/__init__.py": "from . import models\n",
            "connector_shopify/models/__init__.py": (
                "from odoo.addons.connector_base.lib import retry\n"
                "from odoo.addons.connector_base.tests import common\n"
            ),
            "connector_shopify/lib/__init__.py": "",
            "connector_shopify/lib/client.py": "from .cost import graphql_cost\n",
            "connector_shopify/lib/cost.py": "def graphql_cost(): pass\n",
            "connector_3pl/__manifest__.py": _manifest("connector_base"),
            "connector_3pl/__init__.py": "",
        },
    )
    return tmp_path


def _rules(root):
    return sorted((v.rule, v.where.split(":")[0]) for v in check(root))


def test_the_clean_tree_passes(tree):
    assert check(tree) == []


@pytest.mark.parametrize(
    "files, expected",
    [
        (  # the base depends on a channel
            {"connector_base/__manifest__.py": _manifest("connector_shopify")},
            ("layers", "connector_base/__manifest__.py"),
        ),
        (  # governance imports the base, absolute
            {"integration_governance/models.py": "import odoo.addons.connector_base.models\n"},
            ("layers", "integration_governance/models.py"),
        ),
        (  # governance imports the base, from odoo.addons import ...
            {"integration_governance/models.py": "from odoo.addons import connector_base\n"},
            ("layers", "integration_governance/models.py"),
        ),
        (  # the base imports a channel, relative import out of the addon
            {"connector_base/models/up.py": "from ...connector_shopify.lib import client\n"},
            ("layers", "connector_base/models/up.py"),
        ),
        (  # the base imports a channel inside a function, by name
            {
                "connector_base/models/up.py": "def f():\n    __import__('odoo.addons.connector_3pl')\n"
            },
            ("layers", "connector_base/models/up.py"),
        ),
        (  # an addon nobody placed in a layer
            {"connector_new/__manifest__.py": _manifest("connector_base")},
            ("layers", "connector_new/__manifest__.py"),
        ),
    ],
)
def test_a_layer_pointing_up_is_reported(tree, files, expected):
    _write(tree, files)
    assert _rules(tree) == [expected]


def test_a_channel_using_another_is_reported(tree):
    _write(
        tree,
        {
            "connector_3pl/__manifest__.py": _manifest("connector_base", "connector_shopify"),
            "connector_3pl/models.py": "from odoo.addons.connector_shopify.lib.client import x\n",
        },
    )
    assert _rules(tree) == [
        ("channels", "connector_3pl/__manifest__.py"),
        ("channels", "connector_3pl/models.py"),
    ]
    assert "another channel, connector_shopify" in str(check(tree)[0])


def test_a_shipped_addon_using_a_test_addon_is_reported(tree):
    _write(
        tree,
        {
            "connector_shopify/__manifest__.py": _manifest(
                "connector_base", "connector_test_channel"
            ),
            "connector_base/tests/test_b.py": "import odoo.addons.connector_test_channel\n",
        },
    )
    assert _rules(tree) == [
        ("test-addons", "connector_base/tests/test_b.py"),
        ("test-addons", "connector_shopify/__manifest__.py"),
    ]


@pytest.mark.parametrize(
    "source",
    [
        "import odoo\n",
        "import odoo.tools\n",
        "from odoo import fields\n",
        "from odoo.addons.connector_base.lib import retry\n",
        "from odoo.addons import connector_base\n",
        "def f():\n    from odoo.exceptions import UserError\n",
        "import importlib\nimportlib.import_module('odoo.addons.connector_base.lib.retry')\n",
        "from .. import models\n",  # out of lib/ into the ORM side
        "from ..models.backend import X\n",
    ],
)
def test_an_odoo_import_in_lib_is_reported(tree, source):
    _write(tree, {"connector_shopify/lib/client.py": source})
    assert _rules(tree) == [("lib", "connector_shopify/lib/client.py")]


def test_an_odoo_import_in_a_nested_lib_package_is_reported(tree):
    _write(
        tree,
        {
            "integration_governance/lib/sub/__init__.py": "from .. import vocabulary\n",
            "integration_governance/lib/sub/x.py": "from odoo import api\n",
        },
    )
    assert _rules(tree) == [("lib", "integration_governance/lib/sub/x.py")]


def test_a_test_module_tests_init_forgets_is_reported(tree):
    _write(tree, {"connector_base/tests/test_forgotten.py": "def test_x(): pass\n"})
    assert _rules(tree) == [("tests-init", "connector_base/tests/__init__.py")]
    assert "test_forgotten" in str(check(tree)[0])


def test_a_missing_tests_init_is_reported(tree):
    _write(tree, {"connector_shopify/tests/test_x.py": ""})
    assert _rules(tree) == [("tests-init", "connector_shopify/tests/__init__.py")]


def test_a_relative_import_above_odoo_addons_is_reported(tree):
    _write(tree, {"connector_3pl/x.py": "from .... import y\n"})
    assert _rules(tree) == [("parse", "connector_3pl/x.py")]
