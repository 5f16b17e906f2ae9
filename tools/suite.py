#!/usr/bin/env python3
"""Set up and drive the suite on a real Odoo 19: ``run``, ``test``, ``bench``, ``chaos``.

Plain Python rather than shell so that the same steps (find Odoo, start the
private PostgreSQL cluster, write the Odoo configuration, create a database)
serve ``make run``, ``make test`` and ``make bench`` alike.
"""

import argparse
import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import bench_report

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / ".run"
DEFAULT_ODOO_PATH = "/opt/odoo19"
SUITE_ADDONS = [
    "integration_governance",
    "connector_base",
    "connector_shopify",
    "connector_marketplace",
    "connector_3pl",
]
TEST_ADDONS_DIRS = [ROOT / "tests" / "addons", ROOT / "connector_base" / "tests" / "addons"]
TEST_ONLY_ADDONS = ["integration_governance_test_source", "connector_test_channel"]
PG_PORT = int(os.environ.get("SUITE_PG_PORT", "54329"))
PG_USER = "odoo"


def say(msg):
    print(f"[suite] {msg}", flush=True)


def die(msg, code=2):
    print(f"[suite] ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


# --------------------------------------------------------------------- Odoo
def find_odoo():
    """Return (source tree or None, version) of an Odoo 19 this Python can run.

    Order: ``ODOO_PATH``, an ``odoo`` already importable, the documented
    default ``/opt/odoo19``.
    """
    candidates = []
    if os.environ.get("ODOO_PATH"):
        path = os.environ["ODOO_PATH"]
        if not (Path(path) / "odoo" / "release.py").is_file():
            die(
                f"Odoo 19 not found: ODOO_PATH={path} is not an Odoo source tree "
                '(README.rst, "Prerequisites > Getting the runtime")'
            )
        candidates.append(path)
    probe = subprocess.run(
        [sys.executable, "-c", "import odoo.release as r; print(r.__file__)"],
        capture_output=True,
        text=True,
    )
    if probe.returncode == 0:
        candidates.append(str(Path(probe.stdout.strip()).parent.parent))
    candidates.append(DEFAULT_ODOO_PATH)
    for path in candidates:
        release = Path(path) / "odoo" / "release.py"
        if release.is_file():
            scope = {}
            exec(compile(release.read_text(), str(release), "exec"), scope)
            version = scope["version_info"]
            if version[0] != 19:
                die(f"Odoo at {path} is {version[:2]}, the suite needs Odoo 19.0")
            return Path(path), scope["version"]
    die(
        "Odoo 19 not found: set ODOO_PATH to an Odoo 19.0 source tree, install "
        f"it into {sys.executable}, or put it at {DEFAULT_ODOO_PATH}; README.rst, "
        '"Prerequisites > Getting the runtime", has the commands'
    )


def python_env(odoo_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(odoo_path), env.get("PYTHONPATH", "")] if p)
    return env


def ensure_requirements(odoo_path):
    """Install the suite's Python requirements into this Python when missing."""
    check = (
        "import requests, cryptography, jsonschema, pytest_odoo, openupgradelib, prometheus_client;"
        "import websocket;"
        "import importlib.util as u, sys;"
        "sys.exit(0 if u.find_spec('odoo.addons.queue_job') else 1)"
    )
    if (
        subprocess.run(
            [sys.executable, "-c", check],
            env=python_env(odoo_path),
            capture_output=True,
        ).returncode
        == 0
    ):
        return
    say("installing Python requirements (requirements.txt)")
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    subprocess.run(pip + ["-r", str(ROOT / "requirements.txt")], check=True)
    subprocess.run(pip + ["--no-deps", "-r", str(ROOT / "requirements-nodeps.txt")], check=True)


def queue_job_addons_dir(odoo_path):
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.util as u, os;"
            "s = u.find_spec('odoo.addons.queue_job');"
            "print(os.path.dirname(os.path.dirname(s.origin)))",
        ],
        env=python_env(odoo_path),
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        die("OCA queue_job 19.0 is not installed (pip install --no-deps odoo-addon-queue_job)")
    return out.stdout.strip()


