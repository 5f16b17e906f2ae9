#!/usr/bin/env python3
"""Chaos test: Shopify orders through the live pipeline while it is broken on purpose.

Modelled on Jepsen's "total queue" checker: what the channel sent, what
arrived in Odoo, what is missing, what came twice.

``python3 tools/chaos.py`` (``make chaos``) runs, on resources of its own:

* a private PostgreSQL cluster in .run/chaos-pg (restarted during the run,
  so never the suite's .run/pg nor an external server), with a database
  cloned from a template that holds integration_governance, connector_base
  and connector_shopify with demo data (installed once per version of the
  addons' sources: the template's name carries their fingerprint);
* the Shopify sandbox (connector_shopify/sandbox) in this process, its shop
  connected to a backend made as bench/bench_shopify.py makes it;
* Odoo with two HTTP workers and queue_job's runner (root.integration:2),
  on free HTTP and gevent ports.

The sandbox then creates CHAOS_ORDERS orders from new and returning
customers (some new customers order twice at the same moment, so two jobs
create the same customer at once), updates some of them, duplicates,
reorders and loses webhook deliveries (a lost event: Shopify gave up after
its retries) and refuses a share of the connector's API calls (THROTTLED,
429, 5xx). Three times during the load it runs the orders reconciliation and
Shopify's catch-up poll (their crons, over JSON-RPC), the jobs that read the
orders back through the API. Meanwhile one HTTP worker is killed (SIGKILL),
the job runner worker is killed, the whole server is killed and started
again, and PostgreSQL is restarted. Once the load is in, the harness waits
until the orders' backlog is drained (no job but the healing ones pending,
enqueued or started, no event received or processing, no webhook left to
deliver), ends the API faults,
runs the reconciliation and the catch-up once more (they must bring in the
lost webhooks' orders), waits for the drain again and checks every channel
order: lost (no sale order and no open exception about it), duplicated
(several sale orders) or with lines that differ from the channel's. It
prints a table, writes .run/chaos-results.json and exits 1 on a lost,
duplicated or differing order or when the queue does not drain in time.

Given CHAOS_DATABASE (and CHAOS_ODOO_CONFIG, the configuration that reaches
it), as ``tools/suite.py test`` does for tests/test_chaos_short.py with a
copy of its freshly installed database, the run uses that database and its
PostgreSQL instead: no cluster or template of its own, and PostgreSQL is not
restarted (the test run holds connections to it).

Knobs (environment): CHAOS_ORDERS (1000), CHAOS_SEED (1), CHAOS_RATE (orders
created per second, 10), CHAOS_DRAIN_TIMEOUT (seconds, 1800), CHAOS_RESULTS
(the JSON's path), CHAOS_FRESH=1 (reinstall the template), CHAOS_KEEP=1
(keep the run's database).
"""

import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import suite

ROOT = suite.ROOT
RUN = suite.RUN
CHAOS_PG_DIR = RUN / "chaos-pg"
CHAOS_PG_PORT = int(os.environ.get("CHAOS_PG_PORT", "54339"))
DATA_DIR = RUN / "chaos-data"
MODULES = ["integration_governance", "connector_base", "connector_shopify"]
RUN_DB = "chaos_run"
TEMPLATE_PREFIX = "chaos_tpl_"
DOMAIN = "chaos.myshopify.com"
# What bench_shopify.create_backend stores in the backend's vault.
ACCESS_TOKEN = "shpat_bench"
CLIENT_SECRET = "bench-shopify-secret"
SKUS = [f"CHS-{index:03d}" for index in range(20)]
ADDRESS = {
    "address1": "1 Main St",
    "city": "Springfield",
    "zip": "12345",
    "country_code": "US",
    "province_code": "NY",
}
BUSY_JOB_STATES = ("pending", "enqueued", "started", "wait_dependencies")
# The crons that read Shopify's orders back through the connector's API:
# the orders reconciliation (re-imports what Odoo lacks through the inbox)
# and Shopify's catch-up poll (orders updated since its last success).
HEAL_CRONS = ["connector_base.cron_reconcile_orders", "connector_shopify.cron_catch_up_orders"]
HEAL_METHODS = ("_reconcile_orders", "_shopify_catch_up_orders")
# Shares of the connector's API calls refused during the load, and of the
# webhook events Shopify gives up on (never delivered).
THROTTLE_RATE = 0.2
ERROR_RATE = 0.2
WEBHOOK_LOSE_RATE = 0.03
OPEN_EXCEPTION_STATES = ("new", "in_progress")


def say(msg):
    print(f"[chaos] {msg}", flush=True)


