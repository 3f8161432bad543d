"""Many API clients at once against gunicorn with 4 workers, as in production (gunicorn.conf.py),
on SQLite and (with TEST_DATABASE_URL) on a fresh PostgreSQL schema.

- load: 60 clients released together, each submitting 4 complete responses (the four full
  questionnaires, scored at once) with an Idempotency-Key; one submission in four is sent twice
  at the same moment (double tap), one in five again once acknowledged (retry after a lost
  answer). Every acknowledged response (201/200) is stored exactly once under the id and token it
  was acknowledged with, completed with all its answers and scores; a key is never answered 201
  twice; no 5xx except 503s the client then got past with the same key (counted); gunicorn logs
  no traceback. The full version (300 clients, a sustained rate) is bench/reliability.py.
- lock: another connection holds the write lock (SQLite `BEGIN IMMEDIATE`; PostgreSQL
  `LOCK TABLE response IN ACCESS EXCLUSIVE MODE` in an open transaction) longer than the busy
  timeout while a client submits (the server started with SQLITE_BUSY_TIMEOUT_MS and
  LOCK_TIMEOUT_MS of 100 ms): never a 500, but 503 with Retry-After while the lock is held —
  SQLite's reads still work meanwhile (WAL) — and the retry with the same key once the lock is
  released stores the one response (201, then 200). The client waits at most 30 s, so that a
  request left waiting for the lock fails the test instead of hanging it.

Figures go to tests/.artifacts/reliability/.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time

import pytest

from tests.conftest import BACKENDS, fresh_database
from tests.reliability import harness

CLIENTS = 60
EACH = 4
#: The lock is held this long; the busy and lock timeouts are 100 ms (plus the app's ~0.75 s of
#: retries for a write).
LOCK_SECONDS = 5.0
#: How long the client waits for an answer while the lock is held.
LOCKED_CLIENT_TIMEOUT = 30.0


def no_server_errors(ledger: harness.Ledger) -> list[str]:
    """5xx other than 503, 503s never got past, no answers at all."""
    found = []
    for record in ledger.keys.values():
        statuses = [reply.status for _phase, reply in record.replies]
        for _phase, reply in record.replies:
            if reply.status is None:
                found.append(f"{record.key}: no answer ({reply.error})")
            elif reply.status >= 400 and reply.status != 503:
                found.append(f"{record.key}: {reply.status} {reply.body}")
        if 503 in statuses and not record.acknowledged:
            found.append(f"{record.key}: 503 and never acknowledged after ({statuses})")
    return found[:20]


@pytest.mark.parametrize("database", BACKENDS)
def test_concurrent_clients_each_response_stored_once(database, tmp_path):
    items = harness.payloads()
    ledger = harness.Ledger()
    with fresh_database(database, tmp_path) as url:
        server = harness.Server(url, tmp_path)
        with server:
            boot = server.start()
            seconds = harness.burst(ledger, server.port, items, CLIENTS, EACH, "load")
        stored = harness.read_database(url)
    statuses = ledger.statuses()
    got_503, recovered = ledger.retried_after_503()
    acknowledged = [record for record in ledger.keys.values() if record.acknowledged]
    latencies = [reply.seconds for reply in ledger.replies() if reply.acknowledged]
    harness.report(f"load-{database}", [
        f"{database}: {CLIENTS} clients × {EACH} submissions in {seconds:.1f} s "
        f"(gunicorn up in {boot:.1f} s)",
        f"keys {len(ledger.keys)}, acknowledged {len(acknowledged)}, stored {len(stored.rows)}",
        f"statuses {dict(statuses)}; keys with a 503: {got_503}, of them acknowledged on retry "
        f"{recovered}",
        f"acknowledged latency p50 {harness.percentile(latencies, 50) * 1000:.0f} ms, "
        f"p95 {harness.percentile(latencies, 95) * 1000:.0f} ms",
    ])
    assert no_server_errors(ledger) == []
    assert len(acknowledged) == len(ledger.keys) == CLIENTS * EACH
    assert harness.problems(ledger, stored, items, every_key=True) == []
    assert len(stored.rows) == CLIENTS * EACH
    # The double taps and retries were answered 200 with the same response.
    assert statuses[201] == CLIENTS * EACH
    assert statuses[200] >= CLIENTS * EACH // 4
    assert got_503 == recovered
    assert server.log_problems() == []


# --------------------------------------------------------------------------- lock


class SQLiteLock:
    def __init__(self, url: str) -> None:
        # Released by a timer thread.
        self.connection = sqlite3.connect(url.split("///", 1)[1], isolation_level=None,
                                          check_same_thread=False)

    def acquire(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.connection.execute("ROLLBACK")
        self.connection.close()


class PostgreSQLLock:
    def __init__(self, url: str) -> None:
        import psycopg

        plain = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)
        self.connection = psycopg.connect(plain)  # a transaction is open until rollback

    def acquire(self) -> None:
        self.connection.execute("LOCK TABLE response IN ACCESS EXCLUSIVE MODE")

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


@pytest.mark.parametrize("database", BACKENDS)
def test_a_write_lock_held_longer_than_the_busy_timeout_gives_503_then_the_retry_works(
        database, tmp_path):
    items = harness.payloads(4)
    ledger = harness.Ledger()
    key = "locked-database-retry-0001"
    with fresh_database(database, tmp_path) as url:
        server = harness.Server(url, tmp_path, {"SQLITE_BUSY_TIMEOUT_MS": 100,
                                                 "LOCK_TIMEOUT_MS": 100})
        with server:
            server.start()
            before = harness.submit(ledger, server.port, "before-the-lock-0001", 0, items[0])
            assert before.status == 201
            lock = SQLiteLock(url) if database == "sqlite" else PostgreSQLLock(url)
            lock.acquire()
            released = threading.Event()
            timer = threading.Timer(LOCK_SECONDS, lambda: (lock.release(), released.set()))
            locked_at = time.perf_counter()
            timer.start()
            try:
                during = harness.post_response(server.port, items[1].body, key,
                                               LOCKED_CLIENT_TIMEOUT)
                ledger.record(key, 1, during)
                answered_after = time.perf_counter() - locked_at
                still_locked = not released.is_set()
                # Reading is not writing: the results of a stored response (SQLite: WAL readers).
                read = None
                if database == "sqlite":
                    read = harness.get(server.port, f"/api/v1/results/{before.body['token']}")[0]
            finally:
                timer.join()
            assert released.is_set()
            retry = harness.post_response(server.port, items[1].body, key)
            ledger.record(key, 1, retry)
            again = harness.post_response(server.port, items[1].body, key)
            ledger.record(key, 1, again)
        stored = harness.read_database(url)
    harness.report(f"lock-{database}", [
        f"{database}: write lock held {LOCK_SECONDS:.0f} s; during it the submission got "
        f"{during.status or during.error} after {answered_after:.2f} s "
        f"(Retry-After {during.retry_after}); retry once released: {retry.status}, "
        f"again: {again.status}",
    ])
    assert during.status != 500 and retry.status != 500
    assert during.status is not None, f"no answer while locked ({during.error}): left waiting?"
    assert during.status == 503, during
    assert during.retry_after == "2"
    assert still_locked, "the 503 came after the lock was released"
    if database == "sqlite":
        assert read == 200
    assert retry.status == 201
    assert again.status == 200 and again.body["id"] == retry.body["id"]
    assert harness.problems(ledger, stored, items) == []
    assert len(stored.rows) == 2
    assert server.log_problems() == []
