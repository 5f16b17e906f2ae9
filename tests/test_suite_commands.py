"""The suite's commands fail loudly, never silently, when Odoo is missing."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_suite(*args, **env):
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "suite.py"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


def test_test_command_explains_missing_odoo_in_one_line():
    result = run_suite("test", ODOO_PATH="/nonexistent/odoo")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Odoo 19 not found" in lines[0]
    assert "/nonexistent/odoo" in lines[0]
    assert "Prerequisites > Getting the runtime" in lines[0]
    assert "Getting the runtime\n-------------------" in (ROOT / "README.rst").read_text()


def test_check_names_the_odoo_it_found():
    result = run_suite("check")
    assert result.returncode == 0
    assert "Odoo 19.0" in result.stdout


def test_the_private_cluster_stops_with_the_last_command_using_it():
    """``make run`` in one terminal, ``make test`` in another: the command
    that started PostgreSQL ending first leaves it to the other one."""
    sys.path.insert(0, str(ROOT / "tools"))
    import suite

    directory = suite.RUN / "test-lease-pg"
    port = 54391
    holder = (
        "import sys; sys.path.insert(0, %r); import suite\n"
        "with suite.database_server(directory=%r, port=%d):\n"
        "    print('up', flush=True); sys.stdin.read()\n"
    ) % (str(ROOT / "tools"), str(directory), port)
    cluster = suite.PrivateCluster(directory, port)
    commands = []
    try:
        for _ in range(2):
            command = subprocess.Popen(
                [sys.executable, "-c", holder],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            commands.append(command)
            said = [command.stdout.readline().strip()]
            while said[-1] and said[-1] != "up":  # the suite's own lines first
                said.append(command.stdout.readline().strip())
            assert said[-1] == "up", said
        first, second = commands
        first.communicate(timeout=60)
        assert first.returncode == 0
        assert cluster.running(), "stopped under the command still using it"
        second.communicate(timeout=60)
        assert second.returncode == 0
        assert not cluster.running(), "left running after the last command"
    finally:
        for command in commands:
            if command.poll() is None:
                command.kill()
        if cluster.data.exists() and cluster.running():
            cluster.stop()
        subprocess.run(["rm", "-rf", str(directory)], check=False)