# --------------------------------------------------------------- PostgreSQL
def external_db_configured():
    return bool(os.environ.get("PGHOST") or os.environ.get("ODOO_DB_HOST"))


def pg_bin(name):
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    die(f"PostgreSQL's {name} not found: install PostgreSQL 13+ (Debian: postgresql)")


def _as_cluster_owner(cmd):
    """initdb refuses root: run the cluster as the 'postgres' system user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


class PrivateCluster:
    """A PostgreSQL cluster under .run/pg listening on a local socket only.

    ``directory`` and ``port`` give another one (the chaos test's, which it
    restarts, lives in .run/chaos-pg): its own data, socket and log.
    """

    def __init__(self, directory=None, port=None):
        self.dir = Path(directory) if directory else RUN / "pg"
        self.port = int(port or PG_PORT)
        self.data = self.dir / "data"
        self.socket = self.dir / "socket"
        self.started_here = False

    def _chown(self):
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for path in [self.dir, self.data, self.socket]:
                if path.exists():
                    os.chown(path, pw.pw_uid, pw.pw_gid)
            # The cluster owner must be able to reach .run/pg.
            for parent in [RUN, *RUN.parents]:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)

    def ensure(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket.mkdir(exist_ok=True)
        self._chown()
        if not (self.data / "PG_VERSION").exists():
            say(f"initialising a private PostgreSQL cluster in {self.data}")
            self.data.mkdir(exist_ok=True)
            self._chown()
            subprocess.run(
                _as_cluster_owner(
                    [
                        pg_bin("initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        PG_USER,
                        "--auth=trust",
                        "-E",
                        "UTF8",
                        "--locale=C",
                    ]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        if not self.running():
            say(f"starting PostgreSQL on socket {self.socket} (port {self.port})")
            subprocess.run(
                _as_cluster_owner(
                    [
                        pg_bin("pg_ctl"),
                        "-D",
                        str(self.data),
                        "-l",
                        str(self.dir / "postgresql.log"),
                        "-w",
                        "-o",
                        f"-k {self.socket} -p {self.port} -c listen_addresses='' "
                        "-c max_connections=200 -c fsync=off "
                        "-c synchronous_commit=off",
                        "start",
                    ]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
            self.started_here = True
        return self

    def running(self):
        return (
            subprocess.run(
                _as_cluster_owner([pg_bin("pg_ctl"), "-D", str(self.data), "status"]),
                capture_output=True,
            ).returncode
            == 0
        )

    def stop(self):
        say("stopping PostgreSQL")
        subprocess.run(
            _as_cluster_owner([pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
            stdout=subprocess.DEVNULL,
        )

    def restart(self):
        """``pg_ctl restart -m fast``: every open connection is cut."""
        subprocess.run(
            _as_cluster_owner(
                [pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "restart"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def psql(self, sql, db="postgres"):
        return subprocess.run(
            [pg_bin("psql"), "-h", str(self.socket), "-p", str(self.port), "-U", PG_USER]
            + ["-d", db, "-tAc", sql],
            capture_output=True,
            text=True,
        )


# ------------------------------------------------------------------- config
def write_config(odoo_path, cluster, name, db_name, workers=0, extra=None, data_dir=None):
    addons = [
        str(ROOT),
        str(odoo_path / "addons"),
        str(odoo_path / "odoo" / "addons"),
        queue_job_addons_dir(odoo_path),
    ]
    if name in ("test", "bench"):
        addons += [str(path) for path in TEST_ADDONS_DIRS]
    lines = [
        "[options]",
        "addons_path = " + ",".join(addons),
        f"data_dir = {data_dir or RUN / 'data'}",
        # One database and no dbfilter: Odoo then serves db_name without
        # listing databases, which costs a new PostgreSQL connection on every
        # request that has no session (every webhook delivery).
        f"db_name = {db_name}",
        "list_db = False",
        "http_interface = 127.0.0.1",
        "admin_passwd = admin",
        f"workers = {workers}",
        "max_cron_threads = 1",
        "server_wide_modules = base,web,queue_job",
        "limit_time_cpu = 600",
        "limit_time_real = 1200",
        "limit_memory_soft = 2147483648",
        "limit_memory_hard = 2684354560",
    ]
    if cluster:
        lines += [
            f"db_host = {cluster.socket}",
            f"db_port = {cluster.port}",
            f"db_user = {PG_USER}",
        ]
    else:
        for key, var in [
            ("db_host", "PGHOST"),
            ("db_port", "PGPORT"),
            ("db_user", "PGUSER"),
            ("db_password", "PGPASSWORD"),
        ]:
            value = os.environ.get("ODOO_" + key.upper()) or os.environ.get(var)
            if value:
                lines.append(f"{key} = {value}")
    if not os.environ.get("INTEGRATION_VAULT_KEYS"):
        lines.append(f"integration_vault_keys = {vault_keys()}")
    lines += list(extra or [])
    # Tests run jobs themselves: no job runner thread in the test process.
    # Benchmarks: two jobs at once, under root.integration too (its backends'
    # channels root.integration.<code> fall back to it).
    channels = {
        "test": "root:0",
        "bench": "root:2,root.integration:2",
        "chaos": "root:2,root.integration:2",
    }.get(name, "root:2")
    lines += ["", "[queue_job]", f"channels = {channels}"]
    # A test run's configuration names its own throw-away database: one file
    # per run, so two runs at once never send requests to each other's.
    path = RUN / (f"odoo-{name}-{db_name}.conf" if name == "test" else f"odoo-{name}.conf")
    path.write_text("\n".join(lines) + "\n")
    return path


def vault_keys():
    """The local vault key ring (.run/vault.keys), made on first use.

    Production servers set ``integration_vault_keys`` (or the environment
    variable INTEGRATION_VAULT_KEYS) themselves; see README.rst.
    """
    path = RUN / "vault.keys"
    if not path.exists():
        from cryptography.fernet import Fernet

        path.write_text(Fernet.generate_key().decode() + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def odoo_cmd(odoo_path, config, *args):
    return [sys.executable, str(odoo_path / "odoo-bin"), "-c", str(config), *args]


def database_exists(odoo_path, config, db_name):
    code = (
        "import odoo.tools.config as c, odoo.sql_db as s, sys;"
        f"c.parse_config(['-c', {str(config)!r}]);"
        "cr = s.db_connect('postgres').cursor();"
        f"cr.execute('SELECT 1 FROM pg_database WHERE datname=%s', [{db_name!r}]);"
        "sys.exit(0 if cr.fetchone() else 1)"
    )
    return (
        subprocess.run(
            [sys.executable, "-c", code], env=python_env(odoo_path), capture_output=True
        ).returncode
        == 0
    )


def create_database(odoo_path, config, db_name, modules, log_file):
    say(f"creating database {db_name} with {', '.join(modules)} and demo data")
    started = time.time()
    with open(log_file, "w") as log:
        proc = subprocess.run(
            odoo_cmd(
                odoo_path,
                config,
                "-d",
                db_name,
                "-i",
                ",".join(modules),
                "--with-demo",
                "--stop-after-init",
                "--log-level=warn",
            ),
            env=python_env(odoo_path),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    text = Path(log_file).read_text()
    bad = [
        line
        for line in text.splitlines()
        if " ERROR " in line or " CRITICAL " in line or "Traceback" in line
    ]
    if proc.returncode != 0 or bad:
        print(text[-6000:], file=sys.stderr)
        die(f"installing the suite into {db_name} failed (log: {log_file})", 1)
    say(f"database {db_name} ready in {time.time() - started:.0f}s")


def drop_database(odoo_path, config, db_name):
    # Plain SQL: Odoo's exp_drop is refused when list_db is off (as here).
    code = (
        "import odoo.tools.config as c, odoo.sql_db as s;"
        f"c.parse_config(['-c', {str(config)!r}]);"
        "cnx = s.db_connect('postgres');"
        "cr = cnx.cursor(); cr._cnx.autocommit = True;"
        f"cr.execute('DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)'); cr.close()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=python_env(odoo_path), capture_output=True, text=True
    )
    if proc.returncode != 0:
        say(f"could not drop {db_name}: {proc.stderr.strip().splitlines()[-1:]}")


def clone_database(odoo_path, config, source, target):
    """``target`` as a copy of ``source`` (no connection to it may be open), filestore too."""
    code = (
        "import odoo.tools.config as c, odoo.sql_db as s;"
        f"c.parse_config(['-c', {str(config)!r}]);"
        "cnx = s.db_connect('postgres');"
        "cr = cnx.cursor(); cr._cnx.autocommit = True;"
        f"cr.execute('DROP DATABASE IF EXISTS \"{target}\" WITH (FORCE)');"
        f'cr.execute(\'CREATE DATABASE "{target}" TEMPLATE "{source}"\'); cr.close()'
    )
    started = time.time()
    proc = subprocess.run(
        [sys.executable, "-c", code], env=python_env(odoo_path), capture_output=True, text=True
    )
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        die(f"could not copy {source} to {target}", 1)
    store = RUN / "data" / "filestore"
    shutil.rmtree(store / target, ignore_errors=True)
    if (store / source).is_dir():
        shutil.copytree(store / source, store / target)
    say(f"database {target} copied from {source} in {time.time() - started:.0f}s")


def _live_users(users):
    """The pids holding a lease on the private cluster (stale leases removed)."""
    live = []
    for lease in users.glob("*"):
        try:
            os.kill(int(lease.name), 0)
            live.append(int(lease.name))
        except (ValueError, ProcessLookupError):
            lease.unlink(missing_ok=True)
        except PermissionError:
            live.append(int(lease.name))
    return live


@contextlib.contextmanager
def database_server(keep_running=False, directory=None, port=None):
    """The private cluster for the time of a command. Several commands may
    share it (``make run`` in one terminal, ``make test`` in another): each
    holds a lease, and the cluster the suite started stops with the last
    one, never under another command's feet."""
    if external_db_configured():
        say("using the external PostgreSQL named by PG*/ODOO_DB_* variables")
        yield None
        return
    cluster = PrivateCluster(directory, port)
    users = cluster.dir / "users"
    users.mkdir(parents=True, exist_ok=True)
    lease = users / str(os.getpid())
    lease.touch()
    started_mark = cluster.dir / "started-by-suite"
    try:
        cluster.ensure()
        if cluster.started_here:
            started_mark.touch()
        yield cluster
    finally:
        lease.unlink(missing_ok=True)
        if keep_running:
            pass
        elif _live_users(users):
            if started_mark.exists():
                say("PostgreSQL kept running: another command of the suite uses it")
        elif started_mark.exists():
            started_mark.unlink(missing_ok=True)
            cluster.stop()


