"""`kill -9` of gunicorn's master and its 4 workers while API clients submit complete responses,
then a restart, on SQLite and (with TEST_DATABASE_URL) on a fresh PostgreSQL schema.

30 clients send submissions one after the other, each with an Idempotency-Key of its own; once 60
are acknowledged, the whole process group is killed with SIGKILL (requests in flight are cut).
Then, before the restart: every response acknowledged before the kill is there, completed, with
all its answer and score rows under the id it was acknowledged with; no response is partial (a
completed one without its scores) or in progress (the API creates none); the benchmark
histograms equal the completed responses (they are written in the same transaction); SQLite's
`PRAGMA integrity_check` is `ok` and `foreign_key_check` empty. After the restart on the same
database, the clients send the unacknowledged submissions again with the same keys: each is
stored once (200 if it had been committed before the kill, 201 if not), a resent acknowledged
one gets 200 with its id, and nothing is duplicated. The full version is bench/reliability.py.
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import BACKENDS, fresh_database
from tests.reliability import harness

CLIENTS = 30
#: The server is killed once this many submissions are acknowledged.
KILL_AFTER = 60


@pytest.mark.parametrize("database", BACKENDS)
def test_kill_9_during_load_loses_nothing_acknowledged_and_retries_duplicate_nothing(
        database, tmp_path):
    items = harness.payloads()
    ledger = harness.Ledger()
    with fresh_database(database, tmp_path) as url:
        server = harness.Server(url, tmp_path)
        with server:
            server.start()
            flow = harness.Flow(ledger, server.port, items, CLIENTS, "crash")
            flow.start()
            deadline = time.monotonic() + 90
            while flow.acknowledged() < KILL_AFTER and time.monotonic() < deadline:
                time.sleep(0.02)
            flow.crashed.set()
            killed = server.kill9()
            flow.stop.set()
            flow.join(60)
            assert not any(thread.is_alive() for thread in flow.threads)
            assert not any(harness.alive(pid) for pid in killed)
            harness.settle(url)
            after_kill = harness.read_database(url)

            acknowledged = [record for record in ledger.keys.values() if record.acknowledged]
            unacknowledged = [record for record in ledger.keys.values()
                              if not record.acknowledged]
            committed_unacknowledged = sum(
                1 for record in unacknowledged
                if harness.hash_token(harness.token_of(record.key)) in after_kill.rows)

            ledger.phase = "retry"
            restart = server.start()
            harness.retry_unacknowledged(ledger, server.port, items)
            # Resending acknowledged ones: the same response, 200.
            resent = acknowledged[:10]
            for record in resent:
                harness.submit(ledger, server.port, record.key, record.payload,
                               items[record.payload % len(items)])
        final = harness.read_database(url)
    retry_statuses = ledger.statuses("retry")
    harness.report(f"crash-{database}", [
        f"{database}: kill -9 of {len(killed)} processes (master and workers) after "
        f"{len(acknowledged)} acknowledged submissions, {len(unacknowledged)} in flight or "
        f"queued; of those {committed_unacknowledged} had been committed",
        f"after the kill: {len(after_kill.rows)} responses, integrity {after_kill.integrity}, "
        f"{after_kill.in_progress} in progress",
        f"restart {restart:.1f} s; retries with the same keys: {dict(retry_statuses)}; "
        f"{len(final.rows)} responses in the end for {len(ledger.keys)} keys",
    ])
    # Before the restart: everything acknowledged is there, complete; nothing partial.
    assert harness.problems(ledger, after_kill, items, phase="load") == []
    assert len(acknowledged) >= KILL_AFTER
    assert unacknowledged, "the kill cut no request in flight"
    if database == "sqlite":
        assert after_kill.integrity == "ok"
    # After the restart and the retries: every key stored exactly once.
    assert harness.problems(ledger, final, items, every_key=True) == []
    assert len(final.rows) == len(ledger.keys)
    assert all(record.acknowledged for record in ledger.keys.values())
    for record in resent:
        assert record.replies[-1][1].status == 200
    assert retry_statuses[201] == len(unacknowledged) - committed_unacknowledged
    assert retry_statuses[200] == committed_unacknowledged + len(resent)
    load_statuses = ledger.statuses("load")
    assert set(load_statuses) <= {200, 201, 503, "no answer"}, load_statuses
    assert set(retry_statuses) <= {200, 201, 503}, retry_statuses
    assert server.log_problems() == []
