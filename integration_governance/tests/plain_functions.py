"""Plain pytest test functions, run by Odoo's own runner too.

Odoo's runner (``odoo-bin --test-enable``, the OCA CI's) loads only
``unittest`` cases; the suite's tests of plain Python (``lib/``) are pytest
functions, with ``parametrize`` and a few fixtures. ``PlainFunctionsMixin``
(mixed into one Odoo test case per addon) has one test that runs each of
their functions (each parameter set a subtest), resolving the fixtures they
use: the module's own ``@pytest.fixture`` functions (module or function
scope, plain or yielding), ``monkeypatch`` and ``tmp_path``. pytest collects
the functions itself and skips the case (``__test__ = False``), so each
runner runs every test once.

Written by hand: pytest offers no API to run a function with its fixtures
outside its own session, and a nested ``pytest.main`` would import the test
modules a second time under another name, which Odoo's models do not allow.
"""

import importlib
import inspect
import itertools
import pkgutil
import tempfile
from pathlib import Path

import pytest


def _fixture_function(value):
    """(function, scope) of a module's ``@pytest.fixture``, else None."""
    wrapped = getattr(value, "_get_wrapped_function", None)
    if wrapped is None:
        return None
    marker = getattr(value, "_fixture_function_marker", None)
    return wrapped(), getattr(marker, "scope", "function")


def _parameter_sets(function):
    """[{argument: value}] from the function's ``parametrize`` marks (their product)."""
    axes = []
    for mark in reversed(getattr(function, "pytestmark", [])):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        sets = []
        for value in values:
            value = getattr(value, "values", value)  # pytest.param(...)
            if len(names) == 1 and not (isinstance(value, tuple) and len(value) == 1):
                value = (value,)
            sets.append(dict(zip(names, value, strict=True)))
        axes.append(sets)
    if not axes:
        return [{}]
    return [
        dict(itertools.chain.from_iterable(p.items() for p in combo))
        for combo in itertools.product(*axes)
    ]


class _Fixtures:
    """Resolve fixtures by name for one module; module-scoped ones live until close."""

    def __init__(self, module):
        self.definitions = {}
        for name, value in vars(module).items():
            found = _fixture_function(value)
            if found:
                self.definitions[name] = found
        self.module_values = {}
        self.module_teardowns = []

    def resolve(self, name, values, teardowns, tmp):
        if name in values:
            return values[name]
        if name in self.module_values:
            return self.module_values[name]
        if name == "monkeypatch":
            patch = pytest.MonkeyPatch()
            teardowns.append(patch.undo)
            values[name] = patch
            return patch
        if name == "tmp_path":
            values[name] = Path(tempfile.mkdtemp(dir=tmp))
            return values[name]
        if name not in self.definitions:
            raise LookupError(f"fixture {name!r} is not known outside pytest")
        function, scope = self.definitions[name]
        module_scoped = scope in ("module", "session", "package")
        own_teardowns = self.module_teardowns if module_scoped else teardowns
        kwargs = {
            arg: self.resolve(arg, values, teardowns, tmp)
            for arg in inspect.signature(function).parameters
        }
        result = function(**kwargs)
        if inspect.isgenerator(result):
            generator, result = result, next(result)
            own_teardowns.append(lambda g=generator: next(g, None))
        (self.module_values if module_scoped else values)[name] = result
        return result

    def close(self):
        for teardown in reversed(self.module_teardowns):
            teardown()


def run_module_functions(case, module):
    """Run every ``test_*`` function of ``module``, each parameter set a subtest."""
    fixtures = _Fixtures(module)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for name, function in sorted(vars(module).items()):
                if not (name.startswith("test_") and inspect.isfunction(function)):
                    continue
                for parameters in _parameter_sets(function):
                    label = f"{module.__name__.rsplit('.', 1)[-1]}.{name}{parameters or ''}"
                    with case.subTest(label):
                        values, teardowns = dict(parameters), []
                        try:
                            kwargs = {
                                arg: fixtures.resolve(arg, values, teardowns, tmp)
                                for arg in inspect.signature(function).parameters
                            }
                            function(**kwargs)
                        finally:
                            for teardown in reversed(teardowns):
                                teardown()
        finally:
            fixtures.close()


def plain_function_modules(package):
    """The test modules of ``package`` that define plain ``test_*`` functions."""
    found = []
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        if any(
            name.startswith("test_") and inspect.isfunction(value)
            for name, value in vars(module).items()
        ):
            found.append(module)
    return found


class PlainFunctionsMixin:
    """Mix into one Odoo test case of an addon's tests package (with
    ``__test__ = False``): its test runs every plain ``test_*`` function of
    the package's test modules, found by name, so none is forgotten."""

    def test_plain_functions(self):
        modules = plain_function_modules(type(self).__module__.rsplit(".", 1)[0])
        self.assertTrue(modules, "no module of plain test functions in this package")
        for module in modules:
            run_module_functions(self, module)
