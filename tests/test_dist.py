"""``make dist``'s wheels install the suite the way Odoo people install addons.

The five wheels are built as ``make dist`` builds them, pip-installed into a
fresh virtual environment beside Odoo 19 (Odoo itself on ``PYTHONPATH``, as
``/opt/odoo19`` is here; its Python requirements and OCA ``queue_job`` come
from the system site-packages), and the five addons are installed into a new
database by that Python with an addons path naming Odoo's own addons only:
Odoo finds them as ``odoo.addons.*`` in the environment's site-packages.
"""

import ast
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import odoo.release
import odoo.sql_db
from odoo.tools import config as odoo_config

ROOT = Path(__file__).resolve().parent.parent
ODOO_PATH = Path(odoo.release.__file__).resolve().parent.parent
# Every addon of the suite: each folder at the root with a manifest.
ADDONS = sorted(manifest.parent.name for manifest in ROOT.glob("*/__manifest__.py"))
DB_OPTIONS = ("db_host", "db_port", "db_user", "db_password")


def _run(cmd, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{cmd[:4]}...: {proc.stdout[-2000:]}{proc.stderr[-3000:]}"
    return proc


def _wheel_metadata(wheel):
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(name).decode()
        files = archive.namelist()
    requires = {
        re.split(r"[<>=!~;\s\[]", line.split(":", 1)[1].strip())[0]
        for line in text.splitlines()
        if line.startswith("Requires-Dist:")
    }
    return requires, files


def _expected_requires(addon):
    """What the manifest says the wheel needs: OCA's names for addons, libraries as they are."""
    manifest = ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())
    requires = {"odoo"}
    for dep in manifest["depends"]:
        if dep in ADDONS or dep == "queue_job":
            requires.add(f"odoo-addon-{dep}")
    requires |= set(manifest.get("external_dependencies", {}).get("python", []))
    return requires


def test_wheels_install_the_suite_into_a_new_database(tmp_path):
    started = time.time()
    dist = tmp_path / "dist"
    _run([sys.executable, str(ROOT / "tools" / "suite.py"), "dist", "--dest", str(dist)])
    wheels = sorted(dist.glob("*.whl"))
    by_addon = {}
    for wheel in wheels:
        match = re.fullmatch(
            r"odoo_addon_(\w+?)-(19\.0\.\d+\.\d+\.\d+[.\w]*)-py3-none-any\.whl", wheel.name
        )
        assert match, wheel.name
        by_addon[match.group(1)] = wheel
    assert sorted(by_addon) == sorted(ADDONS)
    for addon, wheel in by_addon.items():
        requires, files = _wheel_metadata(wheel)
        assert requires == _expected_requires(addon), addon
        assert f"odoo/addons/{addon}/__manifest__.py" in files
        # Only the addon's tracked files: nothing of .run/, no bytecode.
        assert not [f for f in files if ".run/" in f or f.endswith(".pyc")], addon

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)])
    python = str(venv / "bin" / "python")
    pip = [sys.executable, "-m", "pip", "--python", python]
    _run(pip + ["install", "-q", "--no-deps", "--no-index", *map(str, wheels)])
    # Every requirement of the five wheels is met in that environment, but
    # the 'odoo' distribution when Odoo 19 runs from its source tree (here).
    check = subprocess.run(pip + ["check"], capture_output=True, text=True)
    ours = [
        line
        for line in check.stdout.splitlines()
        if line.startswith(tuple(f"odoo-addon-{a.replace('_', '-')} " for a in ADDONS))
    ]
    unmet = [line for line in ours if not line.endswith("requires odoo, which is not installed.")]
    assert not unmet, check.stdout

    data_dir = tmp_path / "data"
    lines = [
        "[options]",
        f"addons_path = {ODOO_PATH / 'addons'}",
        f"data_dir = {data_dir}",
        "list_db = False",
        "http_interface = 127.0.0.1",
    ]
    lines += [f"{key} = {odoo_config[key]}" for key in DB_OPTIONS if odoo_config.get(key)]
    conf = tmp_path / "odoo.conf"
    conf.write_text("\n".join(lines) + "\n")
    env = {
        **os.environ,
        "PYTHONPATH": str(ODOO_PATH),
        "INTEGRATION_VAULT_KEYS": os.environ.get("INTEGRATION_VAULT_KEYS", "") or _fernet_key(),
    }
    db_name = f"suite_dist_{int(started)}_{os.getpid()}"
    try:
        install = subprocess.run(
            [python, str(ODOO_PATH / "odoo-bin"), "-c", str(conf), "-d", db_name]
            + ["-i", ",".join(ADDONS), "--stop-after-init", "--no-http", "--log-level=warn"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=900,
        )
        log = install.stdout + install.stderr
        bad = [line for line in log.splitlines() if " ERROR " in line or " CRITICAL " in line]
        assert install.returncode == 0 and not bad, log[-4000:]
        probe = _run([python, "-c", PROBE, str(conf), db_name, *ADDONS], env=env, cwd=tmp_path)
        found = json.loads(probe.stdout.strip().splitlines()[-1])
    finally:
        _drop(db_name)
    site = str(venv / "lib")
    for addon in ADDONS:
        assert found["paths"][addon].startswith(site), (addon, found["paths"][addon])
        assert found["states"][addon] == "installed", addon
    assert found["states"]["queue_job"] == "installed"
    assert not any(str(ROOT) in p for p in found["addons_path"]), found["addons_path"]


# Run by the environment's Python: where Odoo finds each addon, and its state.
PROBE = """
import json, sys
import odoo.modules.module as module, odoo.sql_db as sql_db
from odoo.tools import config
config.parse_config(["-c", sys.argv[1]])
module.initialize_sys_path()
import odoo.addons
db, addons = sys.argv[2], sys.argv[3:]
with sql_db.db_connect(db).cursor() as cr:
    cr.execute("SELECT name, state FROM ir_module_module WHERE name = ANY(%s)", [addons + ["queue_job"]])
    states = dict(cr.fetchall())
print(json.dumps({
    "paths": {a: module.get_module_path(a) for a in addons},
    "states": states,
    "addons_path": list(odoo.addons.__path__),
}))
"""


def _fernet_key():
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _drop(db_name):
    odoo.sql_db.close_db(db_name)
    with odoo.sql_db.db_connect("postgres").cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
