"""Starting as in production: gunicorn with 4 workers through gunicorn.conf.py on an empty
database (a new SQLite file; a new PostgreSQL schema when TEST_DATABASE_URL is set). The master
migrates the schema and loads the reference data once, then the workers start together: the
site answers, and gunicorn's log shows no traceback and no worker that died."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, ROOT, fresh_database

HOST = "127.0.0.1"
WORKERS = 4
STARTUP_SECONDS = 25


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def wait_until_up(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped (status {process.returncode}):\n{log.read_text()}")
        booted = log.read_text(errors="replace").count("Booting worker")
        try:
            if booted >= WORKERS and get(port, "/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.parametrize("database", BACKENDS)
def test_four_workers_start_together_on_an_empty_database(database, tmp_path):
    instance = tmp_path / "instance"
    log_path = tmp_path / "gunicorn.log"
    with fresh_database(database, tmp_path) as url:
        port = free_port()
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in ("SECRET_KEY", "GUNICORN_CMD_ARGS", "MIN_GROUP_SIZE")
        }
        # No SECRET_KEY: the key file is made once in the instance folder, whoever comes first.
        environment.update(DATABASE_URL=url, HOST=HOST, PORT=str(port), WORKERS=str(WORKERS))
        factory = f"diagnostic:create_app({{'INSTANCE_PATH': {str(instance)!r}}})"
        command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", factory]
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            wait_until_up(process, port, log_path)
            # Several at once, so that every worker is likely to answer some.
            with ThreadPoolExecutor(max_workers=8) as pool:
                answers = list(pool.map(lambda path: get(port, path), ["/"] * 24))
            assert [status for status, _ in answers] == [200] * 24
            assert all(b"<html" in body for _, body in answers)
            status, body = get(port, "/api/v1/territories?q=lyon")
            assert status == 200 and b"commune:69123" in body  # the reference data is loaded
        finally:
            stop(process)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log
    assert not re.search(r"exited with code|Worker failed to boot|\[ERROR\]|\[CRITICAL\]", log), log
    assert log.count("Booting worker") == WORKERS, log
    # Migrated once, by the master, before the workers: never by a worker.
    assert log.count("Running upgrade  -> 0001") == 1, log
    assert log.index("Database schema up to date") < log.index("Booting worker")
    key = instance / "secret_key"
    assert len(key.read_text()) == 64
    assert key.stat().st_mode & 0o777 == 0o600