def knob(name, default, kind=int):
    value = os.environ.get(name)
    return kind(value) if value not in (None, "") else default


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------ database
def addons_fingerprint(odoo_version, manifests_only=False):
    """What a database of the three addons depends on: their sources and Odoo's version.

    ``manifests_only``: what decides a fresh install (versions, dependencies,
    data files); any other change is brought in by updating the modules.
    """
    digest = hashlib.sha256(odoo_version.encode())
    for module in MODULES:
        if manifests_only:
            paths = [ROOT / module / "__manifest__.py"]
        else:
            paths = sorted((ROOT / module).rglob("*"))
        for path in paths:
            rel = path.relative_to(ROOT)
            parts = set(rel.parts)
            if (
                not path.is_file()
                or parts & {"tests", "sandbox", "__pycache__", "readme", "static"}
                or path.suffix in (".pyc", ".md", ".rst")
            ):
                continue
            digest.update(str(rel).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cluster_params(cluster):
    return {"host": str(cluster.socket), "port": cluster.port, "user": suite.PG_USER}


def config_params(options):
    """psycopg2's connection parameters from an Odoo configuration's options
    (those it lacks come from libpq's PG* variables)."""
    params = {}
    for key, name in [
        ("db_host", "host"),
        ("db_port", "port"),
        ("db_user", "user"),
        ("db_password", "password"),
    ]:
        if options.get(key) not in (None, "", "False"):
            params[name] = options[key]
    return params


class Database:
    """Short-lived psycopg2 connections to the chaos cluster: they survive its restarts."""

    def __init__(self, params, name):
        self.params = params
        self.name = name

    def connect(self, name=None):
        import psycopg2

        cnx = psycopg2.connect(**self.params, dbname=name or self.name, connect_timeout=5)
        cnx.autocommit = True
        return cnx

    def rows(self, sql, params=None, name=None):
        cnx = self.connect(name)
        try:
            with cnx.cursor() as cr:
                cr.execute(sql, params)
                return cr.fetchall() if cr.description else []
        finally:
            cnx.close()


def prepare_database(odoo_path, version, cluster, config):
    """The run's database, cloned from a template kept in the chaos cluster.

    The template is installed once per set of manifests (``chaos_tpl_<hash>``)
    and updated (``-u``, as ``make run`` does) when the addons' sources
    changed since: its comment holds the fingerprint of the sources it has.
    """
    db = Database(cluster_params(cluster), "postgres")
    template = TEMPLATE_PREFIX + addons_fingerprint(version, manifests_only=True)
    sources = addons_fingerprint(version)
    existing = dict(
        db.rows(
            "SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database"
        )
    )
    if os.environ.get("CHAOS_FRESH") and template in existing:
        drop_database(db, template)
        del existing[template]
    for old in existing:
        if old.startswith(TEMPLATE_PREFIX) and old != template:
            say(f"dropping the outdated template {old}")
            drop_database(db, old)
    if template not in existing:
        suite.create_database(odoo_path, config, template, MODULES, RUN / "install-chaos.log")
    elif existing[template] != sources:
        if not update_template(odoo_path, config, template):
            say(f"updating {template} failed (.run/install-chaos.log): installing afresh")
            drop_database(db, template)
            suite.create_database(odoo_path, config, template, MODULES, RUN / "install-chaos.log")
    else:
        say(f"reusing the template {template}")
    db.rows(f"COMMENT ON DATABASE \"{template}\" IS '{sources}'")
    drop_database(db, RUN_DB)
    db.rows(f'CREATE DATABASE "{RUN_DB}" TEMPLATE "{template}"')
    store = DATA_DIR / "filestore"
    if (store / template).is_dir():
        shutil.copytree(store / template, store / RUN_DB)
    return Database(cluster_params(cluster), RUN_DB)


def drop_database(db, name):
    db.rows(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(DATA_DIR / "filestore" / name, ignore_errors=True)


def update_template(odoo_path, config, template):
    say(f"updating the template {template} to the addons' current sources")
    started = time.time()
    log_file = RUN / "install-chaos.log"
    with open(log_file, "w") as log:
        proc = subprocess.run(
            suite.odoo_cmd(
                odoo_path,
                config,
                "-d",
                template,
                "-u",
                ",".join(MODULES),
                "--stop-after-init",
                "--log-level=warn",
            ),
            env=suite.python_env(odoo_path),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    text = log_file.read_text()
    bad = [line for line in text.splitlines() if " ERROR " in line or " CRITICAL " in line]
    if proc.returncode != 0 or bad or "Traceback" in text:
        return False
    say(f"template updated in {time.time() - started:.0f}s")
    return True


def setup_in_odoo(conf, database, spec_json):
    """Run in a child process with Odoo importable: products and backend, as the bench does."""
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_shopify as bench

    from odoo.modules.registry import Registry
    from odoo.tools import config

    spec = json.loads(spec_json)
    config.parse_config(["-c", conf, "-d", database])

    class Shop:
        def shop_url(self, domain):
            return spec["shop_url"]

    with Registry(database).cursor() as cr:
        env = bench.environment(cr)
        env["ir.config_parameter"].set_param("web.base.url", spec["odoo_url"])
        _products, stock = bench.create_products(env, spec["skus"], [100_000] * len(spec["skus"]))
        backend = bench.create_backend(
            env, Shop(), stock, name="Shopify chaos", code="shopify_chaos", domain=spec["domain"]
        )
        backend._shopify_check_webhooks()
        catalog = backend._shopify_import_catalog()
        backend_id = backend.id
        cr.commit()
    # Jobs queued by the demo data or the set-up itself: not this run's.
    set_aside = bench.set_aside_jobs(database)
    print(json.dumps({"backend_id": backend_id, "catalog": catalog, "set_aside": set_aside}))


def given_config(test_config, database, extra):
    """A server configuration for ``database`` from make test's (its addons, data
    directory, database server and vault keys), with workers and the job runner."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(test_config)
    options = parser["options"]
    options["db_name"] = database
    options["dbfilter"] = f"^{database}$"
    options["workers"] = "2"
    options["max_cron_threads"] = "0"
    for line in extra:
        key, _, value = line.partition("=")
        options[key.strip()] = value.strip()
    if not parser.has_section("queue_job"):
        parser.add_section("queue_job")
    parser["queue_job"]["channels"] = "root:2,root.integration:2"
    path = RUN / f"odoo-chaos-{database}.conf"
    with open(path, "w") as out:
        parser.write(out)
    return path, config_params(options)


# ---------------------------------------------------------------------- Odoo
class OdooServer:
    """Odoo in prefork mode (2 HTTP workers + queue_job's runner worker), in its own session."""

    def __init__(self, odoo_path, config, database, http_port, gevent_port, log_path):
        self.odoo_path = odoo_path
        self.config = config
        self.database = database
        self.http_port = http_port
        self.gevent_port = gevent_port
        self.log_path = log_path
        self.proc = None

    def start(self, timeout=120):
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "a")  # noqa: SIM115 (lives with the server)
        self.proc = subprocess.Popen(
            suite.odoo_cmd(
                self.odoo_path,
                self.config,
                "-d",
                self.database,
                "--workers=2",
                f"--http-port={self.http_port}",
                f"--gevent-port={self.gevent_port}",
                "--http-interface=127.0.0.1",
                "--max-cron-threads=0",
                "--load=base,web,queue_job",
                "--log-level=info",
                "--log-handler=werkzeug:WARNING",
            ),
            env=suite.python_env(self.odoo_path),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Odoo stopped at start: see {self.log_path}")
            with contextlib.suppress(OSError):
                url = f"http://127.0.0.1:{self.http_port}/web/health"
                with urllib.request.urlopen(url, timeout=2):
                    # The runner worker is forked with the HTTP workers.
                    if self.workers("WorkerJobRunner", since=offset):
                        return self
            time.sleep(0.5)
        raise RuntimeError(f"Odoo did not answer within {timeout}s: see {self.log_path}")

    def workers(self, kind, since=0):
        """Live children of the prefork master of class ``kind`` (from its log)."""
        if not self.proc or self.proc.poll() is not None:
            return []
        with open(self.log_path, errors="replace") as log:
            log.seek(since)
            text = log.read()
        pids = [int(p) for p in re.findall(rf"Worker {kind} \((\d+)\) alive", text)]
        return [pid for pid in pids if parent_of(pid) == self.proc.pid]

    def kill_worker(self, kind):
        pids = self.workers(kind)
        if not pids:
            return None
        os.kill(pids[-1], signal.SIGKILL)
        return pids[-1]

    def kill(self):
        """SIGKILL to the master, its workers and its gevent process."""
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
        # Workers outliving their master (still in the session's group).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def parent_of(pid):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^PPid:\s+(\d+)", status, re.M)
    return int(found.group(1)) if found else None


# ---------------------------------------------------------------------- load
def plan_orders(rng, count):
    """Who orders what, in which order: a list of steps.

    ("create", customer, burst): burst orders of one customer created back
    to back (a new customer's two orders at the same moment); ("update", k):
    the k-th order created so far gets a new note and tags.
    """
    customers = []
    steps = []
    created = 0
    while created < count:
        roll = rng.random()
        if roll < 0.12 and count - created >= 2:
            customer = new_customer(len(customers))
            customers.append(customer)
            steps.append(("create", customer, 2))
            created += 2
        elif roll < 0.45 or not customers:
            customer = new_customer(len(customers))
            customers.append(customer)
            steps.append(("create", customer, 1))
            created += 1
        else:
            steps.append(("create", rng.choice(customers), 1))
            created += 1
        if created > 3 and rng.random() < 0.2:
            # Mostly recent orders: their creation may not be processed yet.
            steps.append(("update", max(0, created - 1 - int(rng.expovariate(1 / 8)))))
    return steps, len(customers)


def new_customer(number):
    return {
        "email": f"chaos{number:05d}@example.com",
        "first_name": "Chaos",
        "last_name": f"{number:05d}",
    }


def order_lines(rng):
    return [
        {"sku": sku, "quantity": rng.randint(1, 3)} for sku in rng.sample(SKUS, rng.randint(1, 3))
    ]


class Chaos:
    """One run: the resources, the load, the faults, the verdict."""

    def __init__(self):
        self.orders = knob("CHAOS_ORDERS", 1000)
        self.seed = knob("CHAOS_SEED", 1)
        self.rate = knob("CHAOS_RATE", 10.0, float)
        self.drain_timeout = knob("CHAOS_DRAIN_TIMEOUT", 1800.0, float)
        self.results_path = Path(os.environ.get("CHAOS_RESULTS") or RUN / "chaos-results.json")
        self.rng = random.Random(self.seed)
        self.actions = []
        # CHAOS_DATABASE: a database given ready (make test's copy of its own,
        # CHAOS_ODOO_CONFIG its configuration): no cluster of ours to restart.
        self.given = os.environ.get("CHAOS_DATABASE") or None
        self.config_path = None
        self.cluster = None
        self.sandbox = None
        self.odoo = None
        self.db = None

    # -------------------------------------------------------------- run
    def run(self):
        started = time.time()
        odoo_path, version = suite.find_odoo()
        suite.ensure_requirements(odoo_path)
        RUN.mkdir(exist_ok=True)
        DATA_DIR.mkdir(exist_ok=True)
        http_port, gevent_port = free_port(), free_port()
        extra = [f"http_port = {http_port}", f"gevent_port = {gevent_port}"]
        results = None
        try:
            if self.given:
                # make test's copy of its freshly installed database, in its server.
                self.database = self.given
                config, params = given_config(
                    Path(os.environ["CHAOS_ODOO_CONFIG"]), self.database, extra
                )
                self.config_path = config
                self.db = Database(params, self.database)
                log_path = RUN / f"chaos-odoo-{self.database}.log"
            else:
                self.database = RUN_DB
                self.cluster = suite.PrivateCluster(CHAOS_PG_DIR, CHAOS_PG_PORT)
                self.cluster.ensure()
                config = suite.write_config(
                    odoo_path,
                    self.cluster,
                    "chaos",
                    RUN_DB,
                    workers=2,
                    extra=extra,
                    data_dir=DATA_DIR,
                )
                self.db = prepare_database(odoo_path, version, self.cluster, config)
                log_path = RUN / "chaos-odoo.log"
            setup_started = time.time()
            self.start_sandbox()
            setup = self.setup(odoo_path, config, http_port)
            self.backend_id = setup["backend_id"]
            say(
                f"backend {self.backend_id} on {DOMAIN} in {self.database}: {len(SKUS)} "
                f"products, {setup['set_aside']} earlier jobs set aside "
                f"({time.time() - setup_started:.0f}s)"
            )
            self.t0 = self.db.rows("SELECT now() AT TIME ZONE 'utc'")[0][0]
            log_path.write_text("")
            self.odoo = OdooServer(
                odoo_path, config, self.database, http_port, gevent_port, log_path
            )
            self.odoo.start()
            say(f"Odoo up on port {http_port} (gevent {gevent_port}), 2 workers + job runner")
            load = self.load()
            # The outage lasts until the orders' backlog is worked off; the
            # healing jobs then still retrying are waited for after it.
            drain = self.drain(load["ended_at"], ignore_methods=HEAL_METHODS)
            if drain["drained"]:
                # The outage is over: what the hourly reconciliation and the
                # catch-up poll then do brings in the orders whose webhooks
                # Shopify gave up on.
                self.sandbox.set_faults(DOMAIN, throttle_rate=0.0, error_rate=0.0)
                self.act(
                    "API faults off; run the orders reconciliation and the catch-up poll",
                    self.trigger_heal,
                )
                heal_started = time.time()
                healed = self.drain(heal_started)
                drain = {
                    **healed,
                    "seconds": round(drain["seconds"] + healed["seconds"], 1),
                    "before_heal_s": drain["seconds"],
                    "heal_s": healed["seconds"],
                }
            self.odoo.stop()
            results = self.verdict(version, load, drain)
        finally:
            if self.odoo:
                self.odoo.stop()
            if self.sandbox:
                self.sandbox.stop()
            if self.cluster:
                if self.db and not os.environ.get("CHAOS_KEEP"):
                    with contextlib.suppress(Exception):
                        drop_database(Database(cluster_params(self.cluster), "postgres"), RUN_DB)
                self.cluster.stop()
            if self.config_path:
                self.config_path.unlink(missing_ok=True)
        results["total_s"] = round(time.time() - started, 1)
        self.results_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print_results(results, self.results_path)
        return 0 if results["ok"] else 1

    def start_sandbox(self):
        sys.path.insert(0, str(ROOT / "connector_shopify"))
        from sandbox import ShopifySandbox

        # Shopify retries for 48 hours; compressed, a delivery still outlives
        # a server restart (about 5 minutes of attempts).
        self.sandbox = ShopifySandbox(
            port=0, retry_delays=(0.5, 1, 2, 4, 8, 16, 32, 60, 60, 60), max_attempts=11
        )
        now = int(time.time())
        self.sandbox.store._ids = itertools.count(now * 1000)
        self.sandbox.store.first_order_number = 1000 + now % 9_000_000
        self.sandbox.start()
        self.sandbox.create_shop(
            DOMAIN,
            name="Chaos store",
            currency="USD",
            client_secret=CLIENT_SECRET,
            access_token=ACCESS_TOKEN,
            bucket={"maximum": 2000, "restore_rate": 100},
        )
        self.sandbox.add_location(DOMAIN, "Main")
        for sku in SKUS:
            self.sandbox.add_product(
                DOMAIN,
                f"Chaos {sku}",
                variants=[{"sku": sku, "price": "10.00", "inventory": {"Main": 100_000}}],
            )

    def setup(self, odoo_path, config, http_port):
        spec = {
            "shop_url": self.sandbox.shop_url(DOMAIN),
            "domain": DOMAIN,
            "odoo_url": f"http://127.0.0.1:{http_port}",
            "skus": SKUS,
        }
        proc = subprocess.run(
            [sys.executable, __file__, "_setup", str(config), self.database, json.dumps(spec)],
            env=suite.python_env(odoo_path),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            print(proc.stderr[-6000:], file=sys.stderr)
            raise RuntimeError("setting up the chaos backend failed")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    # -------------------------------------------------------------- load and faults
    def load(self):
        steps, customers = plan_orders(self.rng, self.orders)
        # A share of the connector's calls refused, repeatably.
        self.sandbox.set_faults(
            DOMAIN, throttle_rate=THROTTLE_RATE, error_rate=ERROR_RATE, fault_seed=self.seed
        )
        heal = "run the orders reconciliation and the catch-up poll"
        schedule = [
            (0.15, "kill -9 one HTTP worker", self.kill_http_worker),
            (0.25, heal, self.trigger_heal),
            (0.30, "kill -9 the job runner worker", self.kill_job_runner),
            (0.50, "kill -9 the Odoo server, start it again", self.restart_odoo),
            (0.60, heal, self.trigger_heal),
            (0.90, heal, self.trigger_heal),
        ]
        if not self.given:
            # A given database's server also serves the test run holding it.
            schedule.append(
                (0.70, "restart PostgreSQL (pg_ctl restart -m fast)", self.restart_postgres)
            )
        schedule.sort(key=lambda item: item[0])
        say(
            f"{self.orders} orders of {customers} customers at {self.rate:g}/s, seed "
            f"{self.seed}: webhooks duplicated, reordered and {WEBHOOK_LOSE_RATE:.0%} lost, "
            f"API calls {THROTTLE_RATE:.0%} THROTTLED and {ERROR_RATE:.0%} 429/5xx"
        )
        created = []  # sandbox order ids, in creation order
        lines_of = {}  # order id -> its lines as last sent
        updated = set()
        started = time.time()
        for step in steps:
            while schedule and len(created) >= schedule[0][0] * self.orders:
                _, label, action = schedule.pop(0)
                self.act(label, action)
            # Each event draws its own webhook faults.
            self.sandbox.set_faults(
                DOMAIN,
                webhook_duplicate=self.rng.random() < 0.3,
                webhook_reorder=self.rng.random() < 0.3,
                webhook_lose=self.rng.random() < WEBHOOK_LOSE_RATE,
            )
            if step[0] == "create":
                _, customer, burst = step
                for _ in range(burst):
                    name = f"{customer['first_name']} {customer['last_name']}"
                    address = {"first_name": "Chaos", "last_name": customer["last_name"]}
                    lines = order_lines(self.rng)
                    order = self.sandbox.create_order(
                        DOMAIN,
                        lines=lines,
                        customer=customer,
                        shipping_address={**address, **ADDRESS},
                        billing_address={**address, **ADDRESS},
                        financial_status="paid",
                        note=f"ordered by {name}",
                    )
                    created.append(order["id"])
                    lines_of[order["id"]] = lines
                pace = started + len(created) / self.rate - time.time()
                if pace > 0:
                    time.sleep(pace)
            else:
                # An order edit: one line's quantity changes, or a line is added.
                order_id = created[step[1]]
                lines = [dict(line) for line in lines_of[order_id]]
                spare = [sku for sku in SKUS if sku not in {line["sku"] for line in lines}]
                if spare and self.rng.random() < 0.3:
                    lines.append({"sku": self.rng.choice(spare), "quantity": 1})
                else:
                    self.rng.choice(lines)["quantity"] += 1
                self.sandbox.update_order(
                    DOMAIN, order_id, lines=lines, note=f"edited {len(updated) + 1}"
                )
                lines_of[order_id] = lines
                updated.add(order_id)
        for _, label, action in schedule:
            self.act(label, action)
        ended = time.time()
        say(
            f"load in: {len(created)} orders, {len(updated)} edited, in {ended - started:.0f}s; "
            "webhook faults off, API faults on, waiting for the drain"
        )
        self.sandbox.set_faults(
            DOMAIN, webhook_duplicate=False, webhook_reorder=False, webhook_lose=False
        )
        return {
            "created": len(created),
            "customers": customers,
            "updated": len(updated),
            "seconds": round(ended - started, 1),
            "ended_at": ended,
        }

    def act(self, label, action):
        at = time.time()
        detail = action()
        self.actions.append(
            {"action": label, "at": time.strftime("%H:%M:%S", time.localtime(at)), **detail}
        )
        say(f"{label}: {detail}")

    def kill_http_worker(self):
        return {"pid": self.odoo.kill_worker("WorkerHTTP")}

    def kill_job_runner(self):
        pid = self.odoo.kill_worker("WorkerJobRunner")
        return {"pid": pid}

    def restart_odoo(self):
        started = time.time()
        pid = self.odoo.proc.pid
        self.odoo.kill()
        self.odoo.start()
        return {"pid": pid, "down_s": round(time.time() - started, 1)}

    def rpc(self, model, method, *args):
        """``execute_kw`` over JSON-RPC as admin (the demo data's admin/admin)."""
        url = f"http://127.0.0.1:{self.odoo.http_port}/jsonrpc"

        def call(service, method, *args):
            body = json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"service": service, "method": method, "args": list(args)},
                }
            ).encode()
            request = urllib.request.Request(
                url, body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=120) as answer:
                reply = json.load(answer)
            if reply.get("error"):
                error = reply["error"].get("data", {}).get("message") or reply["error"]
                raise RuntimeError(str(error)[:300])
            return reply["result"]

        uid = call("common", "authenticate", self.database, "admin", "admin", {})
        if not uid:
            raise RuntimeError("admin/admin refused")
        return call("object", "execute_kw", self.database, uid, "admin", model, method, args)

    def trigger_heal(self):
        """The healing crons, run now (``method_direct_trigger``): each queues its job."""
        detail = {}
        for xmlid in HEAL_CRONS:
            module, name = xmlid.split(".")
            found = self.db.rows(
                "SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s",
                [module, name],
            )
            try:
                if not found:
                    raise RuntimeError("no such cron")
                self.rpc("ir.cron", "method_direct_trigger", [found[0][0]])
                detail[name] = "queued"
            except Exception as error:  # a worker being killed, the cron running already
                detail[name] = f"not run: {str(error).strip()[:200]}"
        return detail

    def restart_postgres(self):
        started = time.time()
        self.cluster.restart()
        return {"down_s": round(time.time() - started, 1)}

    # -------------------------------------------------------------- drain
    def busy(self, ignore_methods=("",)):
        """(jobs busy by state, events received/processing, webhooks in the sandbox)."""
        jobs = dict(
            self.db.rows(
                "SELECT state, count(*) FROM queue_job WHERE date_created >= %s "
                "AND state IN %s AND method_name NOT IN %s GROUP BY state",
                [self.t0, BUSY_JOB_STATES, tuple(ignore_methods)],
            )
        )
        events = dict(
            self.db.rows(
                "SELECT state, count(*) FROM integration_event WHERE backend_id = %s "
                "AND state IN ('received', 'processing') GROUP BY state",
                [self.backend_id],
            )
        )
        return jobs, events, not self.sandbox.dispatcher.idle()

    def drain(self, since, ignore_methods=("",)):
        quiet = 0
        last_report = 0
        jobs = events = None
        webhooks = True
        while time.time() - since < self.drain_timeout:
            time.sleep(2)
            try:
                jobs, events, webhooks = self.busy(ignore_methods)
            except Exception as error:  # the cluster restarting, a connection cut
                say(f"cannot read the queue yet: {str(error).strip()[:120]}")
                quiet = 0
                continue
            if not jobs and not events and not webhooks:
                quiet += 1
                if quiet >= 3:  # nothing new for a few seconds
                    seconds = time.time() - since - 4
                    say(f"drained {seconds:.0f}s after the load")
                    return {"drained": True, "seconds": round(seconds, 1)}
                continue
            quiet = 0
            if time.time() - last_report > 20:
                last_report = time.time()
                say(f"draining: jobs {jobs or {}}, events {events or {}}, webhooks busy {webhooks}")
        say(f"NOT drained after {self.drain_timeout:.0f}s: jobs {jobs}, events {events}")
        return {
            "drained": False,
            "seconds": round(time.time() - since, 1),
            "jobs_busy": jobs,
            "events_busy": events,
            "webhooks_busy": webhooks,
        }

    # -------------------------------------------------------------- verdict
    def verdict(self, version, load, drain):
        url = f"{self.sandbox.url}/_sandbox/shops/{DOMAIN}/orders"
        with urllib.request.urlopen(url, timeout=30) as answer:
            channel = json.load(answer)
        db = self.db
        bindings = db.rows(
            "SELECT b.external_id, b.res_id, so.state FROM integration_binding b "
            "LEFT JOIN sale_order so ON so.id = b.res_id "
            "WHERE b.backend_id = %s AND b.res_model = 'sale.order'",
            [self.backend_id],
        )
        names = [o["name"] for o in channel]
        by_ref = {}
        for ref, so_id, state in db.rows(
            "SELECT client_order_ref, id, state FROM sale_order WHERE client_order_ref = ANY(%s)",
            [names],
        ):
            by_ref.setdefault(ref, []).append((so_id, state))
        events = db.rows(
            "SELECT id, external_id, topic, state, attempts, last_error, trace_id, job_uuid, "
            "external_updated_at, received_at, processed_at, res_id "
            "FROM integration_event WHERE backend_id = %s ORDER BY id",
            [self.backend_id],
        )
        exceptions = db.rows(
            "SELECT id, category, state, name, external_ref, trace_id, source_model, "
            "source_id, job_uuid, message FROM integration_exception WHERE create_date >= %s",
            [self.t0],
        )
        jobs = db.rows(
            "SELECT uuid, state, name, exc_name, exc_info, retry, max_retries, date_started, "
            "date_done, method_name FROM queue_job WHERE date_created >= %s",
            [self.t0],
        )
        job_by_uuid = {j[0]: j for j in jobs}
        events_of = {}
        for event in events:
            events_of.setdefault(event[1], []).append(event)
        bound_of = {}
        for external_id, so_id, state in bindings:
            bound_of.setdefault(external_id, []).append((so_id, state))
        quantities = {}  # sale order id -> {sku: quantity}
        for so_id, sku, quantity in db.rows(
            "SELECT l.order_id, p.default_code, sum(l.product_uom_qty) FROM sale_order_line l "
            "JOIN product_product p ON p.id = l.product_id WHERE l.order_id = ANY(%s) "
            "AND NOT coalesce(l.is_delivery, false) AND l.display_type IS NULL GROUP BY 1, 2",
            [[b[1] for b in bindings]],
        ):
            if quantity:
                quantities.setdefault(so_id, {})[sku] = float(quantity)

        lost, duplicated, in_exception, unbound, unconfirmed, stale = [], [], [], [], [], []
        for order in channel:
            gid = f"gid://shopify/Order/{order['id']}"
            keys = {str(order["id"]), gid, order["name"]}
            bound = bound_of.get(str(order["id"]), []) + bound_of.get(gid, [])
            sale_ids = {b[0] for b in bound} | {s[0] for s in by_ref.get(order["name"], [])}
            if len(sale_ids) > 1 or len(by_ref.get(order["name"], [])) > 1:
                duplicated.append({"order": order["name"], "sale_orders": sorted(sale_ids)})
            if sale_ids and not bound:
                unbound.append({"order": order["name"], "sale_orders": sorted(sale_ids)})
            if bound and bound[0][1] != "sale":
                unconfirmed.append({"order": order["name"], "state": bound[0][1]})
            wanted = {}
            for line in order["line_items"]:
                if line["current_quantity"]:
                    wanted[line["sku"]] = wanted.get(line["sku"], 0) + line["current_quantity"]
            if bound and quantities.get(bound[0][0], {}) != wanted:
                stale.append(
                    {
                        "order": order["name"],
                        "channel": wanted,
                        "odoo": quantities.get(bound[0][0], {}),
                        "sale_order": bound[0][0],
                        "events": [describe_event(e, job_by_uuid) for e in events_of.get(gid, [])],
                    }
                )
            if sale_ids:
                continue
            its_events = events_of.get(gid, [])
            traces = {e[6] for e in its_events}
            event_ids = {e[0] for e in its_events}
            about = [
                x
                for x in exceptions
                if x[4] in keys
                or (x[5] and x[5] in traces)
                or (x[6] == "integration.event" and x[7] in event_ids)
            ]
            if any(x[2] in OPEN_EXCEPTION_STATES for x in about):
                in_exception.append(
                    {
                        "order": order["name"],
                        "exceptions": [
                            f"{x[1]} ({x[2]}): {x[3]}: {first_line(x[9])}" for x in about
                        ],
                        "events": [describe_event(e, job_by_uuid) for e in its_events],
                    }
                )
                continue
            lost.append(
                {
                    "order": order["name"],
                    "id": order["id"],
                    "customer": (order.get("customer") or {}).get("email"),
                    "events": [describe_event(e, job_by_uuid) for e in its_events],
                    "closed_exceptions": [f"{x[1]} ({x[2]}): {x[3]}" for x in about],
                }
            )

        exception_counts = {}
        for x in exceptions:
            exception_counts.setdefault(x[1], {}).setdefault(x[2], 0)
            exception_counts[x[1]][x[2]] += 1
        job_states = {}
        for job in jobs:
            job_states[job[1]] = job_states.get(job[1], 0) + 1
        failed_jobs = {}
        for job in jobs:
            if job[1] == "failed":
                key = f"{job[3] or '?'}: {last_line(job[4])}"[:200]
                failed_jobs[key] = failed_jobs.get(key, 0) + 1
        open_exceptions = count_by(
            f"{x[1]}: {x[3]}: {first_line(x[9])}"[:300]
            for x in exceptions
            if x[2] in OPEN_EXCEPTION_STATES
        )
        # Every exception of the run, closed ones too: what died on the way.
        all_exceptions = [
            {
                "category": x[1],
                "state": x[2],
                "name": x[3],
                "message": first_line(x[9]),
                "external_ref": x[4],
            }
            for x in exceptions
        ]
        event_states = {}
        for event in events:
            event_states[event[3]] = event_states.get(event[3], 0) + 1

        deliveries = self.sandbox.deliveries(DOMAIN)
        by_event = {}
        for delivery in deliveries:
            by_event.setdefault(delivery["event_id"], []).append(delivery)
        given_up = [
            ev
            for ev, ds in by_event.items()
            if not any(d["delivered"] for d in ds) and all(d["retry_in"] is None for d in ds[-1:])
        ]
        calls = self.sandbox.calls(DOMAIN)
        faults = {}
        for call in calls:
            if call.get("fault"):
                faults[str(call["fault"])] = faults.get(str(call["fault"]), 0) + 1
            elif call.get("throttled"):
                faults["THROTTLED"] = faults.get("THROTTLED", 0) + 1
        busy_jobs = sum(n for s, n in job_states.items() if s in BUSY_JOB_STATES)
        heal_jobs = {}
        for job in jobs:
            if job[9] in HEAL_METHODS:
                mine = heal_jobs.setdefault(job[9], {"retries": 0})
                mine[job[1]] = mine.get(job[1], 0) + 1
                mine["retries"] += job[5] or 0
                if job[1] == "failed":
                    mine.setdefault("errors", []).append(last_line(job[4])[:200])
        runs = db.rows(
            "SELECT state, compared_count, mismatched_count, healed_count, exception_count, "
            "error, id FROM integration_reconciliation_run WHERE kind = 'orders' "
            "AND create_date >= %s ORDER BY id",
            [self.t0],
        )
        # Mismatches not healed: the reason the reconciliation gave.
        unhealed = db.rows(
            "SELECT run_id, key, field_name, odoo_value, external_value, resolution, note "
            "FROM integration_reconciliation_line WHERE run_id = ANY(%s) "
            "AND resolution != 'healed' ORDER BY id LIMIT 50",
            [[r[6] for r in runs]],
        )
        event_sources = {}
        for source, count in db.rows(
            "SELECT source, count(*) FROM integration_event WHERE backend_id = %s GROUP BY 1",
            [self.backend_id],
        ):
            event_sources[source] = count
        ok = not lost and not duplicated and not stale and drain["drained"]
        return {
            "ok": ok,
            "odoo": version,
            "seed": self.seed,
            "orders_asked": self.orders,
            "channel_orders": len(channel),
            "customers": load["customers"],
            "orders_updated": load["updated"],
            "load_s": load["seconds"],
            "sale_orders_bound": len(bindings),
            "sale_orders_confirmed": sum(1 for b in bindings if b[2] == "sale"),
            "lost": len(lost),
            "duplicated": len(duplicated),
            "in_open_exception": len(in_exception),
            "unbound_sale_orders": len(unbound),
            "bound_not_confirmed": len(unconfirmed),
            "final_state_differs": len(stale),
            "exceptions_by_category": exception_counts,
            "open_exceptions_by_message": open_exceptions,
            "exceptions": all_exceptions[:50],
            "jobs_by_state": job_states,
            "jobs_failed": job_states.get("failed", 0),
            "jobs_stuck": busy_jobs,
            "failed_jobs_by_error": failed_jobs,
            "events_by_state": event_states,
            "events_by_source": event_sources,
            "heal_jobs": heal_jobs,
            "orders_reconciliations": [
                {
                    "state": r[0],
                    "compared": r[1],
                    "mismatched": r[2],
                    "healed": r[3],
                    "exceptions": r[4],
                    "error": r[5],
                    "not_healed": [
                        {
                            "key": line[1],
                            "field": line[2],
                            "odoo": line[3],
                            "channel": line[4],
                            "resolution": line[5],
                            "note": line[6],
                        }
                        for line in unhealed
                        if line[0] == r[6]
                    ],
                }
                for r in runs
            ],
            "drained": drain["drained"],
            "drain_s": drain["seconds"],
            "drain": drain,
            "webhooks": {
                "deliveries": len(deliveries),
                "events": len(by_event),
                "failed_attempts": sum(1 for d in deliveries if not d["delivered"]),
                "given_up_events": len(given_up),
                "failed_attempts_by_error": count_by(
                    (d["error"] or "")[:60] for d in deliveries if not d["delivered"]
                ),
            },
            "api_calls": {
                "total": len(calls),
                "refused": faults,
                "by_operation": count_by(c["operation"] or "(refused)" for c in calls),
            },
            "chaos_actions": self.actions,
            "lost_orders": lost[:50],
            "duplicated_orders": duplicated[:50],
            "in_open_exception_orders": in_exception[:50],
            "unbound_orders": unbound[:20],
            "unconfirmed_orders": unconfirmed[:20],
            "stale_orders": stale[:20],
        }


def count_by(values):
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def describe_event(event, job_by_uuid):
    return {
        "id": event[0],
        "topic": event[2],
        "state": event[3],
        "attempts": event[4],
        "last_error": (event[5] or "")[-300:],
        "updated_at": event[8],
        "received_at": event[9],
        "processed_at": event[10],
        "res_id": event[11],
        "job": describe_job(job_by_uuid.get(event[7])),
    }


def describe_job(job):
    if not job:
        return None
    uuid, state, _name, exc_name, exc_info, retry, max_retries, started, done, _method = job
    return {
        "uuid": uuid,
        "state": state,
        "retry": f"{retry}/{max_retries}",
        "started": started,
        "done": done,
        "error": f"{exc_name}: {last_line(exc_info)}" if exc_name or exc_info else None,
    }


def first_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[0].strip()[:300] if lines else ""


def last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else ""


def print_results(r, path):
    rows = [
        ("channel orders (sandbox)", r["channel_orders"]),
        ("  customers / orders edited", f"{r['customers']} / {r['orders_updated']}"),
        ("sale orders bound", r["sale_orders_bound"]),
        ("  confirmed", r["sale_orders_confirmed"]),
        ("LOST", r["lost"]),
        ("DUPLICATED", r["duplicated"]),
        ("in an open exception", r["in_open_exception"]),
        ("sale orders without binding", r["unbound_sale_orders"]),
        ("lines differ from the channel's", r["final_state_differs"]),
        (
            "exceptions by category",
            ", ".join(
                f"{cat} {sum(states.values())} ({', '.join(f'{s} {n}' for s, n in states.items())})"
                for cat, states in sorted(r["exceptions_by_category"].items())
            )
            or "none",
        ),
        ("jobs by state", ", ".join(f"{s} {n}" for s, n in sorted(r["jobs_by_state"].items()))),
        ("jobs failed / stuck", f"{r['jobs_failed']} / {r['jobs_stuck']}"),
        ("events by state", ", ".join(f"{s} {n}" for s, n in sorted(r["events_by_state"].items()))),
        (
            "webhooks",
            f"{r['webhooks']['deliveries']} deliveries of {r['webhooks']['events']} events, "
            f"{r['webhooks']['failed_attempts']} failed attempts, "
            f"{r['webhooks']['given_up_events']} given up",
        ),
        (
            "API calls refused",
            f"{sum(r['api_calls']['refused'].values())} of {r['api_calls']['total']} "
            f"{r['api_calls']['refused']}",
        ),
        (
            "API calls by operation",
            ", ".join(f"{op} {n}" for op, n in sorted(r["api_calls"]["by_operation"].items())),
        ),
        (
            "healing jobs",
            "; ".join(
                f"{method}: " + ", ".join(f"{k} {v}" for k, v in states.items() if k != "errors")
                for method, states in r["heal_jobs"].items()
            )
            or "none",
        ),
        (
            "orders reconciliations",
            "; ".join(
                f"{x['state']}: {x['compared']} compared, {x['mismatched']} mismatched, "
                f"{x['healed']} healed"
                for x in r["orders_reconciliations"]
            )
            or "none",
        ),
        (
            "events by source",
            ", ".join(f"{s} {n}" for s, n in sorted(r["events_by_source"].items())),
        ),
        (
            "time to drain",
            f"{r['drain_s']}s"
            + (f" (heal {r['drain']['heal_s']}s)" if "heal_s" in r["drain"] else "")
            + ("" if r["drained"] else " (TIMED OUT)"),
        ),
        ("load / total", f"{r['load_s']}s / {r['total_s']}s"),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"\nChaos run (Odoo {r['odoo']}, seed {r['seed']}, {r['orders_asked']} orders)")
    for action in r["chaos_actions"]:
        print(f"  {action['at']} {action['action']}")
    print("-" * (width + 40))
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")
    for error, count in r["failed_jobs_by_error"].items():
        print(f"  failed job: {count} x {error}")
    for error, count in r["webhooks"]["failed_attempts_by_error"].items():
        print(f"  webhook attempt failed: {count} x {error}")
    for order in r["lost_orders"][:10]:
        print(f"  lost {order['order']}: {json.dumps(order['events'])[:600]}")
    for order in r["duplicated_orders"][:10]:
        print(f"  duplicated {order['order']}: sale orders {order['sale_orders']}")
    for x in r["exceptions"][:10]:
        print(f"  exception ({x['state']}): {x['category']}: {x['name']}: {x['message']}")
    for run in r["orders_reconciliations"]:
        for line in run["not_healed"][:10]:
            print(f"  not healed: {json.dumps(line)}")
    for order in r["stale_orders"][:10]:
        print(f"  differs {order['order']}: channel {order['channel']}, odoo {order['odoo']}")
    print(f"{'PASS' if r['ok'] else 'FAIL'}: details in {path}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        setup_in_odoo(*sys.argv[2:5])
        return 0
    RUN.mkdir(exist_ok=True)
    if os.environ.get("CHAOS_DATABASE"):
        # Resources of its caller's (make test): nothing shared with make chaos.
        return Chaos().run()
    with open(RUN / "chaos.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another chaos run holds .run/chaos.lock: waiting for it")
            fcntl.flock(lock, fcntl.LOCK_EX)
        return Chaos().run()


if __name__ == "__main__":
    sys.exit(main())