# ------------------------------------------------------------------ commands
def cmd_run(args):
    odoo_path, version = find_odoo()
    ensure_requirements(odoo_path)
    RUN.mkdir(exist_ok=True)
    db_name = os.environ.get("SUITE_DB", "integration_suite")
    port = os.environ.get("ODOO_HTTP_PORT", "8069")
    with database_server() as cluster:
        config = write_config(
            odoo_path,
            cluster,
            "run",
            db_name,
            workers=int(os.environ.get("ODOO_WORKERS", "2")),
            extra=[
                f"http_port = {port}",
                # The workers' longpolling port: several servers on one machine
                # each need their own (ODOO_GEVENT_PORT).
                f"gevent_port = {os.environ.get('ODOO_GEVENT_PORT', '8072')}",
                "proxy_mode = False",
            ],
        )
        if database_exists(odoo_path, config, db_name):
            say(f"reusing database {db_name}")
            subprocess.run(
                odoo_cmd(
                    odoo_path,
                    config,
                    "-d",
                    db_name,
                    "-u",
                    ",".join(SUITE_ADDONS),
                    "--stop-after-init",
                    "--log-level=warn",
                ),
                env=python_env(odoo_path),
                check=True,
            )
        else:
            create_database(odoo_path, config, db_name, SUITE_ADDONS, RUN / "install-run.log")
        sandbox = start_shopify_sandbox(port)
        connect_shopify_demo(odoo_path, config, db_name, port)
        say(
            f"Odoo {version} at http://localhost:{port}/odoo/action-integration_governance.action_integration_overview"
        )
        say("demo login: admin / admin   (Ctrl-C stops Odoo, the sandbox and PostgreSQL)")
        say(
            f"Shopify sandbox at {SHOPIFY_SANDBOX_URL}: a demo order every "
            f"{SHOPIFY_TRICKLE}s (control API: {SHOPIFY_SANDBOX_URL}/_sandbox/shops)"
        )
        proc = subprocess.Popen(
            odoo_cmd(odoo_path, config, "-d", db_name), env=python_env(odoo_path)
        )
        # SIGTERM (a service manager, kill) stops everything as Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            proc.wait()
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
            if proc.poll() is None:
                proc.kill()
        finally:
            sandbox.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                sandbox.wait(timeout=10)
    return 0


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


