"""Benchmark: the reliability suite at full size — many API clients, a sustained rate, a kill -9
during load, a locked database — against gunicorn as in production.

    .venv/bin/python bench/reliability.py [--database-url URL] [--clients 300] [--rate 200]
        [--duration 300] [--kill-after 10] [--lock-seconds 5] [--phases burst,sustained,crash,lock]

On a fresh database (a temporary SQLite file by default; with a PostgreSQL URL, a new schema of
that database, dropped at the end), gunicorn is started as `make serve` starts it
(gunicorn.conf.py, 4 sync workers; tests/reliability/harness.py), and API clients submit complete
responses (the four full questionnaires, 55–62 answers each, scored at once) with an
Idempotency-Key each; a client that gets a 503 or no answer sends the same submission again with
the same key. The phases, in order, on the same database:

1. burst: `--clients` clients released together, each sending `--each` submissions; one in four
   is sent twice at the same moment (double tap), one in five again once acknowledged;
2. sustained: submissions scheduled at `--rate` per second for `--duration` seconds (open loop:
   each starts at its time whatever the server's speed), sent by up to `--clients` clients at
   once; those still waiting for a free client when the window ends are not sent (counted);
   prints the rate achieved per 30 s, latencies from the scheduled time and from the send;
3. crash: `--clients` clients send submissions one after the other; after `--kill-after`
   seconds the master and the workers are killed with SIGKILL (their process group); before the
   restart, the database is checked; after it, the unacknowledged submissions are sent again
   with their keys, and some acknowledged ones too;
4. lock: another connection holds the write lock for `--lock-seconds` (SQLite: BEGIN IMMEDIATE;
   PostgreSQL: LOCK TABLE response IN ACCESS EXCLUSIVE MODE) while `--lock-clients` clients
   submit (client timeout `--lock-timeout`), on a server started with SQLITE_BUSY_TIMEOUT_MS and
   LOCK_TIMEOUT_MS of `--busy-timeout-ms` (100 by default; 0: the application's defaults); a GET
   of /api/v1/questionnaires meanwhile says whether the rest of the site answers; then the
   clients retry.

After each phase, and at the end: every acknowledged response stored exactly once, under the id
and token it was acknowledged with, completed with all its answers and scores; no response in
progress or without its scores; the benchmark histograms equal to the completed responses;
SQLite's integrity_check and foreign_key_check; gunicorn's log (tracebacks, errors, worker
timeouts). Exit status 1 on any problem. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import sqlite3
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from results_latency import bench_database, machine  # noqa: E402
from workshop_load import cpu_seconds, machine_busy  # noqa: E402

from tests.reliability import harness  # noqa: E402

PHASES = ("burst", "sustained", "crash", "lock")


def ms(values: list[float]) -> str:
    if not values:
        return "n 0"
    return (f"n {len(values):,}, p50 {harness.percentile(values, 50) * 1000:,.0f} ms, "
            f"p95 {harness.percentile(values, 95) * 1000:,.0f} ms, "
            f"p99 {harness.percentile(values, 99) * 1000:,.0f} ms, "
            f"max {max(values) * 1000:,.0f} ms")


class Meter:
    """CPU of gunicorn and of the machine over a phase."""

    def __init__(self, server: harness.Server) -> None:
        self.pid = server.process.pid
        self.server = cpu_seconds(self.pid)
        self.machine = machine_busy()
        self.client = time.process_time()
        self.load = os.getloadavg()[0]

    def line(self, requests: int) -> str:
        server = cpu_seconds(self.pid) - self.server
        busy, total = (after - before for after, before in zip(machine_busy(), self.machine,
                                                               strict=True))
        return (f"CPU: machine busy {busy / max(total, 1e-9):.0%} of {os.cpu_count()} cores; "
                f"gunicorn {server:.1f} s ({server / max(requests, 1) * 1000:.1f} ms a request), "
                f"this client {time.process_time() - self.client:.1f} s; load average at the "
                f"start {self.load:.2f}")


def check(title: str, ledger: harness.Ledger, url: str, items, every_key: bool = False,
          phase: str | None = None) -> list[str]:
    stored = harness.read_database(url)
    found = harness.problems(ledger, stored, items, phase=phase, every_key=every_key)
    acknowledged = sum(1 for record in ledger.keys.values() if record.acknowledged)
    print(f"  check {title}: {len(stored.rows):,} responses stored, {stored.in_progress} in "
          f"progress, {acknowledged:,} keys acknowledged of {len(ledger.keys):,} sent; histograms "
          f"{'equal to the responses' if not stored.histogram_problems else 'DIFFERENT'}"
          + (f"; SQLite integrity_check: {stored.integrity}" if stored.integrity else "")
          + f"; problems: {len(found)}")
    for line in found[:10]:
        print(f"    {line}")
    return found


def statuses_line(ledger: harness.Ledger, phase: str) -> str:
    statuses = ledger.statuses(phase)
    server_errors = sum(count for status, count in statuses.items()
                        if isinstance(status, int) and status >= 500 and status != 503)
    return (f"replies {dict(sorted(statuses.items(), key=str))}; 5xx other than 503: "
            f"{server_errors}")


# --------------------------------------------------------------------------- phases


def burst(arguments, server, ledger, items, url) -> list[str]:
    ledger.phase = "burst"
    print(f"burst: {arguments.clients} clients at once × {arguments.each} submissions "
          f"(one in four sent twice at once, one in five again once acknowledged)")
    meter = Meter(server)
    seconds = harness.burst(ledger, server.port, items, arguments.clients, arguments.each,
                            "burst")
    replies = ledger.replies("burst")
    acknowledged = [reply.seconds for reply in replies if reply.acknowledged]
    created = sum(1 for reply in replies if reply.status == 201)
    got_503, recovered = ledger.retried_after_503()
    print(f"  {len(replies):,} requests in {seconds:.1f} s: {created / seconds:,.1f} new "
          f"responses/s, {len(replies) / seconds:,.1f} requests/s; "
          f"{statuses_line(ledger, 'burst')}")
    print(f"  keys that got a 503: {got_503}, acknowledged on a retry with the same key: "
          f"{recovered}")
    print(f"  acknowledged latency: {ms(acknowledged)}")
    print(f"  {meter.line(len(replies))}")
    found = check("after the burst", ledger, url, items, every_key=True)
    if got_503 != recovered:
        found.append(f"{got_503 - recovered} keys got a 503 and were never acknowledged")
    return found


def sustained(arguments, server, ledger, items, url) -> list[str]:
    ledger.phase = "sustained"
    rate, duration = arguments.rate, arguments.duration
    scheduled = int(rate * duration)
    print(f"sustained: {scheduled:,} submissions scheduled at {rate:g}/s for {duration:g} s, up "
          f"to {arguments.clients} at once")
    jobs: queue.Queue = queue.Queue()
    lock = threading.Lock()
    done: list[tuple[float, float, float, bool]] = []  # scheduled, sent, answered (s), acked
    not_sent = Counter()
    started = time.monotonic() + 0.5
    end = started + duration

    def client() -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            number, at = job
            if time.monotonic() > end:
                with lock:
                    not_sent["still waiting for a free client when the window ended"] += 1
                continue
            sent = time.monotonic()
            reply = harness.submit(ledger, server.port, f"sustained-{number:07d}-key", number,
                                   items[number % len(items)])
            with lock:
                done.append((at - started, sent - started, time.monotonic() - started,
                             reply.acknowledged))

    clients = [threading.Thread(target=client, daemon=True) for _ in range(arguments.clients)]
    for thread in clients:
        thread.start()
    meter = Meter(server)
    for number in range(scheduled):
        at = started + number / rate
        pause = at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        jobs.put((number, at))
    for _thread in clients:
        jobs.put(None)
    for thread in clients:
        thread.join()
    finished = time.monotonic() - started
    replies = ledger.replies("sustained")
    acked = [entry for entry in done if entry[3]]
    within = [entry for entry in acked if entry[2] <= duration]
    print(f"  sent {len(done):,} of {scheduled:,} ({sum(not_sent.values()):,} not sent: "
          f"{dict(not_sent) or 'none'}); acknowledged {len(acked):,}, of them "
          f"{len(within):,} within the window: {len(within) / duration:,.1f}/s achieved for "
          f"{rate:g}/s targeted; last reply at {finished:.0f} s")
    buckets = Counter(int(entry[2] // 30) for entry in acked)
    print("  acknowledged per second, by 30 s: "
          + ", ".join(f"{buckets[index] / 30:.0f}" for index in range(int(finished // 30) + 1)))
    print(f"  latency from the scheduled time (the client's view): "
          f"{ms([entry[2] - entry[0] for entry in acked])}")
    print(f"  latency from the send: {ms([entry[2] - entry[1] for entry in acked])}")
    print(f"  {statuses_line(ledger, 'sustained')}")
    print(f"  {meter.line(len(replies))}")
    return check("after the sustained load", ledger, url, items, every_key=True)


def crash(arguments, server, ledger, items, url) -> list[str]:
    ledger.phase = "crash"
    print(f"crash: {arguments.clients} clients submitting one after the other; kill -9 of the "
          f"master and workers after {arguments.kill_after:g} s")
    flow = harness.Flow(ledger, server.port, items, arguments.clients, "crash")
    flow.start()
    time.sleep(arguments.kill_after)
    flow.crashed.set()
    in_flight = Counter(thread.is_alive() for thread in flow.threads)
    killed = server.kill9()
    flow.stop.set()
    flow.join(120)
    alive = [pid for pid in killed if harness.alive(pid)]
    crash_keys = [record for key, record in ledger.keys.items()
                  if key.startswith("crash-")]
    acknowledged = [record for record in crash_keys if record.acknowledged]
    unacknowledged = [record for record in ledger.keys.values() if not record.acknowledged]
    print(f"  killed {len(killed)} processes ({len(alive)} still alive afterwards); "
          f"{len(acknowledged):,} submissions acknowledged during the {arguments.kill_after:g} s "
          f"({len(acknowledged) / arguments.kill_after:.1f}/s), {len(unacknowledged):,} keys "
          f"unacknowledged (in flight or queued at the kill; {in_flight[True]} client threads "
          f"running)")
    harness.settle(url)
    found = check("after the kill, before the restart", ledger, url, items)
    stored = harness.read_database(url)
    committed = [record for record in unacknowledged
                 if harness.hash_token(harness.token_of(record.key)) in stored.rows]
    print(f"  of the unacknowledged, {len(committed)} had been committed before the kill "
          f"(committed, but the answer never reached the client)")
    ledger.phase = "retry"
    restart = server.start()
    print(f"  restarted in {restart:.1f} s")
    harness.retry_unacknowledged(ledger, server.port, items, threads=16)
    resent = acknowledged[:50]
    for record in resent:
        harness.submit(ledger, server.port, record.key, record.payload,
                       items[record.payload % len(items)])
    statuses = ledger.statuses("retry")
    print(f"  retries with the same keys: {dict(statuses)} (expected 201: "
          f"{len(unacknowledged) - len(committed)}, 200: {len(committed) + len(resent)})")
    if statuses[201] != len(unacknowledged) - len(committed):
        found.append(f"retries: {statuses[201]} created, expected "
                     f"{len(unacknowledged) - len(committed)}")
    if statuses[200] != len(committed) + len(resent):
        found.append(f"retries: {statuses[200]} found again, expected "
                     f"{len(committed) + len(resent)}")
    if alive:
        found.append(f"processes still alive after kill -9: {alive}")
    return found + check("after the restart and the retries", ledger, url, items, every_key=True)


def lock_phase(arguments, url, directory, ledger, items) -> list[str]:
    ledger.phase = "lock"
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    timeouts = ({"SQLITE_BUSY_TIMEOUT_MS": arguments.busy_timeout_ms,
                 "LOCK_TIMEOUT_MS": arguments.busy_timeout_ms}
                if arguments.busy_timeout_ms else {})
    print(f"lock: the write lock held {arguments.lock_seconds:g} s by another connection while "
          f"{arguments.lock_clients} clients submit (client timeout {arguments.lock_timeout:g} s); "
          + (", ".join(f"{name}={value}" for name, value in timeouts.items())
             or "the application's default busy and lock timeouts"))
    server = harness.Server(url, directory / "lock", timeouts)
    found: list[str] = []
    with server:
        server.start()
        if kind == "sqlite":
            holder = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            # A transaction stays open (and the lock held) until the rollback.
            holder = psycopg.connect(re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://",
                                            url))
            holder.execute("LOCK TABLE response IN ACCESS EXCLUSIVE MODE")
        locked = time.monotonic()
        results: list[tuple[str, harness.Reply, float]] = []
        guard = threading.Lock()

        def client(number: int) -> None:
            key = f"lock-{number:04d}-submission"
            reply = harness.post_response(server.port, items[number % len(items)].body, key,
                                          arguments.lock_timeout)
            ledger.record(key, number, reply)
            with guard:
                results.append((key, reply, time.monotonic() - locked))

        threads = [threading.Thread(target=client, args=(number,))
                   for number in range(arguments.lock_clients)]
        for thread in threads:
            thread.start()
        # Meanwhile, does the rest of the site answer? (A page that needs no database.)
        probe: list[tuple[str, float, float]] = []

        def look() -> None:
            time.sleep(min(1.0, arguments.lock_seconds / 2))
            sent = time.monotonic()
            try:
                status = str(harness.get(server.port, "/api/v1/questionnaires",
                                         timeout=arguments.lock_timeout)[0])
            except OSError as error:
                status = type(error).__name__
            probe.append((status, sent - locked, time.monotonic() - sent))

        prober = threading.Thread(target=look)
        prober.start()
        time.sleep(max(0.0, arguments.lock_seconds - (time.monotonic() - locked)))
        if kind == "sqlite":
            holder.execute("ROLLBACK")
        else:
            holder.rollback()
        holder.close()
        released = time.monotonic() - locked
        for thread in [*threads, prober]:
            thread.join()
        for key, reply, when in sorted(results, key=lambda item: item[2]):
            print(f"  {key}: {reply.status or reply.error} after {when:.2f} s "
                  f"(Retry-After {reply.retry_after}; lock released at {released:.2f} s)")
        for status, sent, seconds in probe:
            print(f"  GET /api/v1/questionnaires sent {sent:.2f} s into the lock: {status} after "
                  f"{seconds:.2f} s")
        for key, reply, _when in results:
            if reply.status is not None and reply.status >= 500 and reply.status != 503:
                found.append(f"{key}: {reply.status} while locked")
        for key, _reply, _when in results:
            number = int(key.split("-")[1])
            retry = harness.submit(ledger, server.port, key, number, items[number % len(items)])
            if not retry.acknowledged:
                found.append(f"{key}: retry after the lock got {retry.status or retry.error}")
        print(f"  retries once released: {dict(ledger.statuses('lock'))} (all replies of the "
              f"phase)")
    problems = server.log_problems()
    print(f"  gunicorn log of this server: {len(problems)} problem lines")
    for line in problems[:10]:
        print(f"    {line}")
    log = server.log()
    if "Traceback" in log:
        start = log.index("Traceback")
        print("  ---- first traceback ----")
        print("\n".join("  " + line for line in log[start:].splitlines()[:40]))
        print("  ----")
    found.extend(problems)
    return found + check("after the lock", ledger, url, items, every_key=True)


# --------------------------------------------------------------------------- main


def run(arguments, url: str, directory: Path) -> int:
    phases = [phase.strip() for phase in arguments.phases.split(",") if phase.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        raise SystemExit(f"unknown phases {sorted(unknown)}; choose among {', '.join(PHASES)}")
    items = harness.payloads(64, arguments.seed)
    ledger = harness.Ledger()
    found: dict[str, list[str]] = {}
    server = harness.Server(url, directory)
    print(f"database: {harness.engine_url(url).split('?')[0].split('@')[-1]}; gunicorn "
          f"{harness.WORKERS} sync workers (gunicorn.conf.py)")
    started = time.monotonic()
    with server:
        boot = server.start()
        print(f"gunicorn up in {boot:.1f} s (schema and the whole territory map loaded by the "
              f"master)")
        for phase in phases:
            if phase == "lock":
                continue
            print()
            function = {"burst": burst, "sustained": sustained, "crash": crash}[phase]
            found[phase] = function(arguments, server, ledger, items, url)
    log_problems = server.log_problems()
    if "lock" in phases:
        print()
        found["lock"] = lock_phase(arguments, url, directory, ledger, items)
    print()
    found["end"] = check("at the end", ledger, url, items, every_key=True)
    print(f"gunicorn log: {len(log_problems)} problem lines (tracebacks, errors, worker "
          f"timeouts or deaths)")
    for line in log_problems[:10]:
        print(f"  {line}")
    total = sum(len(items) for items in found.values()) + len(log_problems)
    print(f"total: {len(ledger.keys):,} keys, {len(ledger.replies()):,} requests in "
          f"{time.monotonic() - started:.0f} s; problems: {total}"
          + ("" if total else " (none)"))
    if total:
        excerpt = server.log()
        start = excerpt.find("Traceback")
        if start >= 0:
            print("---- gunicorn log excerpt ----")
            print(excerpt[max(0, start - 300):start + 4000])
    return 1 if total else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: a temporary SQLite "
                        "file); PostgreSQL: the benchmark works in a new schema it drops")
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--each", type=int, default=3, help="submissions per burst client")
    parser.add_argument("--rate", type=float, default=200.0, help="sustained submissions/s")
    parser.add_argument("--duration", type=float, default=300.0, help="sustained seconds")
    parser.add_argument("--kill-after", type=float, default=10.0,
                        help="seconds of load before kill -9")
    parser.add_argument("--lock-seconds", type=float, default=5.0)
    parser.add_argument("--lock-clients", type=int, default=10)
    parser.add_argument("--busy-timeout-ms", type=int, default=100,
                        help="SQLITE_BUSY_TIMEOUT_MS and LOCK_TIMEOUT_MS of the lock phase's "
                        "server (0: the application's defaults)")
    parser.add_argument("--lock-timeout", type=float, default=60.0,
                        help="how long a client waits for an answer while locked")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    arguments = parser.parse_args()

    for line in machine():
        print(line)
    print(f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    try:
        with bench_database(arguments.database_url, "bench-reliability-",
                            arguments.keep) as (url, folder):
            return run(arguments, url, folder)
    finally:
        print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