SHOPIFY_SANDBOX_PORT = int(os.environ.get("SHOPIFY_SANDBOX_PORT", "8899"))
SHOPIFY_SANDBOX_URL = f"http://127.0.0.1:{SHOPIFY_SANDBOX_PORT}"
SHOPIFY_TRICKLE = os.environ.get("SHOPIFY_TRICKLE_SECONDS", "30")


def start_shopify_sandbox(odoo_port):
    """The Shopify sandbox with its demo store and a trickle of orders."""
    log = open(RUN / "shopify-sandbox.log", "w")  # noqa: SIM115 (lives with the process)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            str(SHOPIFY_SANDBOX_PORT),
            "--demo",
            "--trickle",
            SHOPIFY_TRICKLE,
            "--unique-ids",
        ],
        cwd=ROOT / "connector_shopify",
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            die(f"the Shopify sandbox stopped: see {RUN / 'shopify-sandbox.log'}", 1)
        try:
            urllib.request.urlopen(f"{SHOPIFY_SANDBOX_URL}/_sandbox/shops", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    die("the Shopify sandbox did not answer within 60s", 1)


def connect_shopify_demo(odoo_path, config, db_name, odoo_port):
    """Point the demo database's Shopify backend at the sandbox's demo store."""
    env = dict(
        python_env(odoo_path),
        SHOPIFY_SANDBOX_URL=SHOPIFY_SANDBOX_URL,
        SUITE_ODOO_URL=f"http://localhost:{odoo_port}",
    )
    proc = subprocess.run(
        [
            sys.executable,
            str(odoo_path / "odoo-bin"),
            "shell",
            "-c",
            str(config),
            "-d",
            db_name,
            "--no-http",
            "--log-level=warn",
        ],
        input=(ROOT / "tools" / "shopify_demo.py").read_text(),
        text=True,
        env=env,
        capture_output=True,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("[demo]"):
            say(line[len("[demo] ") :])
    if proc.returncode != 0 or "Traceback" in proc.stderr:
        print(proc.stderr[-4000:], file=sys.stderr)
        die("connecting the demo database to the Shopify sandbox failed", 1)


def _junit_counts(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return total - failed - skipped, failed, skipped


def _runs_chaos(chosen):
    """Whether the selected tests include the short chaos run (tests/test_chaos_short.py)."""
    chaos_test = ROOT / "tests" / "test_chaos_short.py"
    if not chosen:
        return True
    for arg in chosen:
        path = (ROOT / arg.split("::")[0]).resolve()
        if path == chaos_test or path in chaos_test.parents:
            return True
    return False


def cmd_test(args):
    started = time.time()
    odoo_path, version = find_odoo()
    ensure_requirements(odoo_path)
    RUN.mkdir(exist_ok=True)
    db_name = f"suite_test_{int(started)}_{os.getpid()}"
    summary = {
        "odoo": version,
        "odoo_path": str(odoo_path),
        "database": db_name,
        "passed": 0,
        "failed": 0,
        "skipped": 0,
    }
    rc = 1
    chaos_db = None
    with database_server() as cluster:
        config = write_config(odoo_path, cluster, "test", db_name)
        try:
            create_database(
                odoo_path,
                config,
                db_name,
                SUITE_ADDONS + TEST_ONLY_ADDONS,
                RUN / "install-test.log",
            )
            # Paths among the arguments narrow the run (e.g. one addon's tests).
            chosen = [a for a in args.pytest_args if (ROOT / a.split("::")[0]).exists()]
            options = [a for a in args.pytest_args if a not in chosen]
            targets = chosen or [
                str(ROOT / a / "tests") for a in SUITE_ADDONS if (ROOT / a / "tests").is_dir()
            ] + [str(ROOT / "tests")]
            env = python_env(odoo_path)
            if _runs_chaos(chosen):
                # The short chaos run gets a copy of the database just installed,
                # in the same server: no second install (tools/chaos.py).
                chaos_db = f"{db_name}_chaos"
                clone_database(odoo_path, config, db_name, chaos_db)
                env.update(CHAOS_DATABASE=chaos_db, CHAOS_ODOO_CONFIG=str(config))
            junit = RUN / "junit.xml"
            cmd = [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                f"--odoo-config={config}",
                f"--odoo-database={db_name}",
                "--odoo-log-level=warn",
                "--odoo-http",
                f"--junitxml={junit}",
                "-q",
                *options,
                *targets,
            ]
            rc = subprocess.run(cmd, env=env, cwd=ROOT).returncode
            if junit.exists():
                passed, failed, skipped = _junit_counts(junit)
                summary.update(passed=passed, failed=failed, skipped=skipped)
            if rc == 5 or summary["passed"] == 0:
                say("no test ran: that is a failure")
                rc = 1
        finally:
            if chaos_db:
                drop_database(odoo_path, config, chaos_db)
                shutil.rmtree(RUN / "data" / "filestore" / chaos_db, ignore_errors=True)
            if not os.environ.get("SUITE_KEEP_DB"):
                drop_database(odoo_path, config, db_name)
                shutil.rmtree(RUN / "data" / "filestore" / db_name, ignore_errors=True)
                config.unlink(missing_ok=True)
            summary["duration_s"] = round(time.time() - started, 1)
            summary["exit_code"] = rc
            (RUN / "test-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
            say(
                f"Odoo {version}: {summary['passed']} passed, {summary['failed']} failed, "
                f"{summary['skipped']} skipped in {summary['duration_s']}s "
                f"(.run/test-summary.json)"
            )
    return rc


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cmd_odoo_tests(args):
    """The same tests through Odoo's own runner (``odoo-bin --test-enable``),
    as the OCA CI and many integrators run them: a fresh database, the suite
    installed with demo data, every test of its addons (pytest's plain
    functions through each addon's ``test_plain_functions``)."""
    started = time.time()
    odoo_path, version = find_odoo()
    ensure_requirements(odoo_path)
    RUN.mkdir(exist_ok=True)
    db_name = f"suite_odoo_tests_{int(started)}_{os.getpid()}"
    modules = SUITE_ADDONS + TEST_ONLY_ADDONS
    log_file = RUN / "odoo-tests.log"
    with database_server() as cluster:
        config = write_config(odoo_path, cluster, "test", db_name)
        try:
            say(f"odoo-bin --test-enable on {', '.join(modules)} (log: {log_file})")
            with open(log_file, "w") as log:
                proc = subprocess.run(
                    odoo_cmd(
                        odoo_path,
                        config,
                        "-d",
                        db_name,
                        "-i",
                        ",".join(modules),
                        "--with-demo",
                        "--test-enable",
                        "--test-tags",
                        ",".join(f"/{module}" for module in modules),
                        "--stop-after-init",
                        "--log-level=test",
                        f"--http-port={_free_port()}",
                        f"--gevent-port={_free_port()}",
                    ),
                    env=python_env(odoo_path),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            lines = log_file.read_text().splitlines()
            # Failures, errors and a database that did not load; a test's own
            # expected error logs (a traceback it means to see) are not failures.
            failed = [
                line
                for line in lines
                if " CRITICAL " in line or (" ERROR " in line and "odoo.tests" in line)
            ]
            # Odoo's last word: "<n> failed, <m> error(s) of <k> tests when loading database".
            result = [line for line in lines if "odoo.tests.result" in line and " of " in line]
            stats = [
                line.split("odoo.tests.stats: ")[-1] for line in lines if "odoo.tests.stats" in line
            ]
            for line in failed[:40]:
                print(line)
            for line in stats:
                say(line.strip())
            ran = bool(result) and " of 0 tests" not in result[-1]
            rc = 0 if proc.returncode == 0 and not failed and ran else 1
            say(
                f"Odoo {version}: odoo-bin --test-enable "
                f"{'passed' if rc == 0 else 'FAILED'}: "
                f"{result[-1].split('odoo.tests.result: ')[-1].strip() if result else 'no result'} "
                f"in {time.time() - started:.0f}s"
            )
        finally:
            drop_database(odoo_path, config, db_name)
            shutil.rmtree(RUN / "data" / "filestore" / db_name, ignore_errors=True)
            config.unlink(missing_ok=True)
    return rc


def cmd_bench(args):
    """Benchmarks, each figure beside a baseline measured in the same run."""
    odoo_path, version = find_odoo()
    ensure_requirements(odoo_path)
    if not shutil.which("wrk"):
        die("wrk not found: install Debian's wrk for the intake benchmark")
    RUN.mkdir(exist_ok=True)
    db_name = f"suite_bench_{int(time.time())}"
    seconds = int(os.environ.get("BENCH_SECONDS", "60"))
    orders = int(os.environ.get("BENCH_ORDERS", "100"))
    shopify_orders = int(os.environ.get("BENCH_SHOPIFY_ORDERS", "200"))
    variants = int(os.environ.get("BENCH_SHOPIFY_VARIANTS", "5000"))
    restore_rate = float(os.environ.get("BENCH_SHOPIFY_RESTORE_RATE", "100"))
    with database_server() as cluster:
        config = write_config(odoo_path, cluster, "bench", db_name)
        create_database(
            odoo_path, config, db_name, SUITE_ADDONS + TEST_ONLY_ADDONS, RUN / "install-bench.log"
        )
        env = python_env(odoo_path)
        try:
            say(f"(a) pipeline against the ORM, {orders} orders each")
            pipeline = _run_json(env, "bench_pipeline.py", config, db_name, orders)
            say(f"(b, c) webhook intake against /web/health, {seconds}s each, then the drain")
            intake = _run_json(
                env, "bench_intake.py", odoo_path / "odoo-bin", config, db_name, seconds
            )
            say(f"(d) {shopify_orders} Shopify orders, webhook to confirmed sale order")
            shopify_orders = _run_json(
                env,
                "bench_shopify.py",
                "orders",
                odoo_path / "odoo-bin",
                config,
                db_name,
                shopify_orders,
            )
            say(f"(e) full stock sync of {variants} Shopify variants, restore {restore_rate:g}/s")
            shopify_stock = _stock_bench(env, config, db_name, variants, restore_rate)
        finally:
            drop_database(odoo_path, config, db_name)
    bench_report.print_bench(version, pipeline, intake, seconds)
    bench_report.print_shopify_bench(shopify_orders, shopify_stock)
    results = {
        "odoo": version,
        "pipeline": pipeline,
        "intake": intake,
        "shopify_orders": shopify_orders,
        "shopify_stock": shopify_stock,
    }
    results["goals"] = bench_report.print_goals(results)
    (RUN / "bench-results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


def _run_json(env, script, *args):
    """Run a bench script; its last output line is its JSON result."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        print(proc.stderr[-6000:], file=sys.stderr)
        raise subprocess.CalledProcessError(proc.returncode, proc.args)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _stock_bench(env, config, db_name, variants, restore_rate):
    """The full stock sync, the connector's bulk read and the paged read it replaced."""
    return {
        method: _run_json(
            env, "bench_shopify.py", "stock", config, db_name, variants, restore_rate, method
        )
        for method in ("pages", "bulk")
    }


def cmd_bench_stock(args):
    """Only the stock sync benchmark, both methods (``make bench-stock``)."""
    odoo_path, _version = find_odoo()
    ensure_requirements(odoo_path)
    RUN.mkdir(exist_ok=True)
    db_name = f"suite_bench_stock_{int(time.time())}"
    variants = int(os.environ.get("BENCH_SHOPIFY_VARIANTS", "5000"))
    restore_rate = float(os.environ.get("BENCH_SHOPIFY_RESTORE_RATE", "100"))
    with database_server() as cluster:
        config = write_config(odoo_path, cluster, "bench", db_name)
        create_database(
            odoo_path, config, db_name, SUITE_ADDONS + TEST_ONLY_ADDONS, RUN / "install-bench.log"
        )
        env = python_env(odoo_path)
        try:
            stock = _stock_bench(env, config, db_name, variants, restore_rate)
        finally:
            drop_database(odoo_path, config, db_name)
    bench_report.print_stock_bench(stock)
    bench_report.print_goals({"shopify_stock": stock})
    return 0


def cmd_chaos(args):
    """The chaos test (tools/chaos.py): its own cluster, database, server and ports."""
    import chaos

    return chaos.main()


def build_wheels(dest):
    """One wheel per addon (whool, OCA's build backend), named as OCA names them.

    whool takes each addon's files from git and its dependencies from the
    manifest; ``--no-build-isolation`` uses the whool of this Python, so no
    index is needed at build time.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("odoo_addon_*.whl"):
        old.unlink()
    if subprocess.run([sys.executable, "-c", "import whool"], capture_output=True).returncode:
        say("installing whool (the wheels' build backend)")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "whool"], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        + ["-w", str(dest)]
        + [str(ROOT / addon) for addon in SUITE_ADDONS],
        check=True,
        cwd=ROOT,
    )
    return sorted(dest.glob("odoo_addon_*.whl"))


def cmd_dist(args):
    for wheel in build_wheels(args.dest):
        print(wheel)
    return 0


def cmd_check(args):
    odoo_path, version = find_odoo()
    print(f"Odoo {version} at {odoo_path}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run").set_defaults(func=cmd_run)
    test = sub.add_parser("test")
    test.add_argument("pytest_args", nargs="*")
    test.set_defaults(func=cmd_test)
    sub.add_parser("odoo-tests").set_defaults(func=cmd_odoo_tests)
    sub.add_parser("check").set_defaults(func=cmd_check)
    dist = sub.add_parser("dist")
    dist.add_argument("--dest", default=str(ROOT / "dist"))
    dist.set_defaults(func=cmd_dist)
    sub.add_parser("bench").set_defaults(func=cmd_bench)
    sub.add_parser("bench-stock").set_defaults(func=cmd_bench_stock)
    sub.add_parser("chaos").set_defaults(func=cmd_chaos)
    args = parser.parse_args()
    sys.exit(args.func(args))


if __name__ == "__main__":
    main()
